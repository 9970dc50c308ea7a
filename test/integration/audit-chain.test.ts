/**
 * The audit chain against DynamoDB Local and the local KMS endpoint: atomicity of a change and its
 * event, tamper detection at the tampered position, concurrent writers, signed digests, erasure of
 * identifying details and retention — all through the real adapters, tampering the raw table.
 */
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient, VerifyCommand } from '@aws-sdk/client-kms';
import { AuditedWriter, auditEventSk } from '../../shared/adapters/aws/audited-writer.ts';
import { DynamoAuditLog, auditDigestSk } from '../../shared/adapters/aws/dynamo-audit-log.ts';
import { KmsDigestSigner } from '../../shared/adapters/aws/kms-signer.ts';
import { orgPk } from '../../shared/adapters/aws/records-keys.ts';
import { hashEvent } from '../../shared/domain/audit-chain.ts';
import { digestMessage } from '../../shared/domain/audit-digest.ts';
import { newId } from '../../shared/domain/ids.ts';
import type { AuditActor, AuditEvent } from '../../shared/ports/audit.ts';
import { systemClock, type Clock } from '../../shared/ports/clock.ts';
import { digestOrganization, writeDigests } from '../../shared/use-cases/audit-digests.ts';
import { pseudonymiseActor } from '../../shared/use-cases/audit-erasure.ts';
import { verifyOrganizationLog } from '../../shared/use-cases/audit-verify.ts';
import { testEnv } from '../support/test-stack.ts';

const RETENTION_DAYS = 400;
const DAY_MS = 24 * 60 * 60 * 1000;

let raw: DynamoDBClient;
let documents: DynamoDBDocumentClient;
let kmsClient: KMSClient;
let auditTable: string;
let recordsTable: string;
let signer: KmsDigestSigner;

const actor = (userId = 'user-1'): AuditActor => ({ userId, email: `${userId}@example.test`, sourceIp: '192.0.2.1', userAgent: 'jest', requestId: newId() });

function newWriter(clock: Clock = systemClock): AuditedWriter {
  return new AuditedWriter(documents, auditTable, clock, { retentionDays: RETENTION_DAYS });
}

function newLog(writer: AuditedWriter = newWriter()): DynamoAuditLog {
  return new DynamoAuditLog(documents, auditTable, writer, 'x'.repeat(32));
}

function verify(orgId: string, now: Date = new Date()) {
  return verifyOrganizationLog({ audit: newLog(), signer, clock: { now: () => now }, retentionDays: RETENTION_DAYS }, orgId);
}

async function appendEvents(orgId: string, count: number, writer = newWriter(), user = 'user-1'): Promise<AuditEvent[]> {
  const events: AuditEvent[] = [];
  for (let i = 0; i < count; i += 1) {
    events.push(await writer.append({ orgId, action: 'job.update', resource: { type: 'job', id: `job-${i}` }, outcome: 'success', changes: { fields: ['stage'], values: { stage: `s${i}` } } }, actor(user)));
  }
  return events;
}

async function rawEvent(orgId: string, seq: number): Promise<Record<string, unknown>> {
  const { Item } = await documents.send(new GetCommand({ TableName: auditTable, Key: { pk: orgPk(orgId), sk: auditEventSk(seq) } }));
  if (Item === undefined) throw new Error(`no event ${seq}`);
  return Item;
}

async function putRaw(item: Record<string, unknown>): Promise<void> {
  await documents.send(new PutCommand({ TableName: auditTable, Item: item }));
}

beforeAll(() => {
  auditTable = testEnv('AUDIT_TABLE');
  recordsTable = testEnv('RECORDS_TABLE');
  raw = new DynamoDBClient({});
  documents = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
  kmsClient = new KMSClient({});
  signer = new KmsDigestSigner(testEnv('AUDIT_SIGNING_KEY_ID'), kmsClient);
});

afterAll(() => {
  raw.destroy();
  kmsClient.destroy();
});

