/**
 * The Custos CDK app: a stateful data stack and a stateless API stack per stage, checked by
 * cdk-nag (AwsSolutions and Serverless packs) at synth. A finding fails the synth unless it was
 * fixed or acknowledged where it arises, one finding at a time, with its reason.
 *
 * Functions are bundled first, by infra/bundling.ts (the bundles the cold-start benchmark
 * measures), and each bundle's size is printed from esbuild's metafile: size is cold-start time.
 */
import { App, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { bundleFunctions, codeFromBundles, describeBundle } from './constructs/function-bundles.ts';
import { FUNCTIONS } from './manifest.ts';
import { buildCustos } from './stacks/custos.ts';

const bundles = await bundleFunctions(FUNCTIONS);
for (const [name, bundle] of bundles) process.stderr.write(`${describeBundle(name, bundle)}\n`);

const app = new App();
buildCustos(app, { code: codeFromBundles(bundles) });
Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
Tags.of(app).add('project', 'custos');
app.synth();
