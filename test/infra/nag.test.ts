import { App, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { buildTestApp } from './custos-app.ts';

// cdk-nag runs as a validation plugin: synthesis throws when a finding is neither fixed nor
// acknowledged, so building the templates is the assertion. Both packs infra/app.ts uses.
test.each([
  { stage: 'dev', context: {} },
  {
    stage: 'prod with WAF and OIDC federation',
    context: {
      stage: 'prod',
      allowedOrigins: ['https://app.custos.example'],
      enableWaf: true,
      oidcFederation: {
        name: 'Corp',
        issuer: 'https://login.corp.example',
        clientId: 'custos',
        clientSecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:corp',
      },
    },
  },
])('the $stage app synthesizes with no unacknowledged AwsSolutions or Serverless finding', ({ context }) => {
  expect(() => buildTestApp(context, { nag: true })).not.toThrow();
});

test.each([
  {
    pack: 'AwsSolutions',
    finding: /AwsSolutions-S10/,
    careless: (stack: Stack) => new Bucket(stack, 'Careless'),
  },
  {
    pack: 'Serverless',
    finding: /Serverless-SQSRedrivePolicy/,
    careless: (stack: Stack) => new Queue(stack, 'Careless', { enforceSSL: true }),
  },
])('the $pack check is live: an unacknowledged finding fails synthesis', ({ finding, careless }) => {
  const app = new App();
  const stack = new Stack(app, 'Probe');
  careless(stack);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  expect(() => Template.fromStack(stack)).toThrow(finding);
});