describe('atomicity', () => {
  test('a change whose audit write fails leaves no change', async () => {
    // Prepare: a records item, a chain of 2 events, and the key of event 3 already taken.
    const orgId = newId();
    const key = { pk: orgPk(orgId), sk: 'ORG' };
    await documents.send(new PutCommand({ TableName: recordsTable, Item: { ...key, name: 'before' } }));
    const writer = newWriter();
    await appendEvents(orgId, 2, writer);
    await putRaw({ pk: orgPk(orgId), sk: auditEventSk(3), kind: 'event', squatted: true });
    // Act
    const commit = writer.commit([{ Put: { TableName: recordsTable, Item: { ...key, name: 'after' } } }], { orgId, action: 'org.update', resource: { type: 'org', id: orgId }, outcome: 'success' }, actor());
    // Assess
    await expect(commit).rejects.toThrow();
    const { Item } = await documents.send(new GetCommand({ TableName: recordsTable, Key: key, ConsistentRead: true }));
    expect(Item?.name).toBe('before');
    expect((await newLog().head(orgId))?.seq).toBe(2);
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
      await documents.send(new DeleteCommand({ TableName: auditTable, Key: { pk: orgPk(orgId), sk: auditEventSk(position) } }));
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
    // A well-formed, correctly hashed forgery slipped in before `position` under a key that sorts there.
    insert: async (orgId, position, events) => {
      const prevHash = position === 1 ? '0'.repeat(64) : events[position - 2]!.hash;
      const base = { eventId: newId(), orgId, seq: position, at: new Date().toISOString(), actor: 'intruder', action: 'org.update', resource: { type: 'org', id: orgId }, outcome: 'success' as const, requestId: 'forged', prevHash };
      const sk = position === LENGTH + 1 ? auditEventSk(position) : `${auditEventSk(position - 1)}#forged`;
      await putRaw({ pk: orgPk(orgId), sk, kind: 'event', ...base, hash: hashEvent(base) });
    },
  };

  const positions = (kind: string): number[] => {
    if (kind.startsWith('reorder')) return Array.from({ length: LENGTH - 1 }, (_, i) => i + 1);
    if (kind === 'insert') return Array.from({ length: LENGTH + 1 }, (_, i) => i + 1);
    return Array.from({ length: LENGTH }, (_, i) => i + 1);
  };
  const cases = Object.keys(kinds).flatMap((kind) => positions(kind).map((position) => [kind, position] as const));

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

describe('concurrent writers', () => {
  test.each([1, 4, 16])('%i writers in one organization keep one chain with every event', async (writers) => {
    // Prepare
    const orgId = newId();
    const perWriter = 8;
    // Act: separate writer instances (separate head caches), as separate Lambda instances would be.
    const written = await Promise.all(Array.from({ length: writers }, (_, w) => appendEvents(orgId, perWriter, newWriter(), `writer-${w}`)));
    // Assess
    const total = writers * perWriter;
    const ids = written.flat().map((e) => e.eventId);
    expect(new Set(ids).size).toBe(total);
    const seqs = written.flat().map((e) => e.seq).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    await expect(verify(orgId)).resolves.toEqual({ valid: true, events: total, digests: 0 });
    const stored: string[] = [];
    for await (const { event } of newLog().events(orgId)) stored.push(event.eventId);
    expect(stored.sort()).toEqual([...ids].sort());
  });
});

describe('signed digests', () => {
  const digestDeps = () => ({ store: newLog(), signer, clock: systemClock });

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
      new VerifyCommand({ KeyId: second!.keyId, Message: digestMessage(second!), MessageType: 'DIGEST', Signature: Buffer.from(second!.signature, 'base64'), SigningAlgorithm: 'ECDSA_SHA_256' }),
    );
    expect(kmsVerdict.SignatureValid).toBe(true);
    await expect(verify(orgId)).resolves.toEqual({ valid: true, events: 8, digests: 2 });
  });

  test.each([
    ['count', (d: Record<string, unknown>) => ({ ...d, count: 2 }), 'digest'],
    ['head hash', (d: Record<string, unknown>) => ({ ...d, headHash: 'a'.repeat(64) }), 'digest'],
    ['signature', (d: Record<string, unknown>) => ({ ...d, signature: Buffer.from('not a signature').toString('base64') }), 'signature'],
  ])('a digest with a modified %s fails verification', async (_what, modify, reason) => {
    const orgId = newId();
    await appendEvents(orgId, 4);
    const digest = await digestOrganization(digestDeps(), orgId, (await newLog().head(orgId))!);
    const { Item } = await documents.send(new GetCommand({ TableName: auditTable, Key: { pk: orgPk(orgId), sk: auditDigestSk(digest!.headSeq) } }));
    await putRaw(modify(Item!));
    await expect(verify(orgId)).resolves.toMatchObject({ valid: false, reason });
  });

  test('an edit re-hashed all the way to the head is caught by the signed digest', async () => {
    // Prepare
    const orgId = newId();
    await appendEvents(orgId, 6);
    await digestOrganization(digestDeps(), orgId, (await newLog().head(orgId))!);
    // Act: rewrite event 3 and re-chain 3..6 and the head, as someone with table access could.
    let prevHash = String((await rawEvent(orgId, 2)).hash);
    for (let seq = 3; seq <= 6; seq += 1) {
      const item = await rawEvent(orgId, seq);
      const rewritten = { ...item, prevHash, ...(seq === 3 ? { action: 'org.delete' } : {}) };
      const hash = hashEvent(rewritten as unknown as AuditEvent);
      await putRaw({ ...rewritten, hash });
      prevHash = hash;
    }
    await documents.send(new UpdateCommand({ TableName: auditTable, Key: { pk: orgPk(orgId), sk: 'HEAD' }, UpdateExpression: 'SET #h = :h', ExpressionAttributeNames: { '#h': 'hash' }, ExpressionAttributeValues: { ':h': prevHash } }));
    // Assess
    await expect(verify(orgId)).resolves.toMatchObject({ valid: false, reason: 'digest', firstBrokenAt: 1 });
  });

  test('the scheduled run digests every advanced chain once', async () => {
    const orgId = newId();
    await appendEvents(orgId, 3);
    const firstRun = await writeDigests(digestDeps());
    const secondRun = await writeDigests(digestDeps());
    expect(firstRun.written).toBeGreaterThanOrEqual(1);
    expect(firstRun.failed).toBe(0);
    expect(await newLog().latestDigest(orgId)).toMatchObject({ headSeq: 3 });
    expect(secondRun.written).toBe(0);
  });
});

