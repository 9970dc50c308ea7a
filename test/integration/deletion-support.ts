/**
 * Seeding, snapshots and fault injection for the deletion tests. Organizations are written the way
 * the adapters write them (the audit events through the AuditedWriter), neighbours are crafted by
 * hand so their ids share prefixes with the organization being erased, and faults are injected
 * with an SDK middleware that throws on the Nth matching call — the real adapters run unchanged.
 */
import { createHash, randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { AuditedWriter } from '../../shared/adapters/aws/audited-writer.ts';
import { deletionRecordKey } from '../../shared/adapters/aws/deletion-keys.ts';
import { DynamoAuditLog } from '../../shared/adapters/aws/dynamo-audit-log.ts';
import { DynamoOrganizations } from '../../shared/adapters/aws/dynamo-organizations.ts';
import { DynamoTenantSweeper } from '../../shared/adapters/aws/dynamo-tenant-sweeper.ts';
import { S3Files } from '../../shared/adapters/aws/s3-files.ts';
import { SqsDeletionQueue } from '../../shared/adapters/aws/sqs-deletion-queue.ts';
import { canonicalJson } from '../../shared/domain/audit-chain.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import type { DeletionQueue } from '../../shared/ports/deletion-queue.ts';
import type { TenantSweeper } from '../../shared/ports/tenant-sweeper.ts';
import {
  runCleanupCycle,
  type CleanupDeps,
  type CleanupReport,
} from '../../shared/use-cases/cleanup-cycle.ts';
import { scanTable } from '../support/raw-tables.ts';
import { NO_REMINDERS, NO_RETENTION } from '../support/no-retention.ts';

const ULID_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined) throw new Error(`${name} is not set: run through jest's integration project`);
  return value;
};

/** A random 25-character ULID stem: organizations crafted from it share 25 characters of their id. */
export function idStem(): string {
  let stem = '0';
  for (let i = 1; i < 25; i += 1) stem += ULID_ALPHABET[Math.floor(Math.random() * 32)];
  return stem;
}

export const sha256 = (value: string): string => createHash('sha256').update(value).digest('hex');

export interface Fault {
  readonly service: 'dynamodb' | 's3';
  /** Matched against the command name (`BatchWriteItemCommand`, `DeleteObjectsCommand`, …). */
  readonly command: RegExp;
  readonly nth: number;
  /** Every call after the Nth (of any command) throws too: the process is as good as dead (no lease release). */
  readonly persistent?: boolean;
}

export class InjectedFault extends Error {
  override readonly name = 'InjectedFault';
}

/** Adds a middleware that throws on the Nth call matching `fault`; counts every request in `counter`. */
/** The part of an SDK client's middleware stack used here; its own type is generic per client. */
interface MiddlewareHost {
  readonly middlewareStack: { add(middleware: unknown, options: { step: 'initialize'; name: string }): void };
}

function instrument(client: MiddlewareHost, fault: Fault | undefined, counter: { calls: number }): void {
  let matched = 0;
  let dead = false;
  client.middlewareStack.add(
    (next: (args: unknown) => Promise<unknown>, context: object) => async (args: unknown) => {
      counter.calls += 1;
      const name = String((context as { commandName?: string }).commandName ?? '');
      if (dead) throw new InjectedFault(`the process is gone (${name})`);
      if (fault !== undefined && fault.command.test(name)) {
        matched += 1;
        if (matched === fault.nth) {
          dead = fault.persistent === true;
          throw new InjectedFault(`injected into ${name}`);
        }
      }
      return next(args);
    },
    { step: 'initialize', name: 'faultInjector' },
  );
}

export interface ScopedCycle {
  readonly deps: CleanupDeps;
  readonly requests: { dynamodb: number; s3: number };
  run(options?: { cycleId?: string; budgetMs?: number; clockOffsetMs?: number }): Promise<CleanupReport>;
}

/**
 * The real queue adapter, polling short: a run ends at its first empty receive, and the deployed
 * 1 s long poll would make every run here wait that second for nothing. A test queue holds only
 * what its test sent before the run, and fauxqs answers a short poll with every visible message
 * (sqs/actions/receiveMessage.js), so the runs see the same messages.
 */
