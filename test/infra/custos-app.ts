/**
 * Builds the real Custos app for infra tests, with the manifest's functions plus stand-in workers
 * that exercise every kind of access, schedule and queue consumer, so the tests prove the wiring
 * is generic rather than tuned to today's manifest. Every function's code is one placeholder
 * directory: only declarations and templates matter here.
 */
import { fileURLToPath } from 'node:url';
import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Code } from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { FUNCTIONS, type FunctionSpec } from '../../infra/manifest.ts';
import { buildCustos, type CustosStacks } from '../../infra/stacks/custos.ts';
import { DataStack } from '../../infra/stacks/data-stack.ts';
import { stageConfig } from '../../infra/stacks/stage-config.ts';

const standIn = (spec: Omit<FunctionSpec, 'entry' | 'description' | 'routes'>): FunctionSpec => ({
  ...spec,
  entry: 'functions/openapi/handler.ts',
  description: `Stand-in ${spec.name}`,
  routes: [],
});

export const STAND_INS: readonly FunctionSpec[] = [
  standIn({
    name: 'test-cleanup',
    memoryMb: 1024,
    timeoutSeconds: 900,
    access: {
      records: 'delete',
      audit: 'delete',
      fieldKey: 'decrypt',
      files: 'delete',
      queues: { deletion: 'consume' },
      scans: ['records', 'audit'],
    },
    schedule: { contextKey: 'cleanupScheduleMinutes', defaultMinutes: 60, localIntervalSeconds: 60 },
  }),
  standIn({
    name: 'test-portability',
    memoryMb: 1024,
    timeoutSeconds: 900,
    access: {
      records: 'read',
      audit: 'append',
      fieldKey: 'decrypt',
      files: 'write',
      mail: true,
      queues: { work: 'consume' },
    },
    consumes: { queue: 'work', batchSize: 1 },
  }),
  standIn({
    name: 'test-digest',
    memoryMb: 256,
    timeoutSeconds: 60,
    access: { audit: 'read', auditSigningKey: 'sign', queues: { deletion: 'send' } },
    schedule: { contextKey: 'auditDigestScheduleMinutes', defaultMinutes: 60, localIntervalSeconds: 60 },
  }),
];

export const ALL_FUNCTIONS: readonly FunctionSpec[] = [...FUNCTIONS, ...STAND_INS];

export interface BuiltApp {
  readonly app: App;
  readonly stacks: CustosStacks;
  readonly data: Template;
  readonly api: Template;
}

/** One tiny directory as every function's code: templates are asserted here, not bundles. */
export const PLACEHOLDER_CODE_DIR = fileURLToPath(
  new URL('./fixtures/placeholder-function', import.meta.url),
);

export function buildTestApp(
  context: Record<string, unknown> = {},
  options: { nag?: boolean; functions?: readonly FunctionSpec[] } = {},
): BuiltApp {
  // Bundling is skipped (each template takes seconds, not minutes); function-bundles.test.ts bundles for real.
  const app = new App({ context });
  const stacks = buildCustos(app, {
    functions: options.functions ?? ALL_FUNCTIONS,
    code: () => Code.fromAsset(PLACEHOLDER_CODE_DIR),
  });
  // The same packs as infra/app.ts.
  if (options.nag === true)
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  return { app, stacks, data: Template.fromStack(stacks.data), api: Template.fromStack(stacks.api) };
}

/** The data stack alone: no functions to bundle, so its tests stay fast. */
export function buildDataStack(context: Record<string, unknown> = {}): Template {
  const app = new App({ context });
  return Template.fromStack(new DataStack(app, 'Data', { config: stageConfig(app) }));
}
