/**
 * The findings of AWS Control Tower's proactive controls (cfn-guard rules, run at synth by
 * `@cdklabs/cdk-validator-cfnguard` beside cdk-nag) that Custos does not fix, each acknowledged on
 * exactly the constructs it concerns, with its reason. A finding on any other construct, or a
 * rule not listed here, fails the synth.
 */
import { Validations } from 'aws-cdk-lib';
import { CfnRoute } from 'aws-cdk-lib/aws-apigatewayv2';
import { Key } from 'aws-cdk-lib/aws-kms';
import { CfnPermission, Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import type { IConstruct } from 'constructs';
import type { CustosStacks } from '../stacks/custos.ts';
import { stageConfig } from '../stacks/stage-config.ts';

const guardRule = (rule: string): string => `cdk-validator-cfnguard::${rule}`;

function acknowledge(constructs: readonly IConstruct[], rule: string, reason: string): void {
  for (const construct of constructs) Validations.of(construct).acknowledge({ id: guardRule(rule), reason });
}

export function acknowledgeGuardFindings(stacks: CustosStacks): void {
  const { data, api } = stacks;
  const all = [...data.node.findAll(), ...api.node.findAll()];

  acknowledge(
    all.filter(
      (c): c is CfnPermission =>
        c instanceof CfnPermission && c.principal === 'apigateway.amazonaws.com' && c.sourceArn !== undefined,
    ),
    'lambda_function_public_access_prohibited_check',
    "Each permission names the HTTP API's execute-api ARN as SourceArn; the rule cannot read a SourceArn built with Fn::Join (the plugin's documented limit).",
  );
  acknowledge(
    all.filter((c) => c instanceof LambdaFunction),
    'lambda_inside_vpc_check',
    "The functions reach only AWS APIs (IAM-authorised, over TLS) and vendors' webhooks on the internet; no private resource needs a VPC, which would add NAT egress and cold-start cost without a boundary to guard.",
  );
  acknowledge(
    all.filter((c) => c instanceof Key),
    'kms_create_grant_aws_service_check',
    "No Custos role holds kms:CreateGrant (custos-function.ts grants per action) and the key policies are CDK's account-root default, so only those IAM grants apply.",
  );
  if (!stageConfig(api).isProd) {
    acknowledge(
      all.filter((c) => c instanceof LogGroup),
      'cloudwatch_log_group_retention_period_check',
      'Stage dev keeps logs one month; stage prod keeps them one year (stage-config.ts, logRetention).',
    );
  }
  acknowledge(
    api.httpApi.node
      .findAll()
      .filter((c): c is CfnRoute => c instanceof CfnRoute && (c.authorizationType ?? 'NONE') === 'NONE'),
    'api_gw_v2_authorization_type_configured_check',
    "Public by design: the emailed download page (random link token and the owner's password, tries counted) and the OpenAPI document; every other route has the JWT authorizer.",
  );
  acknowledge(
    Object.values(data.queues).map((q) => q.deadLetterQueue),
    'sqs_dlq_check',
    'A dead-letter queue is the end of the line: its first message raises an alarm and an operator redrives it (docs/operations.md).',
  );
  const buckets = all.filter((c): c is Bucket => c instanceof Bucket);
  const accessLogs = buckets.filter((b) => b !== data.files.bucket);
  acknowledge(
    [data.files.bucket],
    's3_bucket_object_lock_enabled_check',
    'Erasure must delete exports and backups (GDPR Art. 17) and they expire after 7 days; Object Lock would forbid both.',
  );
  acknowledge(
    accessLogs,
    's3_bucket_object_lock_enabled_check',
    'Access logs expire by the lifecycle rule; no write-once retention is required, and Object Lock would keep them past it.',
  );
  acknowledge(
    buckets,
    's3_event_notifications_enabled_check',
    'Nothing consumes object events: the function that writes an export or backup records it in DynamoDB itself.',
  );
  acknowledge(
    accessLogs,
    's3_bucket_default_encryption_kms_check',
    'S3 server access log delivery does not support SSE-KMS target buckets; SSE-S3 is what S3 supports.',
  );
  acknowledge(
    accessLogs,
    's3_bucket_versioning_enabled_check',
    'Log objects are written once by S3 log delivery and expire by the lifecycle rule; versions would only keep expired logs longer.',
  );
  acknowledge(
    accessLogs,
    's3_bucket_logging_enabled_check',
    'This is the access-log bucket: logging it into itself would loop, and into another bucket would need one more log bucket without end.',
  );
  acknowledge(
    accessLogs,
    's3_bucket_acl_prohibited_check',
    'S3 server access log delivery needs the ownership setting BucketOwnerPreferred; no ACL grants access (the files bucket has ACLs disabled).',
  );
}
