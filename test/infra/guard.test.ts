/**
 * AWS Control Tower's proactive controls (cfn-guard rules), run at synth by
 * @cdklabs/cdk-validator-cfnguard as infra/app.ts runs them: synthesis throws on a finding that is
 * neither fixed nor acknowledged (infra/constructs/guard-findings.ts), so synthesizing is the
 * assertion. The rules and the cfn-guard binary ship in the package: no network is needed.
 */
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Bucket, BucketEncryption } from 'aws-cdk-lib/aws-s3';
import { Code } from 'aws-cdk-lib/aws-lambda';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { acknowledgeGuardFindings } from '../../infra/constructs/guard-findings.ts';
import { buildCustos } from '../../infra/stacks/custos.ts';
import { PLACEHOLDER_CODE_DIR } from './custos-app.ts';

// cfn-guard evaluates each template in a child process: seconds when idle, minutes on a busy machine.
const GUARD_TIMEOUT_MS = 600_000;

test(
  'the dev app synthesizes with no unacknowledged Control Tower finding',
  () => {
    const app = new App({ context: { stage: 'dev' } });
    acknowledgeGuardFindings(buildCustos(app, { code: () => Code.fromAsset(PLACEHOLDER_CODE_DIR) }));
    Validations.of(app).addPlugins(new CfnGuardValidator());
    expect(() => app.synth()).not.toThrow();
  },
  GUARD_TIMEOUT_MS,
);

test(
  'the check is live: a bucket encrypted without KMS fails synthesis with its Control Tower rule',
  () => {
    const app = new App();
    new Bucket(new Stack(app, 'Probe'), 'Careless', {
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
    });
    Validations.of(app).addPlugins(new CfnGuardValidator());
    expect(() => app.synth()).toThrow(/CT\.S3\.PR\.10/);
  },
  GUARD_TIMEOUT_MS,
);
