/**
 * The Custos CDK app: a stateful data stack and a stateless API stack per stage, checked by
 * cdk-nag (AwsSolutions) at synth. A finding fails the synth unless it was fixed or acknowledged
 * where it arises, one finding at a time, with its reason.
 */
import { App, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { buildCustos } from './stacks/custos.ts';

const app = new App();
buildCustos(app);
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
Tags.of(app).add('project', 'custos');
app.synth();
