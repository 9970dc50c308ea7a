import { Match, type Template } from 'aws-cdk-lib/assertions';
import { BUCKETS, QUEUES, TABLES, type TableDefinition } from '../../infra/resources.ts';
import { buildDataStack } from './custos-app.ts';

let dev: Template;
let prod: Template;

beforeAll(() => {
  dev = buildDataStack();
  prod = buildDataStack({ stage: 'prod', allowedOrigins: ['https://app.custos.example'] });
});

const tableCases = Object.entries(TABLES).map(([name, def]: [string, TableDefinition]) => ({ name, def }));

describe('tables', () => {
  test.each(tableCases)('$name: on demand, PITR, TTL, GSIs, customer managed key', ({ def }) => {
    dev.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: def.partitionKey, KeyType: 'HASH' },
        { AttributeName: def.sortKey, KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: def.ttlAttribute, Enabled: true },
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: Match.anyValue() },
      GlobalSecondaryIndexes:
        def.indexes.length === 0
          ? Match.absent()
          : def.indexes.map((index) => ({
              IndexName: index.name,
              KeySchema: [
                { AttributeName: index.partitionKey, KeyType: 'HASH' },
                { AttributeName: index.sortKey, KeyType: 'RANGE' },
              ],
              Projection: { ProjectionType: 'ALL' },
            })),
    });
  });

  test('prod tables are deletion-protected and retained; dev tables are neither', () => {
    expect(Object.values(prod.findResources('AWS::DynamoDB::Table'))).toHaveLength(
      Object.keys(TABLES).length,
    );
    for (const table of Object.values(prod.findResources('AWS::DynamoDB::Table'))) {
      expect(table.Properties.DeletionProtectionEnabled).toBe(true);
      expect(table.DeletionPolicy).toBe('Retain');
    }
    for (const table of Object.values(dev.findResources('AWS::DynamoDB::Table'))) {
      expect(table.Properties.DeletionProtectionEnabled).toBe(false);
    }
  });
});

describe('keys', () => {
  test('every symmetric key rotates', () => {
    const keys = Object.values(dev.findResources('AWS::KMS::Key'));
    const symmetric = keys.filter(
      (k) => (k.Properties.KeySpec ?? 'SYMMETRIC_DEFAULT') === 'SYMMETRIC_DEFAULT',
    );
    expect(symmetric.length).toBeGreaterThanOrEqual(4);
    for (const key of symmetric) expect(key.Properties.EnableKeyRotation).toBe(true);
  });

  test('the field key has its stage alias', () => {
    dev.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/custos-fields-dev' });
    prod.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/custos-fields-prod' });
  });

  test('the audit signing key is an asymmetric P-256 signing key', () => {
    dev.hasResourceProperties('AWS::KMS::Key', { KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' });
  });

  test('prod keys survive the deletion of their stack', () => {
    for (const key of Object.values(prod.findResources('AWS::KMS::Key')))
      expect(key.DeletionPolicy).toBe('Retain');
  });
});

describe('queues', () => {
  test.each(Object.entries(QUEUES).map(([name, def]) => ({ name, def })))(
    '$name: encrypted, with a dead-letter queue',
    ({ def }) => {
      dev.hasResourceProperties('AWS::SQS::Queue', {
        VisibilityTimeout: def.visibilityTimeoutSeconds,
        KmsMasterKeyId: Match.anyValue(),
        RedrivePolicy: { deadLetterTargetArn: Match.anyValue(), maxReceiveCount: def.maxReceiveCount },
      });
    },
  );

  test('every queue, dead-letter queues included, is KMS-encrypted and refuses plain HTTP', () => {
    const queues = dev.findResources('AWS::SQS::Queue');
    expect(Object.keys(queues)).toHaveLength(2 * Object.keys(QUEUES).length);
    for (const queue of Object.values(queues)) expect(queue.Properties.KmsMasterKeyId).toBeDefined();
    const policies = Object.values(dev.findResources('AWS::SQS::QueuePolicy'));
    const tlsOnly = policies.filter((p) =>
      p.Properties.PolicyDocument.Statement.some(
        (s: { Effect: string; Condition?: Record<string, Record<string, string>> }) =>
          s.Effect === 'Deny' && s.Condition?.Bool?.['aws:SecureTransport'] === 'false',
      ),
    );
    const covered = tlsOnly.flatMap((p) => p.Properties.Queues as unknown[]);
    expect(covered).toHaveLength(Object.keys(queues).length);
  });
});

describe('files bucket', () => {
  test('private, SSE-KMS, versioned, logged', () => {
    dev.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          {
            ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: Match.anyValue() },
            BucketKeyEnabled: true,
          },
        ],
      },
      VersioningConfiguration: { Status: 'Enabled' },
      LoggingConfiguration: { DestinationBucketName: Match.anyValue(), LogFilePrefix: 'files/' },
    });
  });

  test(`objects expire after ${BUCKETS.files.expireAfterDays} days, noncurrent versions too, unfinished uploads are aborted`, () => {
    dev.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: [
          Match.objectLike({
            Status: 'Enabled',
            ExpirationInDays: BUCKETS.files.expireAfterDays,
            NoncurrentVersionExpiration: { NoncurrentDays: Match.anyValue() },
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
          }),
        ],
      },
    });
    const [files] = Object.values(
      dev.findResources('AWS::S3::Bucket', {
        Properties: { VersioningConfiguration: { Status: 'Enabled' } },
      }),
    );
    const noncurrentDays = files?.Properties.LifecycleConfiguration.Rules[0].NoncurrentVersionExpiration
      .NoncurrentDays as number;
    expect(noncurrentDays).toBeLessThanOrEqual(BUCKETS.files.expireAfterDays);
  });

  test('every bucket refuses plain HTTP', () => {
    const buckets = Object.keys(dev.findResources('AWS::S3::Bucket'));
    const policies = Object.values(dev.findResources('AWS::S3::BucketPolicy'));
    for (const logicalId of buckets) {
      const policy = policies.find((p) => JSON.stringify(p.Properties.Bucket).includes(logicalId));
      expect(policy?.Properties.PolicyDocument.Statement).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            Effect: 'Deny',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      );
    }
  });
});

test('the cursor secret is generated, never written into the template', () => {
  dev.hasResourceProperties('AWS::SecretsManager::Secret', {
    Name: 'custos/dev/cursor-secret',
    GenerateSecretString: Match.objectLike({ PasswordLength: 64 }),
    SecretString: Match.absent(),
  });
});
