/**
 * The audit chain against DynamoDB Local and the local KMS endpoint: atomicity of a change and its
 * event (injected faults included), the sequencer (retries, crashes half-way, concurrent
 * sequencers, the real stream), tamper detection at the tampered position, signed digests,
 * erasure of identifying details and retention — all through the real adapters, tampering the raw table.
 */
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient, VerifyCommand } from '@aws-sdk/client-kms';
import { SQSClient } from '@aws-sdk/client-sqs';
import { AuditedWriter } from '../../shared/adapters/aws/audited-writer.ts';
import {
  AUDIT_HEAD_SK,
  auditBatchSk,
  auditDigestSk,
  auditEventSk,
} from '../../shared/adapters/aws/audit-keys.ts';
import { DynamoAuditLog } from '../../shared/adapters/aws/dynamo-audit-log.ts';
import { DynamoAuditSequencerStore } from '../../shared/adapters/aws/dynamo-audit-sequencer.ts';
import { DynamoCheckpointClaims } from '../../shared/adapters/aws/dynamo-checkpoint-claims.ts';
import { KmsDigestSigner } from '../../shared/adapters/aws/kms-signer.ts';
import { SqsCheckpointQueue } from '../../shared/adapters/aws/sqs-checkpoint-queue.ts';
import { orgPk } from '../../shared/adapters/aws/records-keys.ts';
import { eventRef, hashEvent } from '../../shared/domain/audit-chain.ts';
import { digestMessage, type SignedDigest } from '../../shared/domain/audit-digest.ts';
import { newId } from '../../shared/domain/ids.ts';
import type { AppendedEvent, AuditActor, AuditEvent } from '../../shared/ports/audit.ts';
import { systemClock, type Clock } from '../../shared/ports/clock.ts';
import {
  checkpointIfDue,
  checkpointOrSchedule,
  digestOrganization,
  reviewAuditLogs,
  reviewOrganization,
  TailSchedule,
} from '../../shared/use-cases/audit-digests.ts';
import { pseudonymiseActor } from '../../shared/use-cases/audit-erasure.ts';
import { sequenceEvents } from '../../shared/use-cases/audit-sequence.ts';
import { verifyOrganizationLog } from '../../shared/use-cases/audit-verify.ts';
import { startTestSequencer, type TestSequencer } from '../support/audit-sequencer.ts';
import { injectFault, type MiddlewareHost } from '../support/fault-injection.ts';
import { provisionedResources } from '../support/resources.ts';
import { testEnv } from '../support/test-stack.ts';

const RETENTION_DAYS = 400;
const DAY_MS = 24 * 60 * 60 * 1000;

let raw: DynamoDBClient;
let documents: DynamoDBDocumentClient;
let kmsClient: KMSClient;
let sqsClient: SQSClient;
let auditTable: string;
let recordsTable: string;
let signer: KmsDigestSigner;

const actor = (userId = 'user-1'): AuditActor => ({
  userId,
  email: `${userId}@example.test`,
  sourceIp: '192.0.2.1',
  userAgent: 'jest',
  requestId: newId(),
});

function newWriter(clock: Clock = systemClock): AuditedWriter {
  return new AuditedWriter(documents, auditTable, clock, { retentionDays: RETENTION_DAYS });
}

function newLog(writer: AuditedWriter = newWriter()): DynamoAuditLog {
  return new DynamoAuditLog(documents, auditTable, writer);
}

const sequencerStore = (client: DynamoDBDocumentClient = documents) =>
  new DynamoAuditSequencerStore(client, auditTable);

function verify(orgId: string, now: Date = new Date()) {
  return verifyOrganizationLog(
    { audit: newLog(), signer, clock: { now: () => now }, retentionDays: RETENTION_DAYS },
    orgId,
  );
}

async function append(
  orgId: string,
  count: number,
  writer = newWriter(),
  user = 'user-1',
): Promise<AppendedEvent[]> {
  const events: AppendedEvent[] = [];
  for (let i = 0; i < count; i += 1) {
    events.push(
      await writer.append(
        {
          orgId,
          action: 'job.update',
          resource: { type: 'job', id: `job-${i}` },
          outcome: 'success',
          changes: { fields: ['stage'], values: { stage: `s${i}` } },
        },
        actor(user),
      ),
    );
  }
  return events;
}

async function chained(orgId: string): Promise<AuditEvent[]> {
  const events: AuditEvent[] = [];
  for await (const { event } of newLog().events(orgId)) events.push(event);
  return events;
}

/** Appends `count` events and sequences them as one batch, as the stream would deliver them. */
async function appendEvents(
  orgId: string,
  count: number,
  writer = newWriter(),
  user = 'user-1',
): Promise<AuditEvent[]> {
  await sequenceEvents(sequencerStore(), await append(orgId, count, writer, user));
  return chained(orgId);
}

/** Appends `count` events from a few writers at once (a delivery larger than a batch, quickly). */
async function appendMany(orgId: string, count: number): Promise<AppendedEvent[]> {
  const writers = Math.min(count, 6);
  const each = Array.from(
    { length: writers },
    (_, w) => Math.floor(count / writers) + (w < count % writers ? 1 : 0),
  );
  return (await Promise.all(each.map((n) => append(orgId, n)))).flat();
}

/** A document client that notes the name of every command it sends, in order. */
function countingClient(): { client: DynamoDBDocumentClient; commands: string[]; destroy: () => void } {
  const raw = new DynamoDBClient({});
  const commands: string[] = [];
  raw.middlewareStack.add(
    (next, context) => async (args) => {
      commands.push(context.commandName ?? '');
      return next(args);
    },
    { step: 'initialize', name: 'commandNames' },
  );
  const client = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
  return { client, commands, destroy: () => raw.destroy() };
}

/** A delivery of `appended` that fails at the `nth` `command` it sends (the stream redelivers it after). */
async function failedDelivery(
  appended: readonly AppendedEvent[],
  command: string,
  nth: number,
): Promise<void> {
  const client = new DynamoDBClient({});
  const faulty = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  const injected = injectFault(client as unknown as MiddlewareHost, { command, nth, kind: 'throughput' });
  try {
    await expect(sequenceEvents(sequencerStore(faulty), appended)).rejects.toThrow();
    expect(injected.fired).toBe(1);
  } finally {
    client.destroy();
  }
}

/** The storage key of the event at `seq`, as its batch names it. */
async function eventSkAt(orgId: string, seq: number): Promise<string> {
  const { Items } = await documents.send(
    new QueryCommand({
      TableName: auditTable,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :first AND :at',
      ExpressionAttributeValues: { ':pk': orgPk(orgId), ':first': 'SEQ#', ':at': auditBatchSk(seq) },
      ScanIndexForward: false,
      Limit: 1,
    }),
  );
  const batch = Items?.[0];
  const ref = (batch?.refs as string[] | undefined)?.[seq - Number(batch?.firstSeq)];
  if (ref === undefined) throw new Error(`no event ${seq}`);
  return auditEventSk(ref);
}

