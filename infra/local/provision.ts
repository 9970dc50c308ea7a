/**
 * Creates the stateful resources declared in infra/resources.ts on the local emulators — the
 * same definitions the CDK data stack deploys: tables with their indexes and TTL, each queue with
 * its dead-letter queue and redrive policy, the files bucket with its expiry rule. Idempotent:
 * on a data directory that already holds them, a second run changes nothing.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  ResourceNotFoundException,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
  type AttributeDefinition,
  type GlobalSecondaryIndex,
} from '@aws-sdk/client-dynamodb';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  QueueDoesNotExist,
  SetQueueAttributesCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import {
  CreateBucketCommand,
  GetBucketLifecycleConfigurationCommand,
  HeadBucketCommand,
  PutBucketLifecycleConfigurationCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import {
  BUCKETS,
  QUEUES,
  TABLES,
  type IndexDefinition,
  type QueueDefinition,
  type QueueName,
  type TableDefinition,
  type TableName,
} from '../resources.ts';
import type { EmulatorEndpoints } from './emulators.ts';

export interface ProvisionedResources {
  tables: Record<TableName, string>;
  queues: Record<QueueName, { url: string; dlqUrl: string; arn?: string; dlqArn?: string }>;
  buckets: { files: string };
}

/** Dead-letter queues keep messages for the SQS maximum, 14 days, so a failure can be studied. */
const DLQ_RETENTION_SECONDS = 14 * 24 * 60 * 60;

const LOCAL_CLIENT = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
} as const;

export function dlqName(queue: QueueDefinition): string {
  return `${queue.localName}-dlq`;
}

async function tableExists(client: DynamoDBClient, name: string): Promise<boolean> {
  try {
    await client.send(new DescribeTableCommand({ TableName: name }));
    return true;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return false;
    throw error;
  }
}

const indexOf = (index: IndexDefinition): GlobalSecondaryIndex => ({
  IndexName: index.name,
  KeySchema: [
    { AttributeName: index.partitionKey, KeyType: 'HASH' },
    { AttributeName: index.sortKey, KeyType: 'RANGE' },
  ],
  Projection: { ProjectionType: 'ALL' },
});

const keyAttributes = (names: Iterable<string>): AttributeDefinition[] =>
  [...new Set(names)].map((attribute) => ({ AttributeName: attribute, AttributeType: 'S' }));

/**
 * Creates the indexes a data directory from an earlier version lacks, one at a time (as DynamoDB
 * allows), waiting for each to become active, so `npm start` on kept data gets the new indexes.
 */
async function addMissingIndexes(
  client: DynamoDBClient,
  name: string,
  table: TableDefinition,
): Promise<void> {
  const described = await client.send(new DescribeTableCommand({ TableName: name }));
  const present = new Set((described.Table?.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName));
  for (const index of table.indexes.filter((i) => !present.has(i.name))) {
    await client.send(
      new UpdateTableCommand({
        TableName: name,
        AttributeDefinitions: keyAttributes([index.partitionKey, index.sortKey]),
        GlobalSecondaryIndexUpdates: [{ Create: indexOf(index) }],
      }),
    );
    for (let attempt = 0; ; attempt += 1) {
      const state = await client.send(new DescribeTableCommand({ TableName: name }));
      if (
        state.Table?.GlobalSecondaryIndexes?.find((i) => i.IndexName === index.name)?.IndexStatus === 'ACTIVE'
      )
        break;
      if (attempt >= 300) throw new Error(`Index ${index.name} of ${name} did not become active`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** A data directory from before the table had its stream. */
async function enableStream(
  client: DynamoDBClient,
  name: string,
  viewType: NonNullable<TableDefinition['stream']>,
): Promise<void> {
  const { Table } = await client.send(new DescribeTableCommand({ TableName: name }));
  if (Table?.StreamSpecification?.StreamEnabled !== true) {
    await client.send(
      new UpdateTableCommand({
        TableName: name,
        StreamSpecification: { StreamEnabled: true, StreamViewType: viewType },
      }),
    );
  }
}

export async function provisionTable(client: DynamoDBClient, table: TableDefinition): Promise<string> {
  const name = table.localName;
  if (!(await tableExists(client, name))) {
    await client.send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: keyAttributes([
          table.partitionKey,
          table.sortKey,
          ...table.indexes.flatMap((index) => [index.partitionKey, index.sortKey]),
        ]),
        KeySchema: [
          { AttributeName: table.partitionKey, KeyType: 'HASH' },
          { AttributeName: table.sortKey, KeyType: 'RANGE' },
        ],
        ...(table.stream === undefined
          ? {}
          : { StreamSpecification: { StreamEnabled: true, StreamViewType: table.stream } }),
        GlobalSecondaryIndexes: table.indexes.length === 0 ? undefined : table.indexes.map(indexOf),
      }),
    );
    await waitUntilTableExists({ client, maxWaitTime: 30, minDelay: 1 }, { TableName: name });
  } else {
    if (table.indexes.length > 0) await addMissingIndexes(client, name, table);
    if (table.stream !== undefined) await enableStream(client, name, table.stream);
  }
  if (table.ttlAttribute !== undefined) {
    const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: name }));
    const current = ttl.TimeToLiveDescription;
    if (current?.TimeToLiveStatus !== 'ENABLED' || current.AttributeName !== table.ttlAttribute) {
      await client.send(
        new UpdateTimeToLiveCommand({
          TableName: name,
          TimeToLiveSpecification: { AttributeName: table.ttlAttribute, Enabled: true },
        }),
      );
    }
  }
  return name;
}

