/**
 * The one-off backfill of share markers (scripts/backfill-share-markers.ts, ADR 0020) against
 * DynamoDB Local and the real adapter: share records written the way versions before the markers
 * wrote them (no `SHARED#<jobId>`, no `firstShareAt`) notify nobody; after the backfill the same
 * subject change reaches the recipient, and a second run writes nothing.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoDocumentClient } from '../../shared/adapters/aws/clients.ts';
import { SHARE_KIND, shareSk } from '../../shared/adapters/aws/dynamo-shares.ts';
import { orgPk } from '../../shared/adapters/aws/records-keys.ts';
import { extensionRoutes } from '../../shared/api/routes/extensions.ts';
import { subjectRoutes } from '../../shared/api/routes/subjects.ts';
import { newId } from '../../shared/domain/ids.ts';
import type { ShareRecord } from '../../shared/ports/shares.ts';
import * as services from '../../shared/services.ts';
import {
  addCounts,
  backfillShareMarkers,
  noCounts,
  type BackfillCounts,
  type BackfillOptions,
  type PageReport,
} from '../../scripts/backfill-share-markers.ts';
import type { FakeVendor, ReceivedRequest } from '../support/fake-vendor.ts';
import { testEnv } from '../support/test-stack.ts';
import { createJob, createOrchestration, createOrg } from './api/fixtures.ts';
import { callRoute, newUser, type TestUser } from './api/invoke-route.ts';
import { storedRecords } from './api/stored.ts';
import { startNoticeWorld, type NoticeQueueDriver, type NoticeWorld } from './notice-queue-support.ts';

const TOKEN = 'vX7.kq2-Rm9_ZtP4wL8~sN3/bY6+Hc1=';
const SSN = `SSN-${randomUUID().slice(0, 8)}`;
const FIELDS = ['email', 'ssn', 'title'];

let vendor: FakeVendor;
let driver: NoticeQueueDriver;
let world: NoticeWorld;

beforeAll(async () => {
  world = await startNoticeWorld();
  ({ vendor, driver } = world);
});

afterAll(() => world.close());

interface LegacyWorld {
  owner: TestUser;
  orgId: string;
  jobIds: string[];
  email: string;
}

/**
 * An organization consented to the fake vendor, whose jobs of one subject were shared before the
 * markers existed: share records (and one notice record) under the adapter's keys, nothing else.
 */
async function legacyShares(name: string, jobs = 1): Promise<LegacyWorld> {
  const owner = newUser(name);
  const orgId = await createOrg(owner, name);
  const orchestrationId = await createOrchestration(orgId, owner);
  const email = `${name}-${randomUUID().slice(0, 8)}@example.test`;
  const jobIds: string[] = [];
  for (let n = 0; n < jobs; n += 1)
    jobIds.push(await createJob(orgId, orchestrationId, owner, { title: `Claim ${n}`, email, ssn: SSN }));
  const consent = await callRoute({
    route: extensionRoutes.grantConsent,
    as: owner,
    params: { orgId, extensionId: 'custom-webhook' },
    body: {
      fields: ['title', 'email', 'ssn'].map((fieldId) => ({ orchestrationId, fieldId })),
      purpose: 'Claims sync',
      webhookUrl: vendor.url(`/${name}`),
    },
  });
  expect(consent.status).toBe(201);
  vendor.trust(consent.body.signingSecret);
  const token = await callRoute({
    route: extensionRoutes.setToken,
    as: owner,
    params: { orgId, extensionId: 'custom-webhook' },
    body: { token: TOKEN },
  });
  expect(token.status).toBe(204);
  const documents = dynamoDocumentClient();
  const table = testEnv('RECORDS_TABLE');
  for (const [n, jobId] of jobIds.entries()) {
    // Two shares of the job, the later one first: the earliest time is what `firstShareAt` gets.
    for (const minutesAgo of [5, 60 + n]) {
      const record: ShareRecord = {
        shareId: newId(),
        orgId,
        jobId,
        extensionId: 'custom-webhook',
        fields: FIELDS,
        at: new Date(Date.now() - minutesAgo * 60_000).toISOString(),
        outcome: 'delivered',
        vendorStatus: 200,
        consentVersion: 1,
        webhookUrl: vendor.url(`/${name}`),
      };
      await documents.send(
        new PutCommand({
          TableName: table,
          Item: { pk: orgPk(orgId), sk: shareSk(jobId, record.shareId), kind: SHARE_KIND, ...record },
        }),
      );
    }
  }
  // A notice record of the old version: same sort-key prefix, not a share, so it adds nothing.
  await documents.send(
    new PutCommand({
      TableName: table,
      Item: {
        pk: orgPk(orgId),
        sk: `SHARE#${jobIds[0]}#NOTICE#${newId()}#custom-webhook`,
        kind: 'notice',
        orgId,
        jobId: jobIds[0],
        event: 'job.restricted',
        state: 'delivered',
      },
    }),
  );
  return { owner, orgId, jobIds, email };
}

