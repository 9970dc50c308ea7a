/**
 * The house construct for every Custos Lambda: Node 24 on arm64, active X-Ray tracing, JSON logs
 * into its own KMS-encrypted log group with retention. Its code is the bundle that
 * infra/bundling.ts builds (see function-bundles.ts): one minified ESM file with the AWS SDK
 * inside, the very bundle the cold-start benchmark measures.
 *
 * Access is granted only through the `bind…` helpers: each sets the environment variable the
 * function's config reads AND grants exactly the actions that mode needs, on exactly that
 * resource. `bindAccess` drives them from the manifest's `access`, so what a function may touch
 * is declared once, next to the function, and nothing else gives it more.
 */
import { Duration, Stack, Validations } from 'aws-cdk-lib';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import {
  Architecture,
  Function as LambdaFunction,
  LoggingFormat,
  Runtime,
  Tracing,
  type Code,
} from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { FunctionAccess, FunctionSpec } from '../manifest.ts';
import { BUCKETS, QUEUES, TABLES, type QueueName, type TableName } from '../resources.ts';
import { wildcardResourceFinding } from './nag-findings.ts';

export type RecordsAccess = NonNullable<FunctionAccess['records']>;
export type AuditAccess = NonNullable<FunctionAccess['audit']>;
export type FieldKeyAccess = NonNullable<FunctionAccess['fieldKey']>;
export type SigningKeyAccess = NonNullable<FunctionAccess['auditSigningKey']>;
export type QueueAccess = 'send' | 'consume' | 'consume-and-send';
export type FilesAccess = NonNullable<FunctionAccess['files']>;

/** A DynamoDB table with the customer managed key that encrypts it. */
export interface EncryptedTable {
  readonly table: ITable;
  readonly key: IKey;
}

export interface EncryptedQueue {
  readonly queue: IQueue;
  readonly key: IKey;
}

export interface EncryptedBucket {
  readonly bucket: IBucket;
  readonly key: IKey;
}

/** Everything `bindAccess` may hand a function; the stacks build it once. */
export interface BindableResources {
  readonly tables: Record<TableName, EncryptedTable>;
  readonly queues: Record<QueueName, EncryptedQueue>;
  readonly files: EncryptedBucket;
  readonly fieldKey: IKey;
  readonly auditSigningKey: IKey;
  readonly mail: { readonly from: string; readonly identityArn: string };
}

export interface CustosFunctionProps {
  readonly spec: FunctionSpec;
  /** The bundle whose `index.mjs` exports `handler` (see function-bundles.ts). */
  readonly code: Code;
  /** Encrypts the function's log group (its key policy must admit CloudWatch Logs). */
  readonly logKey: IKey;
  readonly logRetention: RetentionDays;
  readonly environment?: Record<string, string>;
}

/** Prefix under which functions may touch objects of the files bucket (`orgs/<orgId>/…`). */
export const FILES_PREFIX = 'orgs/';

