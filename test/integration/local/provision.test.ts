/**
 * The resources of infra/resources.ts as the global setup provisioned them on the emulators, read
 * back over the AWS APIs; and a second provisioning run against the same emulators changes nothing.
 */
import {
  DeleteTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import {
  ChangeMessageVisibilityCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import {
  GetBucketLifecycleConfigurationCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { startFauxqs } from 'fauxqs';
import {
  provisionResources,
  provisionTable,
  type ProvisionedResources,
} from '../../../infra/local/provision.ts';
import { BUCKETS, QUEUES, TABLES, type QueueName, type TableName } from '../../../infra/resources.ts';
import { provisionedResources } from '../../support/resources.ts';

// Region, credentials and endpoints come from the environment, as in the functions.
const dynamodb = new DynamoDBClient({});
const sqs = new SQSClient({});
const s3 = new S3Client({ forcePathStyle: process.env.S3_FORCE_PATH_STYLE === 'true' });

function endpointsFromEnv() {
  const endpoint = (service: string): string => process.env[`AWS_ENDPOINT_URL_${service}`] ?? '';
  return {
    dynamodb: endpoint('DYNAMODB'),
    sqs: endpoint('SQS'),
    s3: endpoint('S3'),
    ses: endpoint('SES'),
    kms: endpoint('KMS'),
  };
}

let resources: ProvisionedResources;
beforeAll(() => {
  resources = provisionedResources();
});
afterAll(() => {
  dynamodb.destroy();
  sqs.destroy();
  s3.destroy();
});

describe('tables', () => {
  test.each(Object.keys(TABLES) as TableName[])(
    '%s has its key schema and every declared index',
    async (table) => {
      // Prepare
      const definition = TABLES[table];
      // Act
      const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: resources.tables[table] }));
      // Assess
      expect(process.env[definition.envVar]).toBe(definition.localName);
      expect(Table?.KeySchema).toEqual([
        { AttributeName: definition.partitionKey, KeyType: 'HASH' },
        { AttributeName: definition.sortKey, KeyType: 'RANGE' },
      ]);
      const indexes = (Table?.GlobalSecondaryIndexes ?? []).map((index) => ({
        name: index.IndexName,
        keys: index.KeySchema,
        projection: index.Projection?.ProjectionType,
      }));
      expect(indexes).toEqual(
        expect.arrayContaining(
          definition.indexes.map((index) => ({
            name: index.name,
            keys: [
              { AttributeName: index.partitionKey, KeyType: 'HASH' },
              { AttributeName: index.sortKey, KeyType: 'RANGE' },
            ],
            projection: 'ALL',
          })),
        ),
      );
      expect(indexes).toHaveLength(definition.indexes.length);
    },
  );

  test.each(Object.keys(TABLES) as TableName[])('%s expires items by its TTL attribute', async (table) => {
    const { TimeToLiveDescription } = await dynamodb.send(
      new DescribeTimeToLiveCommand({ TableName: resources.tables[table] }),
    );
    expect(TimeToLiveDescription).toEqual({
      TimeToLiveStatus: 'ENABLED',
      AttributeName: TABLES[table].ttlAttribute,
    });
  });
});

describe('queues', () => {
  test.each(Object.keys(QUEUES) as QueueName[])('%s redrives to its own dead-letter queue', async (queue) => {
    // Prepare
    const provisioned = resources.queues[queue];
    // Act
    const main = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: provisioned.url, AttributeNames: ['All'] }),
    );
    const dlq = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: provisioned.dlqUrl, AttributeNames: ['QueueArn'] }),
    );
    // Assess
    expect(process.env[QUEUES[queue].envVar]).toBe(provisioned.url);
    expect(provisioned.dlqUrl).not.toBe(provisioned.url);
    expect(main.Attributes?.VisibilityTimeout).toBe(String(QUEUES[queue].visibilityTimeoutSeconds));
    expect(JSON.parse(main.Attributes?.RedrivePolicy ?? '{}')).toEqual({
      deadLetterTargetArn: dlq.Attributes?.QueueArn,
      maxReceiveCount: QUEUES[queue].maxReceiveCount,
    });
  });
});