const deps = () => ({
  client: dynamoDocumentClient(),
  table: testEnv('RECORDS_TABLE'),
  shares: services.shares(),
});

async function run(options: BackfillOptions = {}): Promise<{ total: BackfillCounts; pages: PageReport[] }> {
  const pages: PageReport[] = [];
  for await (const page of backfillShareMarkers(deps(), options)) pages.push(page);
  return { total: pages.reduce((sum, page) => addCounts(sum, page.counts), noCounts()), pages };
}

const notices = (path: string): ReceivedRequest[] =>
  vendor.received.filter((r) => r.path === path && r.json?.event !== 'job.shared');

/** The organization item's marker and the job markers, as stored. */
async function markers(orgId: string): Promise<{ firstShareAt: unknown; jobs: unknown[] }> {
  const [org] = await storedRecords(orgId, 'ORG');
  return { firstShareAt: org?.firstShareAt, jobs: await storedRecords(orgId, 'SHARED#') };
}

const subject = (
  world: LegacyWorld,
  route: (typeof subjectRoutes)[keyof typeof subjectRoutes],
  body: unknown,
) => callRoute({ route, as: world.owner, params: { orgId: world.orgId }, body });

test('after the backfill, a subject rectification and erasure of a job shared before the markers reach its recipient; a second run changes nothing', async () => {
  // Prepare: a legacy share, and proof of the gap — a rectification before the backfill tells nobody.
  const world = await legacyShares('legacy');
  const [jobId] = world.jobIds;
  const renamed = `renamed-${randomUUID().slice(0, 8)}@example.test`;
  const before = await subject(world, subjectRoutes.subjectRectification, {
    email: world.email,
    newEmail: renamed,
  });
  await driver.drain();
  const unnoticed = notices('/legacy');
  // Act: the backfill over the whole table (the Scan), then the subject's changes, then it again.
  const first = await run();
  const marked = await markers(world.orgId);
  const renamedAgain = `again-${randomUUID().slice(0, 8)}@example.test`;
  const rectified = await subject(world, subjectRoutes.subjectRectification, {
    email: renamed,
    newEmail: renamedAgain,
  });
  const erased = await subject(world, subjectRoutes.subjectErasure, { email: renamedAgain, mode: 'delete' });
  await driver.drain();
  const second = await run();
  // Assess
  expect([before.status, rectified.status, erased.status]).toEqual([200, 200, 200]);
  expect(unnoticed).toEqual([]);
  expect(first.total.markersWritten).toBeGreaterThanOrEqual(1);
  expect(first.total.organizationsMarked).toBeGreaterThanOrEqual(1);
  expect(first.pages.at(-1)?.resumeFrom).toBeUndefined();
  const shareTimes = (await storedRecords(world.orgId, `SHARE#${jobId}#`))
    .filter((item) => item.kind === SHARE_KIND)
    .map((item) => String(item.at));
  expect(marked.firstShareAt).toBe(shareTimes.toSorted()[0]);
  expect(marked.jobs).toEqual([{ pk: orgPk(world.orgId), sk: `SHARED#${jobId}`, kind: 'shared-job' }]);
  const received = notices('/legacy');
  expect(received.map((r) => [r.json.event, r.json.jobIds, r.json.fields, r.signed])).toEqual([
    ['job.rectified', [jobId], ['email'], true],
    ['job.erased', [jobId], FIELDS, true],
  ]);
  for (const request of received)
    for (const personal of [world.email, renamed, renamedAgain, SSN, TOKEN])
      expect(request.body).not.toContain(personal);
  // The second run: nothing written, the markers as they were.
  expect(second.total).toMatchObject({ markersWritten: 0, organizationsMarked: 0 });
  expect(second.total.markersPresent).toBeGreaterThanOrEqual(1);
  expect(await markers(world.orgId)).toEqual(marked);
});