async function rawItem(orgId: string, sk: string): Promise<Record<string, unknown>> {
  const { Item } = await documents.send(
    new GetCommand({ TableName: auditTable, Key: { pk: orgPk(orgId), sk } }),
  );
  if (Item === undefined) throw new Error(`no item ${sk}`);
  return Item;
}

const rawEvent = async (orgId: string, seq: number): Promise<Record<string, unknown>> =>
  rawItem(orgId, await eventSkAt(orgId, seq));

async function putRaw(item: Record<string, unknown>): Promise<void> {
  await documents.send(new PutCommand({ TableName: auditTable, Item: item }));
}

beforeAll(() => {
  auditTable = testEnv('AUDIT_TABLE');
  recordsTable = testEnv('RECORDS_TABLE');
  raw = new DynamoDBClient({});
  documents = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
  kmsClient = new KMSClient({});
  sqsClient = new SQSClient({});
  signer = new KmsDigestSigner(testEnv('AUDIT_SIGNING_KEY_ID'), kmsClient);
});

afterAll(() => {
  raw.destroy();
  kmsClient.destroy();
  sqsClient.destroy();
});

describe('atomicity', () => {
  const orgUpdate = (orgId: string) => ({
    orgId,
    action: 'org.update',
    resource: { type: 'org', id: orgId },
    outcome: 'success' as const,
  });

  async function eventsOf(orgId: string): Promise<number> {
    const { Items } = await documents.send(
      new QueryCommand({
        TableName: auditTable,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :evt)',
        ExpressionAttributeValues: { ':pk': orgPk(orgId), ':evt': 'EVT#' },
        ConsistentRead: true,
      }),
    );
    return Items?.length ?? 0;
  }

  async function nameOf(key: Record<string, string>): Promise<unknown> {
    const { Item } = await documents.send(
      new GetCommand({ TableName: recordsTable, Key: key, ConsistentRead: true }),
    );
    return Item?.name;
  }

  test('a change whose audit write fails leaves no change', async () => {
    // Prepare: a records item, and a writer whose audit table does not exist.
    const orgId = newId();
    const key = { pk: orgPk(orgId), sk: 'ORG' };
    await documents.send(new PutCommand({ TableName: recordsTable, Item: { ...key, name: 'before' } }));
    const broken = new AuditedWriter(documents, `${auditTable}-missing`, systemClock);
    // Act
    const commit = broken.commit(
      [{ Put: { TableName: recordsTable, Item: { ...key, name: 'after' } } }],
      orgUpdate(orgId),
      actor(),
    );
    // Assess
    await expect(commit).rejects.toThrow();
    expect(await nameOf(key)).toBe('before');
  });

  test.each([
    ['throttled', { kind: 'throughput' as const }],
    ['timed out before reaching DynamoDB', { kind: 'timeout' as const, timeoutWhen: 'before' as const }],
    ['timed out after DynamoDB committed it', { kind: 'timeout' as const, timeoutWhen: 'after' as const }],
  ])('a transaction %s lands its change and its event together or neither', async (_what, fault) => {
    // Prepare
    const orgId = newId();
    const key = { pk: orgPk(orgId), sk: 'ORG' };
    const client = new DynamoDBClient({});
    const faulty = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
    const injected = injectFault(client as unknown as MiddlewareHost, {
      command: 'TransactWriteItems',
      nth: 1,
      ...fault,
    });
    try {
      // Act
      const commit = new AuditedWriter(faulty, auditTable, systemClock).commit(
        [{ Put: { TableName: recordsTable, Item: { ...key, name: 'after' } } }],
        orgUpdate(orgId),
        actor(),
      );
      // Assess
      await expect(commit).rejects.toThrow();
      expect(injected.fired).toBe(1);
      const landed = (await nameOf(key)) === 'after';
      expect(await eventsOf(orgId)).toBe(landed ? 1 : 0);
      expect(landed).toBe(fault.kind === 'timeout' && fault.timeoutWhen === 'after');
    } finally {
      client.destroy();
    }
  });
});