const READ_ITEM_ACTIONS = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'];
// TransactWriteItems/TransactGetItems have no IAM action of their own: DynamoDB authorises each
// inner Put/Update/Delete/ConditionCheck/Get against these item actions.
const TABLE_ACTIONS: Record<'records' | 'audit', Record<string, readonly string[]>> = {
  records: {
    read: READ_ITEM_ACTIONS,
    write: [...READ_ITEM_ACTIONS, 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:ConditionCheckItem'],
    delete: [
      ...READ_ITEM_ACTIONS,
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:ConditionCheckItem',
      'dynamodb:DeleteItem',
      'dynamodb:BatchWriteItem',
    ],
  },
  audit: {
    read: READ_ITEM_ACTIONS,
    // Append-only: an event once written can be neither changed nor removed by this function.
    append: [...READ_ITEM_ACTIONS, 'dynamodb:PutItem', 'dynamodb:ConditionCheckItem'],
    delete: [
      ...READ_ITEM_ACTIONS,
      'dynamodb:PutItem',
      'dynamodb:ConditionCheckItem',
      'dynamodb:DeleteItem',
      'dynamodb:BatchWriteItem',
    ],
  },
};

const FILES_ACTIONS: Record<
  FilesAccess,
  { object: readonly string[]; bucket: readonly string[]; key: readonly string[] }
> = {
  read: { object: ['s3:GetObject'], bucket: [], key: ['kms:Decrypt'] },
  // Streaming multipart upload: Put + abort of its own parts; SSE-KMS needs a data key per part.
  write: {
    object: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload'],
    bucket: [],
    key: ['kms:Decrypt', 'kms:GenerateDataKey'],
  },
  // The clean-up cycle lists an organization's prefix and removes every version at once
  // rather than waiting for the lifecycle rule.
  delete: {
    object: [
      's3:GetObject',
      's3:PutObject',
      's3:AbortMultipartUpload',
      's3:DeleteObject',
      's3:DeleteObjectVersion',
    ],
    bucket: ['s3:ListBucket', 's3:ListBucketVersions'],
    key: ['kms:Decrypt', 'kms:GenerateDataKey'],
  },
};

export class CustosFunction extends LambdaFunction {
  readonly spec: FunctionSpec;
  private readonly executionRole: Role;

  constructor(scope: Construct, id: string, props: CustosFunctionProps) {
    const { spec } = props;
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      retention: props.logRetention,
      encryptionKey: props.logKey,
    });
    // Our own role instead of the AWSLambdaBasicExecutionRole managed policy, which allows writing
    // to every log group of the account.
    const role = new Role(scope, `${id}Role`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${spec.name}`,
    });
    super(scope, id, {
      description: spec.description,
      code: props.code,
      handler: 'index.handler',
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: spec.memoryMb,
      timeout: Duration.seconds(spec.timeoutSeconds),
      tracing: Tracing.ACTIVE,
      logGroup,
      loggingFormat: LoggingFormat.JSON,
      role,
      environment: props.environment ?? {},
    });
    this.spec = spec;
    this.executionRole = role;
    logGroup.grantWrite(role);
    Validations.of(this).acknowledge({ id: 'Serverless-LambdaDLQ', reason: asyncFailureReason(spec) });
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions; tracing is required.',
    });
  }

  /** Grants what the manifest declares for this function, and only that. */
  bindAccess(resources: BindableResources): void {
    const { access } = this.spec;
    if (access.records) this.bindRecords(resources.tables.records, access.records);
    if (access.audit) this.bindAudit(resources.tables.audit, access.audit);
    for (const name of access.scans ?? []) this.bindScan(name, resources.tables[name]);
    if (access.fieldKey) this.bindFieldKey(resources.fieldKey, access.fieldKey);
    if (access.auditSigningKey) this.bindSigningKey(resources.auditSigningKey, access.auditSigningKey);
    for (const [name, mode] of Object.entries(access.queues ?? {}) as Array<[QueueName, QueueAccess]>) {
      this.bindQueue(name, resources.queues[name], mode);
    }
    if (access.files) this.bindFiles(resources.files, access.files);
    if (access.mail) this.bindMail(resources.mail.from, resources.mail.identityArn);
  }

  bindRecords(records: EncryptedTable, mode: RecordsAccess): void {
    this.bindTable('records', records, TABLE_ACTIONS.records[mode] ?? [], mode !== 'read');
  }

  bindAudit(audit: EncryptedTable, mode: AuditAccess): void {
    this.bindTable('audit', audit, TABLE_ACTIONS.audit[mode] ?? [], mode !== 'read');
  }

  /**
   * `dynamodb:Scan` on the table itself (not its indexes), for a table-wide sweep. The table's
   * access mode must already be declared: it brings the environment variable and the key use.
   */
  bindScan(name: TableName, { table }: EncryptedTable): void {
    if (this.spec.access[name] === undefined)
      throw new Error(`${this.spec.name} scans ${name} but declares no ${name} access`);
    this.addToRolePolicy(new PolicyStatement({ actions: ['dynamodb:Scan'], resources: [table.tableArn] }));
  }

  /** `decrypt` unwraps organizations' data keys; `generate` also creates them. */
  bindFieldKey(key: IKey, mode: FieldKeyAccess): void {
    this.addEnvironment('FIELD_KEY_ID', key.keyArn);
    this.addToRolePolicy(
      new PolicyStatement({
        actions: mode === 'generate' ? ['kms:Decrypt', 'kms:GenerateDataKey'] : ['kms:Decrypt'],
        resources: [key.keyArn],
        // Every data key is bound to an organization through the encryption context.
        conditions: { Null: { 'kms:EncryptionContext:orgId': 'false' } },
      }),
    );
  }

  bindSigningKey(key: IKey, mode: SigningKeyAccess): void {
    this.addEnvironment('AUDIT_SIGNING_KEY_ID', key.keyArn);
    this.addToRolePolicy(
      new PolicyStatement({
        actions: mode === 'sign' ? ['kms:Sign', 'kms:GetPublicKey'] : ['kms:Verify', 'kms:GetPublicKey'],
        resources: [key.keyArn],
      }),
    );
  }

  bindQueue(name: QueueName, { queue, key }: EncryptedQueue, mode: QueueAccess): void {
    this.addEnvironment(QUEUES[name].envVar, queue.queueUrl);
    if (mode !== 'send') {
      // The consumer holds what it receives on this lease, renewed with ChangeMessageVisibility.
      this.addEnvironment(QUEUES[name].leaseEnvVar, String(QUEUES[name].leaseSeconds));
      this.addToRolePolicy(
        new PolicyStatement({
          actions: [
            'sqs:ReceiveMessage',
            'sqs:DeleteMessage',
            'sqs:ChangeMessageVisibility',
            'sqs:GetQueueAttributes',
          ],
          resources: [queue.queueArn],
        }),
      );
    }
    if (mode !== 'consume') {
      this.addToRolePolicy(
        new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [queue.queueArn] }),
      );
      // SQS server-side encryption: the producer needs a data key to encrypt the message.
      this.addToRolePolicy(
        new PolicyStatement({ actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: [key.keyArn] }),
      );
    } else {
      this.addToRolePolicy(new PolicyStatement({ actions: ['kms:Decrypt'], resources: [key.keyArn] }));
    }
  }

  /**
   * Objects under `orgs/` only; listing (for `delete`) is limited to that prefix too. The bucket
   * must be referenced by name within the function's stack (see nag-findings.ts).
   */
  bindFiles({ bucket, key }: EncryptedBucket, mode: FilesAccess): void {
    const actions = FILES_ACTIONS[mode];
    this.addEnvironment(BUCKETS.files.envVar, bucket.bucketName);
    this.addToRolePolicy(
      new PolicyStatement({
        actions: [...actions.object],
        resources: [bucket.arnForObjects(`${FILES_PREFIX}*`)],
      }),
    );
    if (actions.bucket.length > 0) {
      this.addToRolePolicy(
        new PolicyStatement({
          actions: [...actions.bucket],
          resources: [bucket.bucketArn],
          conditions: { StringLike: { 's3:prefix': [`${FILES_PREFIX}*`] } },
        }),
      );
    }
    this.addToRolePolicy(new PolicyStatement({ actions: [...actions.key], resources: [key.keyArn] }));
    Validations.of(this.executionRole).acknowledge({
      id: wildcardResourceFinding(this.executionRole, bucket.arnForObjects(`${FILES_PREFIX}*`)),
      reason:
        'Objects are keyed orgs/<orgId>/<file>; access is limited to that prefix, the organization is checked in code.',
    });
  }

  /** Sends from `from`, authorised by the SES identity (domain or address) `identityArn`. */
  bindMail(from: string, identityArn: string): void {
    this.addEnvironment('MAIL_FROM', from);
    this.addToRolePolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['ses:SendEmail', 'ses:SendRawEmail'],
        resources: [identityArn],
        conditions: { StringEquals: { 'ses:FromAddress': from } },
      }),
    );
  }

  private bindTable(
    name: TableName,
    { table, key }: EncryptedTable,
    actions: readonly string[],
    writes: boolean,
  ): void {
    this.addEnvironment(TABLES[name].envVar, table.tableName);
    // Indexes by name, not `index/*`: a new index is granted when it is declared in resources.ts.
    const indexArns = TABLES[name].indexes.map((index) => `${table.tableArn}/index/${index.name}`);
    const indexActions = actions.filter((a) => a === 'dynamodb:Query');
    this.addToRolePolicy(new PolicyStatement({ actions: [...actions], resources: [table.tableArn] }));
    if (indexArns.length > 0 && indexActions.length > 0) {
      this.addToRolePolicy(new PolicyStatement({ actions: indexActions, resources: indexArns }));
    }
    // The table's key, only as DynamoDB uses it on the caller's behalf.
    this.addToRolePolicy(
      new PolicyStatement({
        actions: writes
          ? ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey']
          : ['kms:Decrypt', 'kms:DescribeKey'],
        resources: [key.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${Stack.of(this).region}.amazonaws.com` } },
      }),
    );
  }
}

/**
 * Why the function needs no dead-letter target of its own: a Lambda DLQ receives only failed
 * asynchronous invocations, and each way Custos invokes a function already keeps (or needs not
 * keep) the failed event elsewhere.
 */
function asyncFailureReason(spec: FunctionSpec): string {
  const reasons: string[] = [];
  if (spec.routes.length > 0)
    reasons.push('API Gateway invokes it synchronously and the caller gets the error');
  if (spec.consumes !== undefined)
    reasons.push(
      `SQS invokes it synchronously; failed messages go to the ${spec.consumes.queue} queue's dead-letter queue`,
    );
  if (spec.schedule !== undefined)
    reasons.push('its schedule event carries no data; the next tick retries and the Errors alarm fires');
  if (reasons.length === 0) reasons.push('nothing invokes it asynchronously');
  return `No asynchronous payload can be lost: ${reasons.join('; ')}.`;
}