test('a run stopped after a page resumes from the key it printed, and one organization can be done alone', async () => {
  // Prepare: three jobs shared the old way, two records each (six share records, one notice record).
  const world = await legacyShares('resumed', 3);
  const scope = { orgId: world.orgId, pageSize: 2 };
  // Act: a dry run, one page and stop, then the rest from the key that page gave, then once more.
  const dry = await run({ ...scope, dryRun: true });
  const afterDry = await markers(world.orgId);
  const firstPage = (await backfillShareMarkers(deps(), scope).next()).value as PageReport;
  const afterOnePage = await markers(world.orgId);
  const rest = await run({ ...scope, from: firstPage.resumeFrom! });
  const again = await run(scope);
  // Assess
  expect(dry.total).toEqual({
    shareRecords: 6,
    markersWritten: 3,
    markersPresent: 0,
    organizationsMarked: 1,
    organizationsPresent: 0,
    organizationsSkipped: 0,
  });
  expect(afterDry).toEqual({ firstShareAt: undefined, jobs: [] });
  expect(firstPage.counts).toMatchObject({ shareRecords: 2, markersWritten: 1, organizationsMarked: 1 });
  expect(firstPage.resumeFrom).toEqual(expect.any(String));
  expect(firstPage.resumeFrom).not.toContain(world.email);
  expect(afterOnePage.jobs).toHaveLength(1);
  // The earliest share of the organization, though its record is on a later page (job 2, 62 minutes ago).
  const times = (await storedRecords(world.orgId, 'SHARE#'))
    .filter((item) => item.kind === SHARE_KIND)
    .map((item) => String(item.at));
  expect(afterOnePage.firstShareAt).toBe(times.toSorted()[0]);
  // Resuming after the first page finds its job marked and the organization too, and marks the other two.
  expect(rest.total).toMatchObject({ shareRecords: 4, markersWritten: 2, organizationsMarked: 0 });
  expect(await markers(world.orgId)).toEqual({
    firstShareAt: afterOnePage.firstShareAt,
    jobs: world.jobIds
      .toSorted()
      .map((jobId) => ({ pk: orgPk(world.orgId), sk: `SHARED#${jobId}`, kind: 'shared-job' })),
  });
  expect(again.total).toEqual({
    shareRecords: 6,
    markersWritten: 0,
    markersPresent: 3,
    organizationsMarked: 0,
    organizationsPresent: 1,
    organizationsSkipped: 0,
  });
});

test('an organization being erased is left alone: no marker lands in a partition being swept', async () => {
  // Prepare
  const world = await legacyShares('erasing');
  await dynamoDocumentClient().send(
    new PutCommand({
      TableName: testEnv('RECORDS_TABLE'),
      Item: { ...(await storedRecords(world.orgId, 'ORG'))[0], status: 'deleting' },
    }),
  );
  // Act
  const { total } = await run({ orgId: world.orgId });
  // Assess
  expect(total).toMatchObject({ shareRecords: 2, markersWritten: 0, organizationsSkipped: 1 });
  expect(await markers(world.orgId)).toEqual({ firstShareAt: undefined, jobs: [] });
});

test('`npm run backfill-share-markers` asks only for what it uses: it runs without AUDIT_TABLE', async () => {
  // Prepare: the deployment's environment, less the audit table the backfill never writes to.
  const world = await legacyShares('commandline');
  const { AUDIT_TABLE: _unused, ...environment } = process.env;
  // Act
  const { stdout } = await promisify(execFile)(
    'npm',
    ['run', '--silent', 'backfill-share-markers', '--', '--org', world.orgId],
    { env: environment, timeout: 60_000 },
  );
  // Assess
  expect(stdout).toContain(
    'done: 2 share records; job markers: 1 written, 0 present; organizations: 1 marked',
  );
  expect((await markers(world.orgId)).jobs).toHaveLength(1);
}, 90_000);