describe('the sequencer', () => {
  test.each([
    ['the check that its events still exist', 'Query', 1, 4],
    ['the head write', 'PutItem', 2, 4],
    ['the batch write', 'PutItem', 1, 4],
    ['the second of two batch writes', 'PutItem', 2, 300],
    ['the head write after two batches', 'PutItem', 3, 300],
  ])(
    'a sequencer that fails at %s is completed by the redelivery, every event once',
    async (_what, command, nth, count) => {
      // Prepare
      const orgId = newId();
      await appendEvents(orgId, 2);
      const appended = await appendMany(orgId, count);
      // Act: the failed delivery, then the stream's redelivery of the same records.
      await failedDelivery(appended, command, nth);
      const redelivered = await sequenceEvents(sequencerStore(), appended);
      // Assess
      expect(redelivered.refused).toEqual([]);
      const events = await chained(orgId);
      expect(events.map((e) => e.seq)).toEqual(Array.from({ length: count + 2 }, (_, i) => i + 1));
      expect(
        events
          .slice(2)
          .map((e) => e.eventId)
          .sort(),
      ).toEqual(appended.map((e) => e.eventId).sort());
      await expect(verify(orgId)).resolves.toEqual({ valid: true, events: count + 2, digests: 0 });
    },
  );

  test('a delivery whose existence check failed reports, when redelivered, the events deleted before it was sequenced', async () => {
    // Prepare: four events, one of them deleted before the sequencer sees it.
    const orgId = newId();
    await appendEvents(orgId, 2);
    const appended = await append(orgId, 4);
    const doomed = appended[1]!;
    await documents.send(
      new DeleteCommand({
        TableName: auditTable,
        Key: { pk: orgPk(orgId), sk: auditEventSk(eventRef(doomed)) },
      }),
    );
    // Act: the check fails (the invocation reports nothing), and the stream redelivers.
    await failedDelivery(appended, 'Query', 1);
    const redelivered = await sequenceEvents(sequencerStore(), appended);
    // Assess: the redelivery checks again and reports the deletion; every event is chained once.
    expect(redelivered.refused).toEqual([eventRef(doomed)]);
    expect((await newLog().head(orgId))?.seq).toBe(6);
    await expect(verify(orgId)).resolves.toMatchObject({ valid: false, firstBrokenAt: 4 });
  });

  test('a verification that walked a batch written before its head reads the head again, and passes once it follows', async () => {
    // Prepare: a delivery whose head write failed leaves its batch past the head.
    const orgId = newId();
    await appendEvents(orgId, 2);
    const appended = await append(orgId, 4);
    await failedDelivery(appended, 'PutItem', 2);
    // Act: the verifier's first head read, after its walk, finds the head behind that batch; the
    // redelivery moves the head meanwhile, as a delivery's own head write follows its batches.
    const log = newLog();
    const heads: Array<number | undefined> = [];
    const racing = new Proxy(log, {
      get: (target, property, receiver) =>
        property === 'head'
          ? async (org: string) => {
              const head = await target.head(org);
              heads.push(head?.seq);
              if (heads.length === 1) await sequenceEvents(sequencerStore(), appended);
              return head;
            }
          : Reflect.get(target, property, receiver),
    });
    const result = await verifyOrganizationLog(
      { audit: racing, signer, clock: systemClock, retentionDays: RETENTION_DAYS },
      orgId,
    );
    // Assess
    expect(heads).toEqual([2, 6]);
    expect(result).toEqual({ valid: true, events: 6, digests: 0 });
  });

  test('a delivery of more events than a batch holds claims one batch per 256 events, then moves the head once', async () => {
    // Prepare: a chain with a head, then 300 events appended after it.
    const orgId = newId();
    await appendEvents(orgId, 1);
    const appended = await appendMany(orgId, 300);
    const { client: counted, commands, destroy } = countingClient();
    try {
      // Act
      const summary = await sequenceEvents(sequencerStore(counted), appended);
      // Assess: the head read, one Query that finds the events still there, the batches of 256 and
      // 44, and the head written once past both.
      expect(summary).toEqual({ sequenced: 300, refused: [] });
      expect([...commands].sort()).toEqual([
        'GetItemCommand',
        'PutItemCommand',
        'PutItemCommand',
        'PutItemCommand',
        'QueryCommand',
      ]);
      expect(((await rawItem(orgId, auditBatchSk(2))).refs as string[]).length).toBe(256);
      expect(((await rawItem(orgId, auditBatchSk(258))).refs as string[]).length).toBe(44);
      const events = await chained(orgId);
      expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 301 }, (_, i) => i + 1));
      await expect(verify(orgId)).resolves.toEqual({ valid: true, events: 301, digests: 0 });
    } finally {
      destroy();
    }
  });

  test('concurrent sequencers of one organization chain every event once', async () => {
    // Prepare
    const orgId = newId();
    const appended = await append(orgId, 30);
    // Act: overlapping deliveries racing, as retried and split batches can.
    await Promise.all([
      sequenceEvents(sequencerStore(), appended),
      sequenceEvents(sequencerStore(), appended.slice(10)),
      sequenceEvents(sequencerStore(), [...appended].reverse()),
    ]);
    // Assess
    const events = await chained(orgId);
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(new Set(events.map((e) => e.eventId)).size).toBe(30);
    await expect(verify(orgId)).resolves.toEqual({ valid: true, events: 30, digests: 0 });
  });

  test('events appended but not sequenced yet are listed without a position, and verification ignores them for a while', async () => {
    const orgId = newId();
    await appendEvents(orgId, 2);
    await append(orgId, 1);
    const page = await newLog().query({ orgId, limit: 10 });
    expect(page.items.map((e) => e.seq)).toEqual([undefined, 2, 1]);
    await expect(verify(orgId)).resolves.toEqual({ valid: true, events: 2, digests: 0 });
    // Long past the sequencer's lag bound, the same event is missing from the chain.
    await expect(verify(orgId, new Date(Date.now() + DAY_MS))).resolves.toMatchObject({
      valid: false,
      firstBrokenAt: 3,
      reason: 'unsequenced',
    });
  });

  test('positions live in the batches only: an event item is never written after its append', async () => {
    // Prepare
    const orgId = newId();
    const [appended] = await append(orgId, 1);
    const before = await rawItem(orgId, auditEventSk(eventRef(appended!)));
    // Act
    await sequenceEvents(sequencerStore(), [appended!]);
    // Assess: the item is as appended; its place is the batch's.
    await expect(rawItem(orgId, auditEventSk(eventRef(appended!)))).resolves.toEqual(before);
    expect(before).not.toHaveProperty('seq');
    expect(await chained(orgId)).toMatchObject([{ eventId: appended!.eventId, seq: 1 }]);
  });

  test('the list and a time window show each event at the position its batch gives it', async () => {
    // Prepare: 30 events sequenced in three deliveries, as three stream batches would be.
    const orgId = newId();
    const appended = await append(orgId, 30);
    for (let i = 0; i < 30; i += 10) await sequenceEvents(sequencerStore(), appended.slice(i, i + 10));
    const positions = new Map((await chained(orgId)).map((e) => [e.eventId, e.seq]));
    // Act
    const listed = (await newLog().query({ orgId, limit: 50 })).items;
    const windowed: Array<{ eventId: string; seq?: number }> = [];
    for await (const event of newLog().window({ orgId, from: appended[0]!.at, to: appended[29]!.at }))
      windowed.push(event);
    // Assess
    expect(listed).toHaveLength(30);
    for (const event of [...listed, ...windowed]) expect(event.seq).toBe(positions.get(event.eventId));
    expect(windowed).toHaveLength(30);
  });

  test('a time window of one organization is one key range', async () => {
    // Prepare: events one second apart.
    const orgId = newId();
    let now = Date.parse('2026-03-01T10:00:00.000Z');
    const writer = newWriter({ now: () => new Date((now += 1000)) });
    await append(orgId, 6, writer);
    // Act
    const page = await newLog().query({
      orgId,
      from: '2026-03-01T10:00:02.000Z',
      to: '2026-03-01T10:00:04.000Z',
      limit: 10,
    });
    // Assess
    expect(page.items.map((e) => e.at)).toEqual([
      '2026-03-01T10:00:04.000Z',
      '2026-03-01T10:00:03.000Z',
      '2026-03-01T10:00:02.000Z',
    ]);
    expect(page.next).toBeNull();
  });
});

describe('tamper evidence', () => {
  const LENGTH = 6;
  type Tamper = (orgId: string, position: number, events: AuditEvent[]) => Promise<void>;

  const editField =
    (field: string, value: (item: Record<string, unknown>) => unknown): Tamper =>
    async (orgId, position) => {
      const item = await rawEvent(orgId, position);
      await putRaw({ ...item, [field]: value(item) });
    };

  const kinds: Record<string, Tamper> = {
    'edit action': editField('action', () => 'org.delete'),
    'edit time': editField('at', (item) => new Date(Date.parse(String(item.at)) - 1000).toISOString()),
    'edit actor': editField('actor', () => 'someone-else'),
    'edit resource': editField('resource', () => ({ type: 'job', id: 'other' })),
    'edit changes': editField('changes', () => ({ fields: ['stage'], values: { stage: 'forged' } })),
    'edit prevHash': editField('prevHash', () => 'f'.repeat(64)),
    'edit hash': editField('hash', () => 'e'.repeat(64)),
    delete: async (orgId, position) => {
      await documents.send(
        new DeleteCommand({
          TableName: auditTable,
          Key: { pk: orgPk(orgId), sk: await eventSkAt(orgId, position) },
        }),
      );
    },
    // Swap the contents of two neighbours (as stored, then with their numbers rewritten to fit the keys).
    reorder: async (orgId, position) => {
      const [a, b] = [await rawEvent(orgId, position), await rawEvent(orgId, position + 1)];
      await putRaw({ ...b, sk: a.sk });
      await putRaw({ ...a, sk: b.sk });
    },
    'reorder renumbered': async (orgId, position) => {
      const [a, b] = [await rawEvent(orgId, position), await rawEvent(orgId, position + 1)];
      await putRaw({ ...b, sk: a.sk, seq: a.seq });
      await putRaw({ ...a, sk: b.sk, seq: b.seq });
    },
    // A well-formed, correctly hashed forgery claiming `position`, under a key of its own beside the
    // event it imitates (no batch names it: it sits outside the chain, yet a listing would show it).
    insert: async (orgId, position, events) => {
      const prevHash = position === 1 ? '0'.repeat(64) : events[position - 2]!.hash;
      const at = events[Math.min(position, LENGTH) - 1]!.at;
      const base = {
        eventId: newId(),
        orgId,
        seq: position,
        at,
        actor: 'intruder',
        action: 'org.update',
        resource: { type: 'org', id: orgId },
        outcome: 'success' as const,
        requestId: 'forged',
        prevHash,
      };
      await putRaw({
        pk: orgPk(orgId),
        sk: auditEventSk(eventRef(base)),
        kind: 'event',
        ...base,
        hash: hashEvent(base),
      });
    },
  };

  const positions = (kind: string): number[] => {
    if (kind.startsWith('reorder')) return Array.from({ length: LENGTH - 1 }, (_, i) => i + 1);
    if (kind === 'insert') return Array.from({ length: LENGTH + 1 }, (_, i) => i + 1);
    return Array.from({ length: LENGTH }, (_, i) => i + 1);
  };
  const cases = Object.keys(kinds).flatMap((kind) =>
    positions(kind).map((position) => [kind, position] as const),
  );

  test('an untouched chain verifies', async () => {
    const orgId = newId();
    await appendEvents(orgId, LENGTH);
    await expect(verify(orgId)).resolves.toEqual({ valid: true, events: LENGTH, digests: 0 });
  });

  test.each(cases)('%s at event %i is detected at that event', async (kind, position) => {
    // Prepare
    const orgId = newId();
    const events = await appendEvents(orgId, LENGTH);
    // Act
    await kinds[kind]!(orgId, position, events);
    const result = await verify(orgId);
    // Assess
    expect(result.valid).toBe(false);
    expect(result.firstBrokenAt).toBe(position);
  });
});

