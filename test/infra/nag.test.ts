import { App, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { buildTestApp } from './custos-app.ts';

// cdk-nag runs as a validation plugin: synthesis throws when a finding is neither fixed nor
// acknowledged, so building the templates is the assertion.
test.each([
  { stage: 'dev', context: {} },
  { stage: 'prod', context: { stage: 'prod', allowedOrigins: ['https://app.custos.example'] } },
])('the $stage app synthesizes with no unacknowledged AwsSolutions finding', ({ context }) => {
  expect(() => buildTestApp(context, { nag: true })).not.toThrow();
});

test('the check is live: an unacknowledged finding fails synthesis', () => {
  const app = new App();
  const stack = new Stack(app, 'Probe');
  new Bucket(stack, 'Careless');
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  expect(() => Template.fromStack(stack)).toThrow(/AwsSolutions-S10/);
});