describe('erasure and retention', () => {
  test("pseudonymising a user removes their identifying details and verification still passes", async () => {
    // Prepare
    const orgId = newId();
    await appendEvents(orgId, 3, newWriter(), 'leaver');
    await appendEvents(orgId, 2, newWriter(), 'stayer');
    await digestOrganization({ store: newLog(), signer, clock: systemClock }, orgId, (await newLog().head(orgId))!);
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
    expect(stored.filter((e) => e.actor === 'stayer').every((e) => e.actorEmail === 'stayer@example.test')).toBe(true);
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
    await digestOrganization({ store: newLog(), signer, clock: systemClock }, orgId, (await newLog().head(orgId))!);
    await appendEvents(orgId, 5);
    await digestOrganization({ store: newLog(), signer, clock: systemClock }, orgId, (await newLog().head(orgId))!);
  }

  async function expire(orgId: string, seqs: number[]): Promise<void> {
    for (const seq of seqs) await documents.send(new DeleteCommand({ TableName: auditTable, Key: { pk: orgPk(orgId), sk: auditEventSk(seq) } }));
  }

  const afterRetention = () => new Date(Date.now() + (RETENTION_DAYS + 1) * DAY_MS);

  test.each([
    ['inside a digest range', [1, 2, 3], 7],
    ['up to a digest boundary', [1, 2, 3, 4, 5], 5],
  ])('a chain whose oldest events expired (%s) verifies from the first remaining event', async (_where, expired, remaining) => {
    const orgId = newId();
    await chainWithDigests(orgId);
    await expire(orgId, expired);
    await expect(verify(orgId, afterRetention())).resolves.toEqual({ valid: true, events: remaining, digests: 2 });
  });

  test('the same missing events before the retention period are a deletion', async () => {
    const orgId = newId();
    await chainWithDigests(orgId);
    await expire(orgId, [1, 2, 3]);
    await expect(verify(orgId)).resolves.toMatchObject({ valid: false, firstBrokenAt: 1, reason: 'missing-start' });
  });

  test('a gap after the first remaining event stays a deletion after the retention period', async () => {
    const orgId = newId();
    await chainWithDigests(orgId);
    await expire(orgId, [1, 2, 7]);
    await expect(verify(orgId, afterRetention())).resolves.toMatchObject({ valid: false, firstBrokenAt: 7 });
  });
});