describe('tamper evidence of the sequenced structure', () => {
  /** Nine events in three batches: 1–3, 4–6, 7–9. */
  async function threeBatches(orgId: string): Promise<AuditEvent[]> {
    for (let batch = 0; batch < 3; batch += 1) await appendEvents(orgId, 3);
    return chained(orgId);
  }

  const batchItem = (orgId: string, firstSeq: number) => rawItem(orgId, auditBatchSk(firstSeq));

  async function signed(
    orgId: string,
    body: Omit<SignedDigest, 'digestHash' | 'signature' | 'keyId' | 'signingAlgorithm'>,
  ): Promise<SignedDigest> {
    const message = digestMessage(body);
    const { signature, keyId } = await signer.sign(message);
    return {
      ...body,
      orgId,
      digestHash: message.toString('hex'),
      signature,
      keyId,
      signingAlgorithm: 'ECDSA_SHA_256',
    };
  }

  test.each([
    ['a middle batch', 4],
    ['the last batch', 7],
  ])('dropping %s is detected at its first event', async (_which, firstSeq) => {
    const orgId = newId();
    await threeBatches(orgId);
    await documents.send(
      new DeleteCommand({ TableName: auditTable, Key: { pk: orgPk(orgId), sk: auditBatchSk(firstSeq) } }),
    );
    await expect(verify(orgId)).resolves.toMatchObject({ valid: false, firstBrokenAt: firstSeq });
  });

  test.each([
    ['after the head', 10],
    ['in place of the next batch', 4],
  ])('a duplicated batch (%s) is detected where the copy sits', async (_where, at) => {
    const orgId = newId();
    await threeBatches(orgId);
    const first = await batchItem(orgId, 1);
    await putRaw({ ...first, sk: auditBatchSk(at), firstSeq: at });
    await expect(verify(orgId)).resolves.toMatchObject({ valid: false, firstBrokenAt: at });
  });

  test('two batches swapped are detected at the first moved event', async () => {
    const orgId = newId();
    await threeBatches(orgId);
    const [second, third] = [await batchItem(orgId, 4), await batchItem(orgId, 7)];
    await putRaw({ ...third, sk: second.sk, firstSeq: 4 });
    await putRaw({ ...second, sk: third.sk, firstSeq: 7 });
    await expect(verify(orgId)).resolves.toMatchObject({ valid: false, firstBrokenAt: 4 });
  });

  test('a forked checkpoint, validly signed, does not verify', async () => {
    // Prepare: the real checkpoint of 1–9, then a second one signed over another head for 1–5.
    const orgId = newId();
    const events = await threeBatches(orgId);
    await digestOrganization(
      { store: newLog(), signer, clock: systemClock },
      orgId,
      (await newLog().head(orgId))!,
    );
    const fork = await signed(orgId, {
      version: 1,
      orgId,
      fromSeq: 1,
      headSeq: 5,
      headHash: 'f'.repeat(64),
      count: 5,
      fromAt: events[0]!.at,
      toAt: events[4]!.at,
      prevDigestHash: '0'.repeat(64),
      createdAt: new Date().toISOString(),
    });
    // Act
    await putRaw({ pk: orgPk(orgId), sk: auditDigestSk(5), kind: 'digest', ...fork });
    // Assess: broken where the fork's head parts from the chain.
    await expect(verify(orgId)).resolves.toMatchObject({ valid: false, firstBrokenAt: 5, reason: 'digest' });
  });

  test('a checkpoint replaced by one signed over a rewritten chain does not verify', async () => {
    // Prepare
    const orgId = newId();
    await threeBatches(orgId);
    const real = await digestOrganization(
      { store: newLog(), signer, clock: systemClock },
      orgId,
      (await newLog().head(orgId))!,
    );
    const { digestHash: _h, signature: _s, keyId: _k, signingAlgorithm: _a, ...body } = real!;
    // Act
    await putRaw({
      pk: orgPk(orgId),
      sk: auditDigestSk(9),
      kind: 'digest',
      ...(await signed(orgId, { ...body, headHash: 'e'.repeat(64) })),
    });
    // Assess
    await expect(verify(orgId)).resolves.toMatchObject({ valid: false, firstBrokenAt: 1, reason: 'digest' });
  });

  test('an item no batch names, with no position of its own, is found once the sequencer should have reached it', async () => {
    // Prepare
    const orgId = newId();
    const events = await threeBatches(orgId);
    const { seq: _seq, prevHash: _prev, hash: _hash, ...content } = events[4]!;
    // Act: a copy under a key of its own, claiming no position.
    const forged = { ...content, eventId: newId(), actor: 'intruder' };
    await putRaw({ pk: orgPk(orgId), sk: auditEventSk(eventRef(forged)), kind: 'event', ...forged });
    // Assess: within the lag bound it may still be on its way; past it, it is missing from the chain.
    await expect(verify(orgId)).resolves.toMatchObject({ valid: true });
    await expect(verify(orgId, new Date(Date.now() + DAY_MS))).resolves.toMatchObject({
      valid: false,
      firstBrokenAt: 10,
      reason: 'unsequenced',
    });
  });

  test('an event the chain names twice, re-hashed to the head, is found', async () => {
    // Prepare
    const orgId = newId();
    const events = await threeBatches(orgId);
    const { hash: _hash, ...first } = events[0]!;
    const copy = { ...first, seq: 10, prevHash: events[8]!.hash };
    const hash = hashEvent(copy);
    // Act: a batch naming event 1 again after the head, and the head moved onto it.
    await putRaw({
      ...(await batchItem(orgId, 7)),
      sk: auditBatchSk(10),
      firstSeq: 10,
      prevHash: copy.prevHash,
      refs: [eventRef(first)],
      hashes: [hash],
    });
    await putRaw({ ...(await rawItem(orgId, AUDIT_HEAD_SK)), seq: 10, hash });
    // Assess
    await expect(verify(orgId, new Date(Date.now() + DAY_MS))).resolves.toMatchObject({
      valid: false,
      firstBrokenAt: 11,
      reason: 'chain',
    });
  });

  test('an event deleted before it was sequenced is still chained from the stream, and found missing there', async () => {
    // Prepare
    const orgId = newId();
    await appendEvents(orgId, 3);
    const [doomed] = await append(orgId, 1);
    // Act: the item goes; the stream still delivers what was written.
    await documents.send(
      new DeleteCommand({
        TableName: auditTable,
        Key: { pk: orgPk(orgId), sk: auditEventSk(eventRef(doomed!)) },
      }),
    );
    const summary = await sequenceEvents(sequencerStore(), [doomed!]);
    // Assess
    expect(summary.refused).toEqual([eventRef(doomed!)]);
    expect((await newLog().head(orgId))?.seq).toBe(4);
    await expect(verify(orgId)).resolves.toMatchObject({ valid: false, firstBrokenAt: 4 });
  });
  test.each([
    ['distinct times', systemClock],
    ['one and the same time', { now: () => new Date('2026-12-02T12:00:00.000Z') }],
  ])(
    'events deleted before they were sequenced are refused by reference, and none of the others (%s)',
    async (_times, clock) => {
      // Prepare: five events after a head; the second and fourth are deleted, both ends stay.
      const orgId = newId();
      await appendEvents(orgId, 1, newWriter(clock));
      const appended = await append(orgId, 5, newWriter(clock));
      const sorted = [...appended].sort((x, y) => eventRef(x).localeCompare(eventRef(y)));
      const doomed = [sorted[1]!, sorted[3]!];
      for (const event of doomed)
        await documents.send(
          new DeleteCommand({
            TableName: auditTable,
            Key: { pk: orgPk(orgId), sk: auditEventSk(eventRef(event)) },
          }),
        );
      // Act
      const summary = await sequenceEvents(sequencerStore(), appended);
      // Assess: exactly those two, all five chained from the stream.
      expect([...summary.refused].sort()).toEqual(doomed.map(eventRef).sort());
      expect(summary.sequenced).toBe(5);
    },
  );

  test('a delivery whose events span much of the log reads a few items per event, then looks up the rest by key', async () => {
    // Prepare: a late event (an hour old), 60 events after it, then two fresh ones, one deleted.
    const orgId = newId();
    const late = await append(orgId, 1, newWriter({ now: () => new Date(Date.now() - 3_600_000) }));
    await append(orgId, 60);
    const fresh = await append(orgId, 2);
    await documents.send(
      new DeleteCommand({
        TableName: auditTable,
        Key: { pk: orgPk(orgId), sk: auditEventSk(eventRef(fresh[1]!)) },
      }),
    );
    const { client, commands, destroy } = countingClient();
    const store = sequencerStore(client);
    try {
      // Act: the existence check alone, for the three delivered events.
      const missing = await store.missing(orgId, [...late, ...fresh]);
      // Assess: the range read stopped at its budget (12 items, short of the 63 in range); the two
      // fresh events past it were looked up by key, and only the deleted one is missing.
      expect(missing).toEqual([eventRef(fresh[1]!)]);
      expect(commands).toEqual(['QueryCommand', 'BatchGetItemCommand']);
    } finally {
      destroy();
    }
  });
});