describe('files bucket', () => {
  test('stores objects and carries the expiry rule', async () => {
    // Prepare
    const key = `orgs/provision-test/${Date.now()}.txt`;
    // Act
    await s3.send(new PutObjectCommand({ Bucket: resources.buckets.files, Key: key, Body: 'stored' }));
    const object = await s3.send(new GetObjectCommand({ Bucket: resources.buckets.files, Key: key }));
    const lifecycle = await s3.send(
      new GetBucketLifecycleConfigurationCommand({ Bucket: resources.buckets.files }),
    );
    // Assess
    expect(process.env[BUCKETS.files.envVar]).toBe(resources.buckets.files);
    expect(await object.Body?.transformToString()).toBe('stored');
    expect(lifecycle.Rules).toEqual([
      expect.objectContaining({
        Status: 'Enabled',
        Filter: { Prefix: 'orgs/' },
        Expiration: { Days: BUCKETS.files.expireAfterDays },
      }),
    ]);
  });
});

describe('provisioning again', () => {
  test('on existing resources is a no-op that returns the same resources', async () => {
    // Prepare
    const before = await dynamodb.send(new DescribeTableCommand({ TableName: resources.tables.records }));
    // Act
    const again = await provisionResources(endpointsFromEnv());
    // Assess
    const after = await dynamodb.send(new DescribeTableCommand({ TableName: resources.tables.records }));
    expect(again).toEqual(resources);
    expect(after.Table?.CreationDateTime).toEqual(before.Table?.CreationDateTime);
  });

  test('on a table from an earlier version adds the indexes it lacks, keeping its items', async () => {
    // Prepare: the records table as it was before its last index (a table of its own, not the shared one).
    const current = TABLES.records;
    const localName = `custos-records-earlier-${Date.now()}`;
    await provisionTable(dynamodb, { ...current, localName, indexes: current.indexes.slice(0, -1) });
    try {
      const before = await dynamodb.send(new DescribeTableCommand({ TableName: localName }));
      // Act
      await provisionTable(dynamodb, { ...current, localName });
      // Assess
      const after = await dynamodb.send(new DescribeTableCommand({ TableName: localName }));
      expect(after.Table?.CreationDateTime).toEqual(before.Table?.CreationDateTime);
      expect(
        (after.Table?.GlobalSecondaryIndexes ?? [])
          .map((index) => [index.IndexName, index.IndexStatus])
          .sort(),
      ).toEqual(current.indexes.map((index) => [index.name, 'ACTIVE']).sort());
    } finally {
      await dynamodb.send(new DeleteTableCommand({ TableName: localName }));
    }
  });

  test('on fresh queues wires a redrive that moves a message after maxReceiveCount receives', async () => {
    // Prepare: private queues, so no other test's consumer takes the message.
    const fauxqs = await startFauxqs({ port: 0, logger: false });
    const endpoint = `http://127.0.0.1:${fauxqs.port}`;
    const client = new SQSClient({ endpoint });
    try {
      const fresh = await provisionResources({ ...endpointsFromEnv(), sqs: endpoint, s3: endpoint });
      const { url, dlqUrl } = fresh.queues.work;
      await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'poison' }));
      // Act: fail it maxReceiveCount times (visibility reset instead of waiting 90 minutes).
      for (let attempt = 0; attempt < QUEUES.work.maxReceiveCount; attempt += 1) {
        const { Messages } = await client.send(
          new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 1 }),
        );
        expect(Messages).toHaveLength(1);
        await client.send(
          new ChangeMessageVisibilityCommand({
            QueueUrl: url,
            ReceiptHandle: Messages?.[0]?.ReceiptHandle,
            VisibilityTimeout: 0,
          }),
        );
      }
      const afterLimit = await client.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 1 }));
      const dead = await client.send(new ReceiveMessageCommand({ QueueUrl: dlqUrl, WaitTimeSeconds: 1 }));
      // Assess
      expect(afterLimit.Messages ?? []).toHaveLength(0);
      expect(dead.Messages?.map((message) => message.Body)).toEqual(['poison']);
    } finally {
      client.destroy();
      await fauxqs.stop();
    }
  });
});
