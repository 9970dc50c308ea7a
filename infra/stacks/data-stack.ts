/**
 * The stateful half of Custos: tables, keys, queues, the files bucket and the cursor secret.
 * Everything here holds data or decrypts it, so it lives apart from the functions and the API
 * (which can be destroyed and redeployed freely) and, in prod, survives the deletion of its
 * stack. Tables, queues and buckets are created from infra/resources.ts, the declaration the
 * local stack reads too.
 */
import { Aws, Duration, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import {
  AttributeType,
  BillingMode,
  ProjectionType,
  Table,
  TableEncryption,
  StreamViewType,
} from 'aws-cdk-lib/aws-dynamodb';
import { Key, KeySpec, KeyUsage } from 'aws-cdk-lib/aws-kms';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { EncryptedBucket, EncryptedQueue, EncryptedTable } from '../constructs/custos-function.ts';
import { BUCKETS, QUEUES, TABLES, type QueueName, type TableName } from '../resources.ts';
import type { StageConfig } from './stage-config.ts';

export interface DataStackProps extends StackProps {
  readonly config: StageConfig;
}

export interface DeadLetteredQueue extends EncryptedQueue {
  readonly deadLetterQueue: Queue;
}

/**
 * The files bucket's name is derived, not generated, so the API stack can name it in its own
 * policies without a cross-stack import (see constructs/nag-findings.ts) and operators can find it.
 */
export const filesBucketName = (stage: string): string =>
  `custos-files-${stage}-${Aws.ACCOUNT_ID}-${Aws.REGION}`;

/** The cursor-sealing secret is named so functions reference it by name (a dynamic reference). */
export const cursorSecretName = (stage: string): string => `custos/${stage}/cursor-secret`;

export class DataStack extends Stack {
  readonly tables: Readonly<Record<TableName, EncryptedTable & { readonly table: Table }>>;
  /** Wraps organizations' data keys (envelope encryption of personal data fields). */
  readonly fieldKey: Key;
  /** Signs audit chain digests; its public key lets anyone verify them. */
  readonly auditSigningKey: Key;
  readonly queues: Readonly<Record<QueueName, DeadLetteredQueue>>;
  readonly files: EncryptedBucket & { readonly bucket: Bucket };
  /** Seals pagination cursors (see docs/operations.md, "Secrets"). */
  readonly cursorSecret: Secret;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, props);
    const { config } = props;
    const removalPolicy = config.removalPolicy;

    const tablesKey = new Key(this, 'TablesKey', {
      description: `Custos ${config.stage}: encrypts the records and audit tables`,
      alias: `alias/custos-tables-${config.stage}`,
      enableKeyRotation: true,
      removalPolicy,
    });
    const tables = {} as Record<TableName, EncryptedTable & { table: Table }>;
    for (const [name, def] of Object.entries(TABLES) as Array<[TableName, (typeof TABLES)[TableName]]>) {
      const table = new Table(this, `${capitalise(name)}Table`, {
        partitionKey: { name: def.partitionKey, type: AttributeType.STRING },
        sortKey: { name: def.sortKey, type: AttributeType.STRING },
        billingMode: BillingMode.PAY_PER_REQUEST,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        encryption: TableEncryption.CUSTOMER_MANAGED,
        encryptionKey: tablesKey,
        timeToLiveAttribute: def.ttlAttribute,
        // The audit table's stream feeds the audit sequencer (docs/decisions/0011).
        ...('stream' in def ? { stream: StreamViewType.NEW_IMAGE } : {}),
        deletionProtection: config.isProd,
        removalPolicy,
      });
      for (const index of def.indexes) {
        table.addGlobalSecondaryIndex({
          indexName: index.name,
          partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
          sortKey: { name: index.sortKey, type: AttributeType.STRING },
          projectionType: ProjectionType.ALL,
        });
      }
      tables[name] = { table, key: tablesKey };
    }
    this.tables = tables;

    this.fieldKey = new Key(this, 'FieldKey', {
      description: `Custos ${config.stage}: wraps per-organization data keys for field encryption`,
      alias: `alias/custos-fields-${config.stage}`,
      enableKeyRotation: true,
      removalPolicy,
    });
    this.auditSigningKey = new Key(this, 'AuditSigningKey', {
      description: `Custos ${config.stage}: signs audit chain digests`,
      alias: `alias/custos-audit-signing-${config.stage}`,
      keySpec: KeySpec.ECC_NIST_P256,
      keyUsage: KeyUsage.SIGN_VERIFY,
      removalPolicy,
    });

    const queuesKey = new Key(this, 'QueuesKey', {
      description: `Custos ${config.stage}: encrypts the deletion and work queues`,
      alias: `alias/custos-queues-${config.stage}`,
      enableKeyRotation: true,
      removalPolicy,
    });
    const queues = {} as Record<QueueName, DeadLetteredQueue>;
    for (const [name, def] of Object.entries(QUEUES) as Array<[QueueName, (typeof QUEUES)[QueueName]]>) {
      const encryption = {
        encryption: QueueEncryption.KMS,
        encryptionMasterKey: queuesKey,
        enforceSSL: true,
      } as const;
      const deadLetterQueue = new Queue(this, `${capitalise(name)}DeadLetterQueue`, {
        ...encryption,
        retentionPeriod: Duration.days(14),
        removalPolicy,
      });
      Validations.of(deadLetterQueue).acknowledge({
        id: 'Serverless-SQSRedrivePolicy',
        reason:
          'A dead-letter queue is the end of the line: its first message raises an alarm and an operator redrives it (docs/operations.md).',
      });
      const queue = new Queue(this, `${capitalise(name)}Queue`, {
        ...encryption,
        visibilityTimeout: Duration.seconds(def.visibilityTimeoutSeconds),
        retentionPeriod: Duration.days(14),
        deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: def.maxReceiveCount },
        removalPolicy,
      });
      queues[name] = { queue, key: queuesKey, deadLetterQueue };
    }
    this.queues = queues;

    // Server access logs cannot be delivered to an SSE-KMS bucket; SSE-S3 is what S3 supports.
    const accessLogs = new Bucket(this, 'AccessLogsBucket', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_PREFERRED,
      enforceSSL: true,
      lifecycleRules: [{ expiration: Duration.days(config.isProd ? 365 : 30) }],
      removalPolicy,
      autoDeleteObjects: false,
    });

    const filesKey = new Key(this, 'FilesKey', {
      description: `Custos ${config.stage}: encrypts exports and backups in the files bucket`,
      alias: `alias/custos-files-${config.stage}`,
      enableKeyRotation: true,
      removalPolicy,
    });
    const filesBucket = new Bucket(this, 'FilesBucket', {
      bucketName: filesBucketName(config.stage),
      encryption: BucketEncryption.KMS,
      encryptionKey: filesKey,
      bucketKeyEnabled: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      versioned: true,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'files/',
      lifecycleRules: [
        {
          id: 'expire-exports-and-backups',
          expiration: Duration.days(BUCKETS.files.expireAfterDays),
          // A version that an overwrite or a deletion made noncurrent goes a day later, so no
          // copy of a backup outlives the promised expiry by more than that day.
          noncurrentVersionExpiration: Duration.days(1),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      removalPolicy,
    });
    this.files = { bucket: filesBucket, key: filesKey };

    this.cursorSecret = new Secret(this, 'CursorSecret', {
      secretName: cursorSecretName(config.stage),
      description: `Custos ${config.stage}: seals pagination cursors`,
      generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
      removalPolicy,
    });
    Validations.of(this.cursorSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Reaches functions at deploy time (dynamic reference); rotating means a new value and a redeploy, which only invalidates open pagination cursors. Procedure in docs/operations.md.',
    });
  }
}

const capitalise = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