describe('concurrent writers', () => {
  let sequencer: TestSequencer;

  beforeAll(async () => {
    sequencer = await startTestSequencer();
  });

  afterAll(() => sequencer.stop());

  test.each([1, 16, 64])(
    '%i writers in one organization: every event in the chain exactly once, in a verifiable order',
    async (writers) => {
      // Prepare
      const orgId = newId();
      const perWriter = Math.max(2, Math.floor(64 / writers));
      // Act: separate writer instances, as separate Lambda instances would be; the stream sequences.
      const written = await Promise.all(
        Array.from({ length: writers }, (_, w) => append(orgId, perWriter, newWriter(), `writer-${w}`)),
      );
      await sequencer.caughtUp();
      // Assess
      const total = writers * perWriter;
      const ids = written.flat().map((e) => e.eventId);
      const events = await chained(orgId);
      expect(events.map((e) => e.seq)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
      expect(events.map((e) => e.eventId).sort()).toEqual([...ids].sort());
      // Each writer's own events keep their order in the chain.
      for (const own of written) {
        const positions = own.map((e) => events.findIndex((c) => c.eventId === e.eventId));
        expect(positions).toEqual([...positions].sort((a, b) => a - b));
      }
      await expect(verify(orgId)).resolves.toMatchObject({ valid: true, events: total });
    },
    120_000,
  );
});

describe('signed digests', () => {
  const digestDeps = () => ({ store: newLog(), signer, clock: systemClock });
  const claims = () => new DynamoCheckpointClaims(documents, auditTable);
  /**
   * The checkpoint queue through the real adapter (nothing consumes it in the tests), its requests
   * recorded: the emulator holds a delayed message for real seconds, so a test moves the domain
   * clock instead and delivers a request itself when it is due.
   */
  const checkpointRequests = () => {
    const sent: Array<{ orgId: string; delaySeconds: number }> = [];
    const real = new SqsCheckpointQueue(sqsClient, provisionedResources().queues.checkpoints.url);
    const queue = {
      schedule: async (orgId: string, delaySeconds: number) => {
        sent.push({ orgId, delaySeconds });
        await real.schedule(orgId, delaySeconds);
      },
    };
    return { sent, queue };
  };
  /** The real KMS signer, its Sign calls counted; `failNext` makes the next one fail (a crash). */
  const countingSigner = () => {
    const counted = { signs: 0, failNext: false };
    const signing = {
      sign: async (message: Buffer) => {
        counted.signs += 1;
        if (counted.failNext) {
          counted.failNext = false;
          throw new Error('the instance died before KMS answered');
        }
        return signer.sign(message);
      },
      publicKeyPem: (keyId?: string) => signer.publicKeyPem(keyId),
    };
    return { counted, signing };
  };

  test('a digest signed by KMS verifies, with KMS Verify and in the chain walk', async () => {
    // Prepare
    const orgId = newId();
    await appendEvents(orgId, 5);
    // Act
    const first = await digestOrganization(digestDeps(), orgId, (await newLog().head(orgId))!);
    await appendEvents(orgId, 3);
    const second = await digestOrganization(digestDeps(), orgId, (await newLog().head(orgId))!);
    const again = await digestOrganization(digestDeps(), orgId, (await newLog().head(orgId))!);
    // Assess
    expect(first).toMatchObject({ fromSeq: 1, headSeq: 5, count: 5 });
    expect(second).toMatchObject({ fromSeq: 6, headSeq: 8, count: 3, prevDigestHash: first!.digestHash });
    expect(again).toBeUndefined();
    const kmsVerdict = await kmsClient.send(
      new VerifyCommand({
        KeyId: second!.keyId,
        Message: digestMessage(second!),
        MessageType: 'DIGEST',
        Signature: Buffer.from(second!.signature, 'base64'),
        SigningAlgorithm: 'ECDSA_SHA_256',
      }),
    );
    expect(kmsVerdict.SignatureValid).toBe(true);
    await expect(verify(orgId)).resolves.toEqual({ valid: true, events: 8, digests: 2 });
  });

  test.each([
    ['count', (d: Record<string, unknown>) => ({ ...d, count: 2 }), 'digest'],
    ['head hash', (d: Record<string, unknown>) => ({ ...d, headHash: 'a'.repeat(64) }), 'digest'],
    [
      'signature',
      (d: Record<string, unknown>) => ({
        ...d,
        signature: Buffer.from('not a signature').toString('base64'),
      }),
      'signature',
    ],
  ])('a digest with a modified %s fails verification', async (_what, modify, reason) => {
    const orgId = newId();
    await appendEvents(orgId, 4);
    const digest = await digestOrganization(digestDeps(), orgId, (await newLog().head(orgId))!);
    const { Item } = await documents.send(
      new GetCommand({
        TableName: auditTable,
        Key: { pk: orgPk(orgId), sk: auditDigestSk(digest!.headSeq) },
      }),
    );
    await putRaw(modify(Item!));
    await expect(verify(orgId)).resolves.toMatchObject({ valid: false, reason });
  });

  test('an edit re-hashed all the way to the head is caught by the signed digest', async () => {
    // Prepare
    const orgId = newId();
    await appendEvents(orgId, 6);
    await digestOrganization(digestDeps(), orgId, (await newLog().head(orgId))!);
    // Act: rewrite event 3 and re-chain 3..6 (their hashes live in the batch) and the head, as
    // someone with table access could.
    const batch = await rawItem(orgId, auditBatchSk(1));
    const hashes = [...(batch.hashes as string[])];
    const events = await chained(orgId);
    let prevHash = hashes[1]!;
    for (let seq = 3; seq <= 6; seq += 1) {
      const { hash: _hash, ...event } = events[seq - 1]!;
      const rewritten = { ...event, prevHash, ...(seq === 3 ? { action: 'org.delete' } : {}) };
      if (seq === 3) await putRaw({ ...(await rawEvent(orgId, 3)), action: 'org.delete' });
      prevHash = hashEvent(rewritten);
      hashes[seq - 1] = prevHash;
    }
    await putRaw({ ...batch, hashes });
    await documents.send(
      new UpdateCommand({
        TableName: auditTable,
        Key: { pk: orgPk(orgId), sk: AUDIT_HEAD_SK },
        UpdateExpression: 'SET #h = :h',
        ExpressionAttributeNames: { '#h': 'hash' },
        ExpressionAttributeValues: { ':h': prevHash },
      }),
    );
    // The rewritten chain holds together: only the signature can tell.
    expect((await chained(orgId))[2]).toMatchObject({ action: 'org.delete', hash: hashes[2] });
    // Assess
    await expect(verify(orgId)).resolves.toMatchObject({ valid: false, reason: 'digest', firstBrokenAt: 1 });
  });

  test('the sequencer signs at most one checkpoint per organization per interval', async () => {
    // Prepare: a signer that counts its KMS Sign calls, and a clock the test moves.
    const orgId = newId();
    let signs = 0;
    const counting = {
      sign: async (message: Buffer) => ((signs += 1), signer.sign(message)),
      publicKeyPem: (keyId?: string) => signer.publicKeyPem(keyId),
    };
    let now = Date.now();
    const deps = {
      store: newLog(),
      signer: counting,
      clock: { now: () => new Date(now) },
      claims: claims(),
      queue: checkpointRequests().queue,
    };
    // Act: busy batches within one 10 s interval, then one after it.
    for (let batch = 0; batch < 4; batch += 1) {
      await appendEvents(orgId, 2);
      await checkpointIfDue(deps, orgId, 10_000);
      now += 1_000;
    }
    const withinInterval = signs;
    now += 10_000;
    await appendEvents(orgId, 1);
    await checkpointIfDue(deps, orgId, 10_000);
    // Assess
    expect(withinInterval).toBe(1);
    expect(signs).toBe(2);
    expect(await newLog().latestDigest(orgId)).toMatchObject({ headSeq: 9 });
    await expect(verify(orgId)).resolves.toEqual({ valid: true, events: 9, digests: 2 });
  });

  test('two checkpoint requests racing for one organization sign once: the claim comes before KMS', async () => {
    // Prepare: a sequenced chain due for its first checkpoint, and two instances' dependencies.
    const orgId = newId();
    await appendEvents(orgId, 3);
    const { counted, signing } = countingSigner();
    const instance = () => ({
      store: newLog(),
      signer: signing,
      clock: systemClock,
      claims: claims(),
      queue: checkpointRequests().queue,
    });
    // Act: the same request handled by two instances at the same moment.
    const [a, b] = await Promise.all([
      checkpointIfDue(instance(), orgId, 10_000),
      checkpointIfDue(instance(), orgId, 10_000),
    ]);
    // Assess
    expect(counted.signs).toBe(1);
    expect([a, b].filter((digest) => digest !== undefined)).toHaveLength(1);
    await expect(verify(orgId)).resolves.toEqual({ valid: true, events: 3, digests: 1 });
  });

  test('a claim whose signature never came lapses after the interval, and the next request signs', async () => {
    // Prepare: a request that takes the claim and dies before KMS answers.
    const orgId = newId();
    await appendEvents(orgId, 2);
    const { counted, signing } = countingSigner();
    let now = Date.now();
    const deps = {
      store: newLog(),
      signer: signing,
      clock: { now: () => new Date(now) },
      claims: claims(),
      queue: checkpointRequests().queue,
    };
    counted.failNext = true;
    await expect(checkpointIfDue(deps, orgId, 10_000)).rejects.toThrow('died');
    // Act: its redelivery within the interval, then one after the claim lapsed.
    now += 9_000;
    const within = await checkpointIfDue(deps, orgId, 10_000);
    now += 1_000;
    const after = await checkpointIfDue(deps, orgId, 10_000);
    // Assess
    expect(within).toBeUndefined();
    expect(after).toMatchObject({ headSeq: 2 });
    expect(counted.signs).toBe(2);
  });

  test('a signer whose claim lapsed while it signed writes nothing: the checkpoint that took the claim stands alone', async () => {
    // Prepare: request A takes the claim; during its KMS Sign the chain moves, the interval passes
    // and request B takes the lapsed claim and signs the later head from the same (no) checkpoint.
    const orgId = newId();
    await appendEvents(orgId, 2);
    let now = Date.now();
    const clock = { now: () => new Date(now) };
    const { counted, signing } = countingSigner();
    const b = {
      store: newLog(),
      signer: signing,
      clock,
      claims: claims(),
      queue: checkpointRequests().queue,
    };
    let bSigned: SignedDigest | undefined;
    let stalled = true;
    const a = {
      ...b,
      store: newLog(),
      signer: {
        ...signing,
        sign: async (message: Buffer) => {
          if (stalled) {
            stalled = false;
            await appendEvents(orgId, 1);
            now += 10_000;
            bSigned = await checkpointIfDue(b, orgId, 10_000);
          }
          return signing.sign(message);
        },
      },
    };
    // Act
    const aSigned = await checkpointIfDue(a, orgId, 10_000);
    // Assess: both signed, only B's checkpoint is written, and the log verifies.
    expect(counted.signs).toBe(2);
    expect(bSigned).toMatchObject({ fromSeq: 1, headSeq: 3 });
    expect(aSigned).toBeUndefined();
    await expect(verify(orgId)).resolves.toEqual({ valid: true, events: 3, digests: 1 });
  });

  const reviewDeps = () => ({
    ...digestDeps(),
    retentionDays: RETENTION_DAYS,
    intervalMs: 10_000,
    claims: claims(),
    queue: checkpointRequests().queue,
  });
  const unreviewed = async (): Promise<string[]> => {
    const orgs: string[] = [];
    for await (const orgId of newLog().unreviewed()) orgs.push(orgId);
    return orgs;
  };

  test('a quiet tail is signed when its interval ends, and a burst asks for one checkpoint per interval', async () => {
    // Prepare: a signer that counts its KMS Sign calls, and a clock the test moves.
    const orgId = newId();
    let signs = 0;
    const counting = {
      sign: async (message: Buffer) => ((signs += 1), signer.sign(message)),
      publicKeyPem: (keyId?: string) => signer.publicKeyPem(keyId),
    };
    let now = Date.now();
    const clock = { now: () => new Date(now) };
    // Recorded rather than sent: the emulator holds a delayed message for real seconds, so the test
    // moves the domain clock instead and delivers each request itself when it is due.
    const requests: Array<{ orgId: string; delaySeconds: number }> = [];
    const deps = {
      store: newLog(),
      signer: counting,
      clock,
      claims: claims(),
      queue: {
        schedule: async (org: string, delaySeconds: number) =>
          void requests.push({ orgId: org, delaySeconds }),
      },
      scheduled: new TailSchedule(),
    };
    const sequenced = async () => {
      await appendEvents(orgId, 1, newWriter(clock));
      await checkpointOrSchedule(deps, orgId, 10_000);
    };
    // Act: a first batch (no checkpoint yet: asked for at once, signed when the request arrives),
    // a burst of five within the interval, then a quiet tail.
    await sequenced();
    await sequenced(); // still no checkpoint, already asked for: not asked again
    const first = await checkpointIfDue(deps, orgId, 10_000);
    for (let i = 0; i < 4; i += 1) {
      now += 1_000;
      await sequenced();
    }
    now += 6_000; // the interval since the first checkpoint ends: the delayed request arrives
    const tail = await checkpointIfDue(deps, orgId, 10_000);
    now += 2_000; // the same request delivered twice signs nothing more
    const again = await checkpointIfDue(deps, orgId, 10_000);
    // Assess: the sequencer only asks; the one signing path signs once per interval.
    expect(first).toMatchObject({ headSeq: 2 });
    expect(requests).toEqual([
      { orgId, delaySeconds: 0 },
      { orgId, delaySeconds: 9 },
    ]);
    // The last event (6 s before) and the first unsigned one (9 s before) are signed within the interval.
    expect(tail).toMatchObject({ headSeq: 6, fromSeq: 3 });
    expect(again).toBeUndefined();
    expect(signs).toBe(2);
    // The next interval asks again, once.
    await sequenced();
    await sequenced();
    expect(requests).toHaveLength(3);
    expect(signs).toBe(2);
  });

  test('a checkpoint request whose send failed is asked for again when the batch is redelivered', async () => {
    // Prepare: a chain with no checkpoint yet, and a queue whose first send fails.
    const orgId = newId();
    await appendEvents(orgId, 1);
    const requests: number[] = [];
    let sends = 0;
    const sequencer = {
      store: newLog(),
      clock: systemClock,
      queue: {
        schedule: async (_org: string, delaySeconds: number) => {
          sends += 1;
          if (sends === 1) throw new Error('send failed');
          requests.push(delaySeconds);
        },
      },
      scheduled: new TailSchedule(),
    };
    // Act: the first delivery's request is lost in sending (the delivery fails); its redelivery,
    // then a later batch.
    await expect(checkpointOrSchedule(sequencer, orgId, 10_000)).rejects.toThrow('send failed');
    await checkpointOrSchedule(sequencer, orgId, 10_000);
    await checkpointOrSchedule(sequencer, orgId, 10_000);
    // Assess: asked for at once when it could be sent, and only once.
    expect(requests).toEqual([0]);
  });

  test('a batch chained while a checkpoint signs is asked for again, and signed within the next interval', async () => {
    // Prepare: a chain due for its first checkpoint, its request already sent by the sequencer,
    // and a signer during whose KMS call the sequencer chains one more batch (after the head read,
    // before the digest write: the sequencer still sees no checkpoint, and asks for nothing new).
    const orgId = newId();
    let now = Date.now();
    const clock = { now: () => new Date(now) };
    const { sent, queue } = checkpointRequests();
    const sequencer = { store: newLog(), clock, queue, scheduled: new TailSchedule() };
    await appendEvents(orgId, 2, newWriter(clock));
    await checkpointOrSchedule(sequencer, orgId, 10_000);
    const { counted, signing } = countingSigner();
    let chainMoves = true;
    const deps = {
      store: newLog(),
      clock,
      claims: claims(),
      queue,
      signer: {
        ...signing,
        sign: async (message: Buffer) => {
          if (chainMoves) {
            chainMoves = false;
            await appendEvents(orgId, 1, newWriter(clock));
            await checkpointOrSchedule(sequencer, orgId, 10_000);
          }
          return signing.sign(message);
        },
      },
    };
    // Act: the sequencer's request, then the one it left (if any) when it falls due.
    const first = await checkpointIfDue(deps, orgId, 10_000);
    const asked = [...sent];
    now += 10_000;
    const tail = await checkpointIfDue(deps, orgId, 10_000);
    // Assess: the request signed 2 and asked again for the end of its interval, which signed 3.
    expect(first).toMatchObject({ headSeq: 2 });
    expect(asked).toEqual([
      { orgId, delaySeconds: 0 },
      { orgId, delaySeconds: 10 },
    ]);
    expect(tail).toMatchObject({ fromSeq: 3, headSeq: 3 });
    expect(counted.signs).toBe(2);
    expect(sent).toHaveLength(2);
    await expect(verify(orgId)).resolves.toEqual({ valid: true, events: 3, digests: 2 });
  });

  test('a review within the interval after a checkpoint signs nothing and keeps the flag; after it, it signs', async () => {
    // Prepare: a checkpoint at 2, one more event, the real signer's Sign calls counted.
    const orgId = newId();
    let now = Date.now() - 10_000;
    const { counted, signing } = countingSigner();
    const deps = {
      ...reviewDeps(),
      signer: signing,
      clock: { now: () => new Date(now) },
    };
    await appendEvents(orgId, 2);
    await checkpointIfDue(deps, orgId, 10_000);
    await appendEvents(orgId, 1);
    // Act: a review 5 s after the checkpoint, then one an interval after it.
    now += 5_000;
    const within = await reviewOrganization(deps, orgId);
    const flaggedAfterWithin = await unreviewed();
    now += 5_000;
    const after = await reviewOrganization(deps, orgId);
    // Assess
    expect(within).toEqual({ signed: false });
    expect(flaggedAfterWithin).toContain(orgId);
    expect(after).toEqual({ signed: true });
    expect(counted.signs).toBe(2);
    expect(await newLog().latestDigest(orgId)).toMatchObject({ headSeq: 3 });
    expect(await unreviewed()).not.toContain(orgId);
  });

  test('the scheduled review signs the tail a quiet organization left unsigned, verifies it, and clears its flag', async () => {
    // Prepare: a checkpoint at 2, then one more event within the interval (no checkpoint due); the
    // checkpoints are an interval older than the review, which signs only then (docs/decisions/0021).
    const orgId = newId();
    const deps = {
      ...digestDeps(),
      clock: { now: () => new Date(Date.now() - 10_000) },
      claims: claims(),
      queue: checkpointRequests().queue,
    };
    await appendEvents(orgId, 2);
    await checkpointIfDue(deps, orgId, 10_000);
    await appendEvents(orgId, 1);
    await checkpointIfDue(deps, orgId, 10_000);
    expect(await newLog().latestDigest(orgId)).toMatchObject({ headSeq: 2 });
    expect(await unreviewed()).toContain(orgId);
    // Act
    const review = await reviewOrganization(reviewDeps(), orgId);
    // Assess
    expect(review).toEqual({ signed: true });
    expect(await newLog().latestDigest(orgId)).toMatchObject({ headSeq: 3 });
    expect(await unreviewed()).not.toContain(orgId);
    await expect(verify(orgId)).resolves.toEqual({ valid: true, events: 3, digests: 2 });
  });

  test('the scheduled review reports a log that does not verify, by organization and position', async () => {
    const orgId = newId();
    await appendEvents(orgId, 3);
    await putRaw({ ...(await rawEvent(orgId, 2)), action: 'org.delete' });
    await expect(reviewOrganization(reviewDeps(), orgId)).resolves.toEqual({
      signed: true,
      broken: { orgId, firstBrokenAt: 2, reason: 'chain' },
    });
  });

  // The run reviews every flagged organization of the shared test table, this file's long chains included.
  test('the scheduled run reviews every flagged organization, found without a Scan, and clears their flags', async () => {
    const orgId = newId();
    await appendEvents(orgId, 2);
    const run = await reviewAuditLogs(reviewDeps());
    expect(run.organizations).toBeGreaterThanOrEqual(1);
    expect(run.failed).toBe(0);
    expect(await newLog().latestDigest(orgId)).toMatchObject({ headSeq: 2 });
    expect(await unreviewed()).not.toContain(orgId);
  }, 180_000);

  test('a chain that moved on during the review keeps its flag for the next run', async () => {
    const orgId = newId();
    await appendEvents(orgId, 2);
    const reviewed = (await newLog().head(orgId))!;
    await appendEvents(orgId, 1);
    await newLog().markReviewed(orgId, reviewed);
    expect(await unreviewed()).toContain(orgId);
  });
});

describe('erasure and retention', () => {
  test('pseudonymising a user removes their identifying details and verification still passes', async () => {
    // Prepare
    const orgId = newId();
    await appendEvents(orgId, 3, newWriter(), 'leaver');
    await appendEvents(orgId, 2, newWriter(), 'stayer');
    await digestOrganization(
      { store: newLog(), signer, clock: systemClock },
      orgId,
      (await newLog().head(orgId))!,
    );
    // Act
    const changed = await pseudonymiseActor(newLog(), orgId, 'leaver');
    // Assess
    expect(changed).toBe(3);
    const stored: AuditEvent[] = [];
    for await (const { event } of newLog().events(orgId)) stored.push(event);
    for (const event of stored.filter((e) => e.actor === 'leaver')) {
      expect(event).not.toHaveProperty('actorEmail');
      expect(event).not.toHaveProperty('ip');
      expect(event).not.toHaveProperty('userAgent');
    }
    expect(
      stored.filter((e) => e.actor === 'stayer').every((e) => e.actorEmail === 'stayer@example.test'),
    ).toBe(true);
    await expect(verify(orgId)).resolves.toEqual({ valid: true, events: 5, digests: 1 });
  });

  test('events carry expiresAt from the retention period', async () => {
    const orgId = newId();
    const [event] = await appendEvents(orgId, 1);
    const item = await rawEvent(orgId, 1);
    expect(item.expiresAt).toBe(Math.floor(Date.parse(event!.at) / 1000) + RETENTION_DAYS * 86400);
  });

  async function chainWithDigests(orgId: string): Promise<void> {
    await appendEvents(orgId, 5);
    await digestOrganization(
      { store: newLog(), signer, clock: systemClock },
      orgId,
      (await newLog().head(orgId))!,
    );
    await appendEvents(orgId, 5);
    await digestOrganization(
      { store: newLog(), signer, clock: systemClock },
      orgId,
      (await newLog().head(orgId))!,
    );
  }

  async function expire(orgId: string, seqs: number[]): Promise<void> {
    for (const seq of seqs)
      await documents.send(
        new DeleteCommand({
          TableName: auditTable,
          Key: { pk: orgPk(orgId), sk: await eventSkAt(orgId, seq) },
        }),
      );
  }

  const afterRetention = () => new Date(Date.now() + (RETENTION_DAYS + 1) * DAY_MS);

  test.each([
    ['inside a digest range', [1, 2, 3], 7],
    ['up to a digest boundary', [1, 2, 3, 4, 5], 5],
  ])(
    'a chain whose oldest events expired (%s) verifies from the first remaining event',
    async (_where, expired, remaining) => {
      const orgId = newId();
      await chainWithDigests(orgId);
      await expire(orgId, expired);
      await expect(verify(orgId, afterRetention())).resolves.toEqual({
        valid: true,
        events: remaining,
        digests: 2,
      });
    },
  );

  test('the same missing events before the retention period are a deletion', async () => {
    const orgId = newId();
    await chainWithDigests(orgId);
    await expire(orgId, [1, 2, 3]);
    await expect(verify(orgId)).resolves.toMatchObject({
      valid: false,
      firstBrokenAt: 1,
      reason: 'missing-start',
    });
  });

  test('a gap after the first remaining event stays a deletion after the retention period', async () => {
    const orgId = newId();
    await chainWithDigests(orgId);
    await expire(orgId, [1, 2, 7]);
    await expect(verify(orgId, afterRetention())).resolves.toMatchObject({ valid: false, firstBrokenAt: 7 });
  });
});
