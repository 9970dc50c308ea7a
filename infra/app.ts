/**
 * The Custos CDK app: a stateful data stack and a stateless API stack per stage, checked at synth by
 * cdk-nag (AwsSolutions and Serverless packs) and by AWS Control Tower's proactive controls
 * (cfn-guard rules). A finding fails the synth unless it was fixed or acknowledged, one finding at a
 * time, with its reason: cdk-nag's where they arise, cfn-guard's in constructs/guard-findings.ts.
 *
 * Functions are bundled first, by infra/bundling.ts (the bundles the cold-start benchmark
 * measures), and each bundle's size is printed from esbuild's metafile: size is cold-start time.
 */
import { App, Tags, Validations } from 'aws-cdk-lib';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { bundleFunctions, codeFromBundles, describeBundle } from './constructs/function-bundles.ts';
import { acknowledgeGuardFindings } from './constructs/guard-findings.ts';
import { FUNCTIONS } from './manifest.ts';
import { buildCustos } from './stacks/custos.ts';

const bundles = await bundleFunctions(FUNCTIONS);
for (const [name, bundle] of bundles) process.stderr.write(`${describeBundle(name, bundle)}\n`);

const app = new App();
const stacks = buildCustos(app, { code: codeFromBundles(bundles) });
acknowledgeGuardFindings(stacks);
Validations.of(app).addPlugins(
  new AwsSolutionsChecks(app),
  new ServerlessChecks(app),
  new CfnGuardValidator(),
);
Tags.of(app).add('project', 'custos');
app.synth();
