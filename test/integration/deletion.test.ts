/**
 * Organization and account deletion against the emulators: the routes, the clean-up cycle with
 * faults injected at each step, crashes, redelivery, concurrency, poison messages, neighbours whose
 * ids share prefixes, and a property over random organizations. One file on purpose: cycles find
 * pending deletions table-wide, so tests that leave organizations pending run one after another.
 */
import { afterAll, describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { orgRoutes } from '../../shared/api/routes/orgs.ts';
import { auditRoutes } from '../../shared/api/routes/audit.ts';
import { lambdaContext, scheduledEvent } from '../../infra/local/lambda-events.ts';
import { functionNamed } from '../../infra/manifest.ts';
import { DynamoTenantSweeper } from '../../shared/adapters/aws/dynamo-tenant-sweeper.ts';
import type { CleanupReport } from '../../shared/use-cases/cleanup-cycle.ts';
import { addMember, createOrg } from './api/fixtures.ts';
import { callRoute, newUser } from './api/invoke-route.ts';
import { auditEvents } from './api/stored.ts';
import {
  deletionRecordCount,
  deletionRecordOf,
  documents,
  env,
  idStem,
  neighbourChecksum,
  putRaw,
  remainsOf,
  s3Client,
  scopedCycle,
  seedNeighbours,
  seedOrganization,
  sha256,
  testQueue,
  type Fault,
  type SeedShape,
} from './deletion-support.ts';
import { PutObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';

const SHAPE = {
  items: { JOB: 30, ORCH: 2, MEMBER: 3, ROLE: 1, EXT: 1, EXPORT: 1, BACKUP: 1, ZZZ: 2 },
  files: 3,
  auditEvents: 4,
};
const sqs = new SQSClient({});

afterAll(() => {
  sqs.destroy();
});

/** Seeds an organization (pending deletion) with neighbours sharing its id prefixes; answers the ids and the neighbours' checksum. */
async function organizationWithNeighbours(shape: SeedShape = SHAPE) {
  const stem = idStem();
  const orgId = `${stem}A`;
  const sibling = `${stem}B`;
  await seedOrganization(orgId, shape);
  const neighbours = await seedNeighbours(orgId, sibling);
  return { orgId, neighbours, before: await neighbourChecksum(neighbours) };
}

async function expectErased(
  orgId: string,
  neighbours: { partitions: string[]; fileKeys: string[] },
  before: string,
): Promise<void> {
  const left = await remainsOf(orgId, neighbours.partitions);
  expect(left).toEqual({ records: [], audit: [], files: [] });
  const record = await deletionRecordOf(orgId);
  expect(record).toMatchObject({
    orgIdHash: sha256(orgId),
    requestedByHash: expect.stringMatching(/^[0-9a-f]{64}$/),
    startedAt: expect.any(String),
    finishedAt: expect.any(String),
  });
  expect(JSON.stringify(record)).not.toContain(orgId);
  expect(await deletionRecordCount(orgId)).toBe(1);
  expect(await neighbourChecksum(neighbours)).toBe(before);
}

describe('a full clean-up cycle', () => {
  test('erases records, indexes, audit events, files and keys; leaves one deletion record and every neighbour intact', async () => {
    // Prepare
    const { orgId, neighbours, before } = await organizationWithNeighbours();
    const queue = await testQueue({ visibilitySeconds: 60, maxReceiveCount: 5 });
    const cycle = scopedCycle({ scope: new Set([orgId]), queueUrl: queue.url });

    // Act
    const report = await cycle.run();

    // Assess
    expect(report.organizations).toEqual([
      {
        orgIdHash: sha256(orgId),
        done: true,
        counts: expect.objectContaining({
          job: 30,
          member: 4,
          orch: 2,
          role: 1,
          ext: 1,
          export: 1,
          backup: 1,
          zzz: 2,
          files: 3,
        }),
      },
    ]);
    // org.create + 4 test events + org.delete (no sequencer runs in this file: no head, no batch).
    expect(report.organizations[0]!.counts.audit).toBe(6);
    await expectErased(orgId, neighbours, before);
    const { Items } = await documents.send(
      new (await import('@aws-sdk/lib-dynamodb')).QueryCommand({
        TableName: env('RECORDS_TABLE'),
        IndexName: 'bySubject',
        KeyConditionExpression: 'gsi2pk = :pk',
        ExpressionAttributeValues: { ':pk': `ORG#${orgId}#SUBJ#x` },
      }),
    );
    expect(Items).toEqual([]);
  });
});

describe('faults at each step', () => {
  const faults: [string, Fault][] = [
    ['the claim', { service: 'dynamodb', command: /^Update/, nth: 1 }],
    ['a records page query', { service: 'dynamodb', command: /^Query/, nth: 3 }],
    ['a batch of deletes', { service: 'dynamodb', command: /^BatchWrite/, nth: 2 }],
    ['a checkpoint', { service: 'dynamodb', command: /^Update/, nth: 4 }],
    ['the audit sweep', { service: 'dynamodb', command: /^BatchWrite/, nth: 4 }],
    ['listing the files', { service: 's3', command: /^ListObjects/, nth: 1 }],
    ['deleting the files', { service: 's3', command: /^DeleteObjects/, nth: 1 }],
    ['the final transaction', { service: 'dynamodb', command: /^TransactWrite/, nth: 1 }],
  ];

  test.each(faults)(
    'a failure in %s stops the run; the next run finishes with nothing left and nothing extra deleted',
    async (_step, fault) => {
      // Prepare
      const { orgId, neighbours, before } = await organizationWithNeighbours();
      const queue = await testQueue({ visibilitySeconds: 60, maxReceiveCount: 5 });
      const scope = new Set([orgId]);

      // Act
      const failed = await scopedCycle({ scope, queueUrl: queue.url, fault })
        .run()
        .catch(() => undefined);
      const finished = await scopedCycle({ scope, queueUrl: queue.url }).run();

      // Assess
      expect(failed?.organizations.every((o) => !o.done) ?? true).toBe(true);
      expect(finished.organizations).toEqual([
        expect.objectContaining({ orgIdHash: sha256(orgId), done: true }),
      ]);
      await expectErased(orgId, neighbours, before);
    },
  );

  test('a crash twice in a row (no lease released) resumes once the lease has expired', async () => {
    // Prepare
    const { orgId, neighbours, before } = await organizationWithNeighbours();
    const queue = await testQueue({ visibilitySeconds: 60, maxReceiveCount: 5 });
    const scope = new Set([orgId]);

    // Act
    await scopedCycle({
      scope,
      queueUrl: queue.url,
      fault: { service: 'dynamodb', command: /^BatchWrite/, nth: 2, persistent: true },
    })
      .run()
      .catch(() => undefined);
    const whileLeased = await scopedCycle({ scope, queueUrl: queue.url }).run();
    await scopedCycle({
      scope,
      queueUrl: queue.url,
      clockOffsetMs: 120_000,
      fault: { service: 's3', command: /^DeleteObjects/, nth: 1, persistent: true },
    })
      .run()
      .catch(() => undefined);
    const finished = await scopedCycle({ scope, queueUrl: queue.url, clockOffsetMs: 240_000 }).run();

    // Assess
    expect(whileLeased.organizations).toEqual([{ orgIdHash: sha256(orgId), counts: {}, done: false }]);
    expect(finished.organizations).toEqual([expect.objectContaining({ done: true })]);
    await expectErased(orgId, neighbours, before);
  });
});

describe('messages', () => {
  test('the same message delivered twice, and again after the erasure, yields one deletion record and is acknowledged', async () => {
    // Prepare
    const { orgId, neighbours, before } = await organizationWithNeighbours();
    const queue = await testQueue({ visibilitySeconds: 60, maxReceiveCount: 5 });
    const body = JSON.stringify({
      kind: 'org',
      orgId,
      requestedBy: 'someone',
      requestedAt: new Date().toISOString(),
    });
    await sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: body }));
    await sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: body }));
    const cycle = scopedCycle({ scope: new Set(), queueUrl: queue.url });

    // Act
    const first = await cycle.run();
    await sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: body }));
    const second = await cycle.run();

    // Assess
    expect(first.organizations).toEqual([expect.objectContaining({ orgIdHash: sha256(orgId), done: true })]);
    expect(second.organizations).toEqual([]);
    await expectErased(orgId, neighbours, before);
    const left = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queue.url, WaitTimeSeconds: 0 }));
    expect(left.Messages ?? []).toEqual([]);
  });

  test('two cycles at once erase the organization once', async () => {
    // Prepare
    const { orgId, neighbours, before } = await organizationWithNeighbours();
    const queue = await testQueue({ visibilitySeconds: 60, maxReceiveCount: 5 });
    const scope = new Set([orgId]);

    // Act
    const reports = await Promise.all([
      scopedCycle({ scope, queueUrl: queue.url }).run(),
      scopedCycle({ scope, queueUrl: queue.url }).run(),
    ]);

    // Assess
    const done = reports.flatMap((r) => r.organizations).filter((o) => o.done);
    expect(done).toHaveLength(1);
    expect(done[0]!.counts).toMatchObject({ job: 30, files: 3 });
    await expectErased(orgId, neighbours, before);
  });

  test('a malformed message is never acknowledged and lands in the dead-letter queue', async () => {
    // Prepare
    const queue = await testQueue({ visibilitySeconds: 1, maxReceiveCount: 2 });
    await sqs.send(
      new SendMessageCommand({ QueueUrl: queue.url, MessageBody: '{"kind":"org","orgId":"../../etc"}' }),
    );
    const cycle = scopedCycle({ scope: new Set(), queueUrl: queue.url });

    // Act
    const reports: CleanupReport[] = [];
    for (let i = 0; i < 3; i += 1) {
      // Between runs, the 1 s visibility timeout lapses; after the last one nothing is left to lapse.
      if (i > 0) await new Promise((resolve) => setTimeout(resolve, 1200));
      reports.push(await cycle.run());
    }

    // Assess
    // With a 1 s visibility timeout one run may see it twice; each sighting counts, none acknowledges it.
    expect(reports[0]!.malformedMessages).toBeGreaterThanOrEqual(1);
    expect(reports.at(-1)!.malformedMessages).toBe(0);
    const dead = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queue.dlqUrl, WaitTimeSeconds: 1 }));
    expect(dead.Messages?.map((m) => m.Body)).toEqual(['{"kind":"org","orgId":"../../etc"}']);
  });
});