function shortPolled(queue: SqsDeletionQueue): DeletionQueue {
  return Object.assign(Object.create(queue) as SqsDeletionQueue, {
    receive: (max: number) => queue.receive(max, 0),
  });
}

/**
 * The clean-up cycle over real adapters and its own clients (for faults and request counts). It
 * sees only the organizations of `scope` (other test files run cycles and deletions concurrently)
 * and drains `queueUrl` (a queue of this test file) instead of the shared deletion queue.
 */
export function scopedCycle(options: {
  scope: ReadonlySet<string>;
  queueUrl: string;
  fault?: Fault;
  clockOffsetMs?: number;
}): ScopedCycle {
  const dynamo = new DynamoDBClient({});
  const s3 = new S3Client({ forcePathStyle: true });
  const dynamoCounter = { calls: 0 };
  const s3Counter = { calls: 0 };
  instrument(
    dynamo as unknown as MiddlewareHost,
    options.fault?.service === 'dynamodb' ? options.fault : undefined,
    dynamoCounter,
  );
  instrument(
    s3 as unknown as MiddlewareHost,
    options.fault?.service === 's3' ? options.fault : undefined,
    s3Counter,
  );
  const documents = DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } });
  const real = new DynamoTenantSweeper(documents, env('RECORDS_TABLE'), env('AUDIT_TABLE'));
  const scopedSweeper: TenantSweeper = Object.assign(Object.create(real) as DynamoTenantSweeper, {
    pending: async () =>
      (await real.pending()).filter((p) => options.scope.has(p.kind === 'org' ? p.orgId : p.userId)),
  });
  let offset = options.clockOffsetMs ?? 0;
  const clock: Clock = { now: () => new Date(Date.now() + offset) };
  const writer = new AuditedWriter(documents, env('AUDIT_TABLE'), clock);
  const deps: CleanupDeps = {
    queue: shortPolled(new SqsDeletionQueue(new SQSClient({}), options.queueUrl)),
    sweeper: scopedSweeper,
    files: new S3Files(s3, env('FILES_BUCKET')),
    audit: new DynamoAuditLog(documents, env('AUDIT_TABLE'), writer),
    // Expired items are shared by every test file; the scoped cycle leaves them to their own test.
    expired: { scanExpired: async () => ({ complete: true }), deleteExpired: async () => undefined },
    clock,
    ...NO_RETENTION,
    ...NO_REMINDERS,
  };
  return {
    deps,
    get requests() {
      return { dynamodb: dynamoCounter.calls, s3: s3Counter.calls };
    },
    run: async (run = {}) => {
      if (run.clockOffsetMs !== undefined) offset = run.clockOffsetMs;
      const now = Date.now();
      return runCleanupCycle(deps, {
        cycleId: run.cycleId ?? randomUUID(),
        deadline: now + (run.budgetMs ?? 60_000),
        hardDeadline: now + 60_000,
      });
    },
  };
}

export const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}), {
  marshallOptions: { removeUndefinedValues: true },
});
export const s3Client = new S3Client({ forcePathStyle: true });
const writer = new AuditedWriter(documents, env('AUDIT_TABLE'), { now: () => new Date() });
export const orgStore = new DynamoOrganizations(documents, env('RECORDS_TABLE'), writer);

export const actor = (userId: string) => ({
  userId,
  email: `${userId}@example.test`,
  sourceIp: '192.0.2.1',
  userAgent: 'tests',
  requestId: randomUUID(),
});

export interface SeedShape {
  /** Items per sort-key kind beside the organization item and the owner's membership. */
  readonly items: Readonly<Record<string, number>>;
  readonly files: number;
  readonly auditEvents: number;
}

/**
 * An organization as the adapters store it: organization item (with a wrapped key), owner
 * membership, items of each kind with their index attributes, audit events through the writer,
 * files under its prefix; then its deletion requested through the store (status, marker, event).
 */
