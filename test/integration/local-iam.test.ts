/**
 * The local IAM check (infra/local/iam/): every AWS call a function makes is evaluated against that
 * function's synthesized policy, and a call its role does not allow fails as it fails in AWS, with
 * the service's own AccessDenied, before it reaches the emulator.
 */
import { readFileSync } from 'node:fs';
import { GenerateDataKeyCommand } from '@aws-sdk/client-kms';
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { SendEmailCommand } from '@aws-sdk/client-ses';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoDocumentClient, kms } from '../../shared/adapters/aws/clients.ts';
import { s3 } from '../../shared/adapters/aws/s3-client.ts';
import { ses } from '../../shared/adapters/aws/ses-client.ts';
import { sqs } from '../../shared/adapters/aws/sqs-client.ts';
import { orgRoutes } from '../../shared/api/routes/orgs.ts';
import { runAsFunction } from '../../infra/local/iam/function-identity.ts';
import type { ExercisedCall } from '../../infra/local/iam/iam-enforcement.ts';
import { enableLocalIam, LOCAL_IAM_ENV, readFunctionPolicies } from '../../infra/local/iam/local-iam.ts';
import { FIELD_KEY_ALIAS } from '../../infra/local/kms-server.ts';
import { LOCAL_MAIL_FROM } from '../../infra/local/service-env.ts';
import { callRoute, newUser } from './api/invoke-route.ts';
import { testEnv } from '../support/test-stack.ts';

const policies = readFunctionPolicies(testEnv(LOCAL_IAM_ENV.policies));
const records = (): string => testEnv('RECORDS_TABLE');
const bucket = (): string => testEnv('FILES_BUCKET');

function deniedCalls(): ExercisedCall[] {
  return readFileSync(testEnv(LOCAL_IAM_ENV.calls), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as ExercisedCall)
    .filter((call) => !call.allowed);
}

