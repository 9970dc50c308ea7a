/**
 * Builds both stacks of one stage into an app. The CDK entry point (infra/app.ts) and the infra
 * tests share it, so the tests check the very app that deploys.
 */
import type { App } from 'aws-cdk-lib';
import type { FunctionCode } from '../constructs/function-bundles.ts';
import type { FunctionSpec } from '../manifest.ts';
import { ApiStack } from './api-stack.ts';
import { DataStack } from './data-stack.ts';
import { stageConfig } from './stage-config.ts';

export interface CustosStacks {
  readonly data: DataStack;
  readonly api: ApiStack;
}

export interface BuildOptions {
  /** Each function's code: the bundles in the app, a placeholder in most tests. */
  readonly code: FunctionCode;
  /** Overrides the manifest's functions (tests). */
  readonly functions?: readonly FunctionSpec[];
}

export function buildCustos(app: App, options: BuildOptions): CustosStacks {
  const config = stageConfig(app);
  const env = { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION };
  const prefix = `Custos-${config.stage}`;
  const data = new DataStack(app, `${prefix}-Data`, {
    env,
    config,
    description: `Custos ${config.stage}: tables, keys, queues and the files bucket (stateful)`,
    terminationProtection: config.isProd,
  });
  const api = new ApiStack(app, `${prefix}-Api`, {
    env,
    config,
    data,
    code: options.code,
    description: `Custos ${config.stage}: identity, HTTP API, functions, schedules and alarms (stateless)`,
    ...(options.functions === undefined ? {} : { functions: options.functions }),
  });
  // The API stack names the files bucket and the cursor secret, which the data stack creates.
  api.addStackDependency(data);
  return { data, api };
}