export async function seedOrganization(
  orgId: string,
  shape: SeedShape,
  options: { requestDeletion?: boolean } = {},
): Promise<{ ownerId: string }> {
  const ownerId = `owner-${randomUUID()}`;
  const now = new Date().toISOString();
  await orgStore.create(
    {
      orgId,
      name: `Org ${orgId}`,
      status: 'active',
      createdAt: now,
      updatedAt: now,
      createdBy: ownerId,
      wrappedKeys: [{ keyId: 'k1', ciphertext: 'AAAA' }],
      ownerCount: 1,
    },
    {
      orgId,
      userId: ownerId,
      email: `${ownerId}@example.test`,
      role: 'owner',
      addedAt: now,
      addedBy: ownerId,
    },
    {
      draft: { orgId, action: 'org.create', resource: { type: 'org', id: orgId }, outcome: 'success' },
      actor: actor(ownerId),
    },
  );
  const items: Record<string, unknown>[] = [];
  for (const [kind, count] of Object.entries(shape.items)) {
    for (let i = 0; i < count; i += 1) {
      const id = `${i}-${randomUUID()}`;
      const item: Record<string, unknown> = {
        pk: `ORG#${orgId}`,
        sk: `${kind}#${id}`,
        kind: kind.toLowerCase(),
        payload: 'x'.repeat(64),
      };
      if (kind === 'MEMBER')
        Object.assign(item, {
          gsi1pk: `USER#m-${id}`,
          gsi1sk: `ORG#${orgId}`,
          userId: `m-${id}`,
          email: `m-${id}@example.test`,
          role: 'member',
        });
      if (kind === 'JOB')
        Object.assign(item, {
          gsi2pk: `ORG#${orgId}#SUBJ#${id}`,
          gsi2sk: `JOB#${id}`,
          gsi3pk: `ORG#${orgId}#ORCH#o1`,
          gsi3sk: `JOB#${id}`,
        });
      items.push(item);
    }
  }
  for (let i = 0; i < items.length; i += 25) {
    await documents.send(
      new BatchWriteCommand({
        RequestItems: {
          [env('RECORDS_TABLE')]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })),
        },
      }),
    );
  }
  for (let i = 0; i < shape.auditEvents; i += 1) {
    await writer.append(
      { orgId, action: 'test.event', resource: { type: 'org', id: orgId }, outcome: 'success' },
      actor(ownerId),
    );
  }
  for (let i = 0; i < shape.files; i += 1) {
    await s3Client.send(
      new PutObjectCommand({
        Bucket: env('FILES_BUCKET'),
        Key: `orgs/${orgId}/exports/${i}.csv`,
        Body: `file ${i} of ${orgId}`,
      }),
    );
  }
  if (options.requestDeletion !== false) {
    await orgStore.requestDeletion(orgId, ownerId, new Date().toISOString(), {
      draft: { orgId, action: 'org.delete', resource: { type: 'org', id: orgId }, outcome: 'success' },
      actor: actor(ownerId),
    });
  }
  return { ownerId };
}

/**
 * Neighbours of `orgId` whose keys share its prefixes: a partition `ORG#<orgId>0` (the id plus a
 * character), an organization whose id shares 25 characters, index entries naming them, and files
 * under `orgs/<orgId>0/` and `orgs/<orgId>-old`. Answers the partitions and file keys created.
 */
export async function seedNeighbours(
  orgId: string,
  sibling: string,
): Promise<{ partitions: string[]; fileKeys: string[] }> {
  const partitions = [`ORG#${orgId}0`, `ORG#${sibling}`, `ORG#${orgId}#SUBJ#x`];
  const items = partitions.flatMap((pk, p) =>
    ['ORG', 'MEMBER#u1', 'JOB#j1', 'JOB#j2', 'ZZZ#other'].map((sk) => ({
      pk,
      sk,
      value: `${p}-${sk}`,
      ...(sk === 'MEMBER#u1' ? { gsi1pk: 'USER#u1', gsi1sk: pk } : {}),
      ...(sk.startsWith('JOB#') ? { gsi2pk: `${pk}#SUBJ#s`, gsi2sk: sk } : {}),
    })),
  );
  await documents.send(
    new BatchWriteCommand({
      RequestItems: { [env('RECORDS_TABLE')]: items.map((Item) => ({ PutRequest: { Item } })) },
    }),
  );
  await documents.send(
    new BatchWriteCommand({
      RequestItems: {
        [env('AUDIT_TABLE')]: partitions.map((pk) => ({
          PutRequest: { Item: { pk, sk: 'EVT#000000000001', actor: 'u1', actorEmail: 'n@example.test' } },
        })),
      },
    }),
  );
  const fileKeys = [`orgs/${orgId}0/exports/a.csv`, `orgs/${sibling}/exports/b.csv`, `orgs/${orgId}-old`];
  for (const Key of fileKeys)
    await s3Client.send(new PutObjectCommand({ Bucket: env('FILES_BUCKET'), Key, Body: `neighbour ${Key}` }));
  return { partitions, fileKeys };
}