describe('the routes', () => {
  test('DELETE closes the organization for all but its owners; an owner cancels before a cycle starts, not after', async () => {
    // Prepare
    const owner = newUser('owner');
    const member = newUser('member');
    const orgId = await createOrg(owner, 'Doomed');
    await addMember(orgId, owner, member, 'admin');

    // Act / Assess: only an owner may delete
    expect((await callRoute({ route: orgRoutes.deleteOrg, as: member, params: { orgId } })).status).toBe(403);
    const deleted = await callRoute({ route: orgRoutes.deleteOrg, as: owner, params: { orgId } });
    expect(deleted.status).toBe(202);
    expect(deleted.body).toEqual({ status: 'pending_deletion' });
    expect((await callRoute({ route: orgRoutes.getOrg, as: owner, params: { orgId } })).body).toMatchObject({
      status: 'pending_deletion',
    });
    expect((await callRoute({ route: orgRoutes.getOrg, as: member, params: { orgId } })).status).toBe(404);
    expect((await callRoute({ route: orgRoutes.listMembers, as: owner, params: { orgId } })).status).toBe(
      404,
    );
    expect(
      (await callRoute({ route: orgRoutes.cancelOrgDeletion, as: member, params: { orgId } })).status,
    ).toBe(404);

    const cancelled = await callRoute({ route: orgRoutes.cancelOrgDeletion, as: owner, params: { orgId } });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ orgId, status: 'active' });
    expect((await callRoute({ route: orgRoutes.getOrg, as: member, params: { orgId } })).status).toBe(200);

    // Once a cycle has claimed it, the deletion can no longer be cancelled.
    expect((await callRoute({ route: orgRoutes.deleteOrg, as: owner, params: { orgId } })).status).toBe(202);
    const sweeper = new DynamoTenantSweeper(documents, env('RECORDS_TABLE'), env('AUDIT_TABLE'));
    expect(
      (await sweeper.claim(orgId, { owner: 'test-cycle', until: Date.now() + 60_000 }, new Date())).outcome,
    ).toBe('claimed');
    const late = await callRoute({ route: orgRoutes.cancelOrgDeletion, as: owner, params: { orgId } });
    expect(late.status).toBe(409);
    expect((await callRoute({ route: orgRoutes.getOrg, as: owner, params: { orgId } })).body).toMatchObject({
      status: 'deleting',
    });
    const queue = await testQueue({ visibilitySeconds: 60, maxReceiveCount: 5 });
    await sweeper.release(orgId, 'test-cycle');
    const report = await scopedCycle({ scope: new Set([orgId]), queueUrl: queue.url }).run();
    expect(report.organizations).toEqual([expect.objectContaining({ done: true })]);
    expect(await remainsOf(orgId)).toEqual({ records: [], audit: [], files: [] });
  });

  test('DELETE /v1/me: 409 for a last owner; otherwise memberships go and the cycle pseudonymises the audit trail, which still verifies', async () => {
    // Prepare
    const owner = newUser('owner');
    const leaving = newUser('leaving');
    const orgId = await createOrg(owner, 'Stays');
    await addMember(orgId, owner, leaving, 'owner');
    const ownOrg = await createOrg(leaving, 'Solo');

    // Act / Assess: last owner of Solo
    const refused = await callRoute({ route: orgRoutes.deleteMe, as: leaving });
    expect(refused.status).toBe(409);
    expect(refused.body.type).toMatch(/last-owner$/);
    expect(
      (await callRoute({ route: orgRoutes.deleteOrg, as: leaving, params: { orgId: ownOrg } })).status,
    ).toBe(202);
    // Still the last owner of an organization pending deletion (it could be cancelled).
    expect((await callRoute({ route: orgRoutes.deleteMe, as: leaving })).status).toBe(409);
    const queue = await testQueue({ visibilitySeconds: 60, maxReceiveCount: 5 });
    await scopedCycle({ scope: new Set([ownOrg]), queueUrl: queue.url }).run();

    // Something identifying in Stays' audit log: the owner-add and a read by the leaving user.
    expect((await callRoute({ route: orgRoutes.listMembers, as: leaving, params: { orgId } })).status).toBe(
      200,
    );
    const accepted = await callRoute({ route: orgRoutes.deleteMe, as: leaving });
    expect(accepted.status).toBe(202);
    expect((await callRoute({ route: orgRoutes.me, as: leaving })).body.memberships).toEqual([]);
    const report = await scopedCycle({ scope: new Set([leaving.sub]), queueUrl: queue.url }).run();

    // Assess
    expect(report.accounts).toBe(1);
    const events = await auditEvents(orgId);
    const theirs = events.filter((e) => e.actor === leaving.sub);
    expect(theirs.length).toBeGreaterThan(0);
    for (const event of theirs) {
      expect(event).not.toHaveProperty('actorEmail');
      expect(event).not.toHaveProperty('ip');
      expect(event).not.toHaveProperty('userAgent');
    }
    expect(JSON.stringify(events)).not.toContain(leaving.email);
    expect(events.filter((e) => e.actor === owner.sub).every((e) => e.actorEmail === owner.email)).toBe(true);
    const verified = await callRoute({ route: auditRoutes.verifyAudit, as: owner, params: { orgId } });
    expect(verified.body).toMatchObject({ valid: true });
  });
});