async function queueUrlOf(client: SQSClient, name: string): Promise<string | undefined> {
  try {
    return (await client.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl;
  } catch (error) {
    if (error instanceof QueueDoesNotExist) return undefined;
    throw error;
  }
}

/**
 * fauxqs names queues `http://sqs.<region>.localhost:<port>/…` (a host not every resolver knows)
 * and keeps the port of the run that created them; it finds a queue by its path alone. Pointing
 * the URL at the endpoint we reach it by keeps the URL usable, also as the SDK's endpoint.
 */
function reachableQueueUrl(url: string, endpoint: string): string {
  return new URL(new URL(url).pathname, endpoint).toString();
}

/** Creates the queue with `attributes`, or brings an existing one's differing attributes in line. */
async function ensureQueue(
  client: SQSClient,
  endpoint: string,
  name: string,
  attributes: Record<string, string>,
): Promise<{ url: string; arn: string }> {
  const existing = await queueUrlOf(client, name);
  const created =
    existing ??
    (await client.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }))).QueueUrl;
  if (created === undefined) throw new Error(`CreateQueue returned no URL for ${name}`);
  const url = reachableQueueUrl(created, endpoint);
  const current: Record<string, string | undefined> =
    (await client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] })))
      .Attributes ?? {};
  const differing = Object.fromEntries(
    Object.entries(attributes).filter(([key, value]) => !sameAttribute(current[key], value)),
  );
  if (Object.keys(differing).length > 0)
    await client.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: differing }));
  const arn = current.QueueArn;
  if (arn === undefined) throw new Error(`The queue ${name} has no ARN`);
  return { url, arn };
}

/** Queue attributes come back as strings; JSON ones (RedrivePolicy) may differ in spacing or number types. */
function sameAttribute(current: string | undefined, wanted: string): boolean {
  if (current === wanted) return true;
  if (current === undefined || !wanted.startsWith('{')) return false;
  try {
    const parsed = JSON.parse(current) as Record<string, unknown>;
    const expected = JSON.parse(wanted) as Record<string, unknown>;
    return (
      Object.keys(expected).length === Object.keys(parsed).length &&
      Object.entries(expected).every(([key, value]) => String(parsed[key]) === String(value))
    );
  } catch {
    return false;
  }
}

async function provisionQueue(
  client: SQSClient,
  endpoint: string,
  queue: QueueDefinition,
): Promise<ProvisionedResources['queues'][QueueName]> {
  const dlq = await ensureQueue(client, endpoint, dlqName(queue), {
    MessageRetentionPeriod: String(DLQ_RETENTION_SECONDS),
  });
  const main = await ensureQueue(client, endpoint, queue.localName, {
    VisibilityTimeout: String(queue.visibilityTimeoutSeconds),
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: queue.maxReceiveCount }),
  });
  return { url: main.url, arn: main.arn, dlqUrl: dlq.url, dlqArn: dlq.arn };
}

function isMissing(error: unknown, ...codes: string[]): boolean {
  return (
    error instanceof S3ServiceException &&
    (codes.includes(error.name) || error.$metadata.httpStatusCode === 404)
  );
}

async function provisionBucket(client: S3Client, bucket: (typeof BUCKETS)['files']): Promise<string> {
  const name = bucket.localName;
  try {
    await client.send(new HeadBucketCommand({ Bucket: name }));
  } catch (error) {
    if (!isMissing(error, 'NotFound', 'NoSuchBucket')) throw error;
    await client.send(new CreateBucketCommand({ Bucket: name }));
  }
  try {
    await client.send(new GetBucketLifecycleConfigurationCommand({ Bucket: name }));
  } catch (error) {
    if (!isMissing(error, 'NoSuchLifecycleConfiguration')) throw error;
    // Stored, not enforced, by fauxqs; declared here so the local bucket describes the real one.
    await client.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: name,
        LifecycleConfiguration: {
          Rules: [
            {
              ID: 'expire-files',
              Status: 'Enabled',
              Filter: { Prefix: 'orgs/' },
              Expiration: { Days: bucket.expireAfterDays },
            },
          ],
        },
      }),
    );
  }
  return name;
}

export async function provisionResources(endpoints: EmulatorEndpoints): Promise<ProvisionedResources> {
  const dynamodb = new DynamoDBClient({ ...LOCAL_CLIENT, endpoint: endpoints.dynamodb });
  const sqs = new SQSClient({ ...LOCAL_CLIENT, endpoint: endpoints.sqs });
  const s3 = new S3Client({ ...LOCAL_CLIENT, endpoint: endpoints.s3, forcePathStyle: true });
  try {
    const tableEntries = Object.entries(TABLES) as [TableName, TableDefinition][];
    const queueEntries = Object.entries(QUEUES) as [QueueName, QueueDefinition][];
    const [tables, queues, files] = await Promise.all([
      Promise.all(
        tableEntries.map(async ([key, table]) => [key, await provisionTable(dynamodb, table)] as const),
      ),
      Promise.all(
        queueEntries.map(
          async ([key, queue]) => [key, await provisionQueue(sqs, endpoints.sqs, queue)] as const,
        ),
      ),
      provisionBucket(s3, BUCKETS.files),
    ]);
    return {
      tables: Object.fromEntries(tables) as Record<TableName, string>,
      queues: Object.fromEntries(queues) as ProvisionedResources['queues'],
      buckets: { files },
    };
  } finally {
    dynamodb.destroy();
    sqs.destroy();
    s3.destroy();
  }
}