describe('calls a function makes are checked against its own policy', () => {
  // Each call below is outside what the named function's role grants.
  test.each([
    [
      'DynamoDB: api-audit writes the records table it may only read',
      'api-audit',
      () =>
        dynamoDocumentClient().send(
          new PutCommand({ TableName: records(), Item: { pk: 'IAM#probe', sk: 'x' } }),
        ),
      'AccessDeniedException',
      400,
    ],
    [
      'DynamoDB index: audit-digest queries an index of the records table',
      'audit-digest',
      () =>
        dynamoDocumentClient().send(
          new QueryCommand({
            TableName: records(),
            IndexName: 'byUser',
            KeyConditionExpression: 'gsi1pk = :p',
            ExpressionAttributeValues: { ':p': 'x' },
          }),
        ),
      'AccessDeniedException',
      400,
    ],
    [
      'KMS: api-orchestrations, which holds no key, asks for a data key',
      'api-orchestrations',
      () =>
        kms().send(
          new GenerateDataKeyCommand({
            KeyId: FIELD_KEY_ALIAS,
            KeySpec: 'AES_256',
            EncryptionContext: { orgId: 'o' },
          }),
        ),
      'AccessDeniedException',
      400,
    ],
    [
      'KMS condition: api-orgs asks for a data key bound to no organization',
      'api-orgs',
      () => kms().send(new GenerateDataKeyCommand({ KeyId: FIELD_KEY_ALIAS, KeySpec: 'AES_256' })),
      'AccessDeniedException',
      400,
    ],
    [
      'S3: download, which may only read, deletes a file',
      'download',
      () => s3().send(new DeleteObjectCommand({ Bucket: bucket(), Key: 'orgs/o/file.zip' })),
      'AccessDenied',
      403,
    ],
    [
      'S3 prefix: portability-worker writes outside orgs/',
      'portability-worker',
      () => s3().send(new PutObjectCommand({ Bucket: bucket(), Key: 'elsewhere/file.csv', Body: 'x' })),
      'AccessDenied',
      403,
    ],
    [
      'SQS: api-jobs sends to the work queue',
      'api-jobs',
      () => sqs().send(new SendMessageCommand({ QueueUrl: testEnv('WORK_QUEUE_URL'), MessageBody: '{}' })),
      'AccessDenied',
      400,
    ],
    [
      'SES: api-orgs sends mail',
      'api-orgs',
      () =>
        ses().send(
          new SendEmailCommand({
            Source: LOCAL_MAIL_FROM,
            Destination: { ToAddresses: ['a@example.test'] },
            Message: { Subject: { Data: 's' }, Body: { Text: { Data: 'b' } } },
          }),
        ),
      'AccessDenied',
      403,
    ],
  ] as const)('%s: AccessDenied as the service answers it', async (_, fn, call, name, status) => {
    // Act
    const failure = await runAsFunction(fn, call).then(
      () => undefined,
      (error: unknown) => error as { name: string; message: string; $metadata: { httpStatusCode: number } },
    );
    // Assess
    expect(failure?.name).toBe(name);
    expect(failure?.$metadata.httpStatusCode).toBe(status);
    expect(failure?.message).toContain(`assumed-role/${fn}/${fn} is not authorized to perform`);
  });

  test('a call the policy grants goes through to the emulator', async () => {
    const answer = await runAsFunction('api-audit', () =>
      dynamoDocumentClient().send(
        new GetCommand({ TableName: records(), Key: { pk: 'IAM#probe', sk: 'absent' } }),
      ),
    );
    expect(answer.Item).toBeUndefined();
  });

  // They ask again for a tail they left unsigned (docs/decisions/0021): the grant is `send` in the manifest.
  test.each(['audit-checkpoint', 'audit-digest'])(
    '%s may ask for a checkpoint on the checkpoint queue',
    async (fn) => {
      await expect(
        runAsFunction(fn, () =>
          sqs().send(
            new SendMessageCommand({
              QueueUrl: testEnv('AUDIT_CHECKPOINT_QUEUE_URL'),
              MessageBody: JSON.stringify({ orgId: 'iam-probe' }),
            }),
          ),
        ),
      ).resolves.toBeDefined();
    },
  );

  test('a call outside any function (test set-up) is not a function call and is not checked', async () => {
    await expect(
      dynamoDocumentClient().send(
        new PutCommand({ TableName: records(), Item: { pk: 'IAM#probe', sk: 'setup' } }),
      ),
    ).resolves.toBeDefined();
  });
});

describe('one statement removed from one function', () => {
  afterEach(() => enableLocalIam(policies));

  test("without api-orgs's field-key statement, creating an organization fails on kms:GenerateDataKey", async () => {
    // Prepare: the control, with the policy as synthesized.
    const owner = newUser('iam-owner');
    expect(
      (await callRoute({ route: orgRoutes.createOrg, as: owner, body: { name: 'Granted' } })).status,
    ).toBe(201);
    const statements = policies['api-orgs']!;
    const fieldKey = statements.findIndex(
      (s) => s.Action.includes('kms:GenerateDataKey') && s.Resource.some((r) => r.endsWith(FIELD_KEY_ALIAS)),
    );
    expect(fieldKey).toBeGreaterThanOrEqual(0);
    enableLocalIam({ ...policies, 'api-orgs': statements.filter((_, index) => index !== fieldKey) });

    // Act
    const answer = await callRoute({
      route: orgRoutes.createOrg,
      as: newUser('iam-owner'),
      body: { name: 'Denied' },
    });

    // Assess: the function fails, and the call that failed is the one the removed statement allowed.
    expect(answer.status).toBe(500);
    expect(deniedCalls()).toContainEqual({
      fn: 'api-orgs',
      action: 'kms:GenerateDataKey',
      resource: `arn:aws:kms:us-east-1:000000000000:${FIELD_KEY_ALIAS}`,
      allowed: false,
    });
  });
});