describe('the scheduled function', () => {
  test('the handler drains the shared deletion queue, sweeps expired files and links, and answers its report', async () => {
    // Prepare: an organization deleted through the API (its message is on the shared queue) and expired items.
    const owner = newUser('owner');
    const orgId = await createOrg(owner, 'Via handler');
    await s3Client.send(
      new PutObjectCommand({ Bucket: env('FILES_BUCKET'), Key: `orgs/${orgId}/backups/b.zip`, Body: 'zip' }),
    );
    expect((await callRoute({ route: orgRoutes.deleteOrg, as: owner, params: { orgId } })).status).toBe(202);
    const other = await createOrg(owner, 'Has expired things');
    const past = Math.floor(Date.now() / 1000) - 60;
    const fileKey = `orgs/${other}/exports/old.csv`;
    await s3Client.send(new PutObjectCommand({ Bucket: env('FILES_BUCKET'), Key: fileKey, Body: 'old' }));
    await putRaw({ pk: `ORG#${other}`, sk: 'EXPORT#old', kind: 'export', fileKey, expiresAt: past });
    await putRaw({ pk: `ORG#${other}`, sk: 'LINK#old', kind: 'link', expiresAt: past });
    await putRaw({ pk: `ORG#${other}`, sk: 'EXPORT#fresh', kind: 'export', expiresAt: past + 3600 });
    const { handler } = await import('../../functions/cleanup/handler.ts');

    // Act
    const report = await handler(scheduledEvent('cleanup-schedule'), lambdaContext(functionNamed('cleanup')));

    // Assess
    expect(report.organizations).toContainEqual(
      expect.objectContaining({ orgIdHash: sha256(orgId), done: true }),
    );
    expect(report.expired.files).toBeGreaterThanOrEqual(1);
    expect(report.expired.links).toBeGreaterThanOrEqual(1);
    expect(JSON.stringify(report)).not.toContain(orgId);
    expect(await remainsOf(orgId)).toEqual({ records: [], audit: [], files: [] });
    const kept = (await remainsOf(other)).records.map((item) => item.sk).sort();
    expect(kept).toEqual(['EXPORT#fresh', 'MEMBER#' + owner.sub, 'ORG']);
    await expect(
      s3Client.send(new HeadObjectCommand({ Bucket: env('FILES_BUCKET'), Key: fileKey })),
    ).rejects.toThrow();
  });
});

describe('property', () => {
  test('any small organization is erased completely and its neighbours are untouched', async () => {
    const queue = await testQueue({ visibilitySeconds: 60, maxReceiveCount: 5 });
    const kinds = fc.constantFrom('JOB', 'ORCH', 'MEMBER', 'ROLE', 'EXT', 'EXPORT', 'BACKUP', 'NEW');
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(kinds, fc.integer({ min: 0, max: 40 })),
        fc.integer({ min: 0, max: 4 }),
        fc.integer({ min: 0, max: 5 }),
        async (items, files, audit) => {
          const { orgId, neighbours, before } = await organizationWithNeighbours({
            items,
            files,
            auditEvents: audit,
          });
          const report = await scopedCycle({ scope: new Set([orgId]), queueUrl: queue.url }).run();
          expect(report.organizations).toEqual([expect.objectContaining({ done: true })]);
          await expectErased(orgId, neighbours, before);
        },
      ),
      { numRuns: 8 },
    );
  }, 120_000);
});