/** A checksum of the neighbours as stored: every item of their partitions in both tables, and their files. */
export async function neighbourChecksum(neighbours: {
  partitions: readonly string[];
  fileKeys: readonly string[];
}): Promise<string> {
  const hash = createHash('sha256');
  for (const table of [env('RECORDS_TABLE'), env('AUDIT_TABLE')]) {
    for (const pk of neighbours.partitions) {
      const { Items } = await documents.send(
        new QueryCommand({
          TableName: table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': pk },
          ConsistentRead: true,
        }),
      );
      hash.update(canonicalJson(Items ?? []));
    }
  }
  for (const Key of neighbours.fileKeys) {
    const object = await s3Client.send(new GetObjectCommand({ Bucket: env('FILES_BUCKET'), Key }));
    hash.update(Key).update(await object.Body!.transformToString());
  }
  return hash.digest('hex');
}

/** Whether a stored item belongs to `orgId`: its partition, an index key of it, or its marker. */
function belongsTo(item: Record<string, unknown>, orgId: string): boolean {
  return Object.values(item).some(
    (value) =>
      typeof value === 'string' &&
      (value === orgId ||
        value === `ORG#${orgId}` ||
        value.startsWith(`ORG#${orgId}#`) ||
        value.startsWith(`orgs/${orgId}/`)),
  );
}

/** Everything of `orgId` still stored: raw scans of both tables and a listing of its files. */
export async function remainsOf(
  orgId: string,
  neighbourPartitions: readonly string[] = [],
): Promise<{ records: Record<string, unknown>[]; audit: Record<string, unknown>[]; files: string[] }> {
  const [records, audit, listed] = await Promise.all([
    scanTable('records'),
    scanTable('audit'),
    s3Client.send(new ListObjectsV2Command({ Bucket: env('FILES_BUCKET'), Prefix: `orgs/${orgId}/` })),
  ]);
  return {
    records: records.filter(
      (item) => belongsTo(item, orgId) && !neighbourPartitions.includes(String(item.pk)),
    ),
    audit: audit.filter((item) => belongsTo(item, orgId) && !neighbourPartitions.includes(String(item.pk))),
    files: (listed.Contents ?? []).map((object) => object.Key ?? ''),
  };
}

export async function deletionRecordOf(orgId: string): Promise<Record<string, unknown> | undefined> {
  return (
    await documents.send(
      new GetCommand({
        TableName: env('RECORDS_TABLE'),
        Key: deletionRecordKey(orgId),
        ConsistentRead: true,
      }),
    )
  ).Item;
}

/** How many deletion records name `orgId` (a duplicate would be a second item with its hash). */
export async function deletionRecordCount(orgId: string): Promise<number> {
  const hash = sha256(orgId);
  return (await scanTable('records')).filter((item) => item.orgIdHash === hash).length;
}

/** A queue of the calling test, with a dead-letter queue after `maxReceiveCount` receives. */
export async function testQueue(options: {
  visibilitySeconds: number;
  maxReceiveCount: number;
}): Promise<{ url: string; dlqUrl: string }> {
  const sqs = new SQSClient({});
  const name = `deletion-test-${randomUUID().slice(0, 8)}`;
  const endpoint = env('AWS_ENDPOINT_URL_SQS');
  const reachable = (url: string | undefined): string =>
    new URL(new URL(url ?? '').pathname, endpoint).toString();
  const dlqUrl = reachable((await sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }))).QueueUrl);
  const dlqArn = (
    await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }))
  ).Attributes?.QueueArn;
  const main = await sqs.send(
    new CreateQueueCommand({
      QueueName: name,
      Attributes: {
        VisibilityTimeout: String(options.visibilitySeconds),
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: dlqArn,
          maxReceiveCount: options.maxReceiveCount,
        }),
      },
    }),
  );
  return { url: reachable(main.QueueUrl), dlqUrl };
}

export async function putRaw(item: Record<string, unknown>): Promise<void> {
  await documents.send(new PutCommand({ TableName: env('RECORDS_TABLE'), Item: item }));
}
