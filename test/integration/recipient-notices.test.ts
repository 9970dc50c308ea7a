/**
 * Art. 19 notices end to end against the emulators: shares through the real handler to a fake
 * HTTPS vendor that verifies every signature; subject rectification, restriction and erasure
 * through the real handler; the notice queue worked the way the SQS event source works it
 * (notice-queue-support.ts; a failed message comes back when the notifier's lease ends, one
 * second here instead of a minute).
 */
import { randomUUID } from 'node:crypto';
import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import { extensionRoutes } from '../../shared/api/routes/extensions.ts';
import { jobRoutes } from '../../shared/api/routes/jobs.ts';
import { subjectRoutes } from '../../shared/api/routes/subjects.ts';
import { recipientRoutes } from '../../shared/api/routes/recipients.ts';
import { createJob, createOrchestration, createOrg } from './api/fixtures.ts';
import { callRoute, newUser, type TestUser } from './api/invoke-route.ts';
import { storedRecords } from './api/stored.ts';
import type { FakeVendor, ReceivedRequest } from '../support/fake-vendor.ts';
import { provisionedResources } from '../support/resources.ts';
import { injectFault, type MiddlewareHost } from '../support/fault-injection.ts';
import { dynamoDocumentClient } from '../../shared/adapters/aws/clients.ts';
import { sqs as servicesSqs } from '../../shared/adapters/aws/sqs-client.ts';
import * as services from '../../shared/services.ts';
import type { ShareStore } from '../../shared/ports/shares.ts';
import {
  ERASURE_NOTICE_WAIT_SECONDS,
  OUTBOX_GRACE_SECONDS,
  queueLeftNotices,
} from '../../shared/use-cases/recipient-notices.ts';
import { orgRoutes } from '../../shared/api/routes/orgs.ts';
import { orchestrationRoutes } from '../../shared/api/routes/orchestrations.ts';
import { applyRetention } from '../../shared/use-cases/retention.ts';
import { scopedCycle, testQueue } from './deletion-support.ts';
import { startNoticeWorld, type NoticeQueueDriver, type NoticeWorld } from './notice-queue-support.ts';

const TOKEN = 'vX7.kq2-Rm9_ZtP4wL8~sN3/bY6+Hc1=';
const SSN = `SSN-${randomUUID().slice(0, 8)}`;

let vendor: FakeVendor;
let sqs: SQSClient;
let queueUrl: string;
let driver: NoticeQueueDriver;
let world: NoticeWorld;

beforeAll(async () => {
  world = await startNoticeWorld();
  ({ vendor, sqs, driver } = world);
  queueUrl = driver.queueUrl;
});

afterAll(() => world.close());

beforeEach(() => vendor.reset());

const drainNotices = (afterFailure = false): Promise<void> => driver.drain(afterFailure);
const handOver = (message: Message): Promise<boolean> => driver.handOver(message);

interface World {
  owner: TestUser;
  orgId: string;
  orchestrationId: string;
  jobId: string;
  email: string;
  secret: string;
}

/** Restricts the world's job as its owner: a change its recipients are told of. */
async function restrictJob(world: World): Promise<void> {
  const restricted = await callRoute({
    route: jobRoutes.restrictJob,
    as: world.owner,
    params: { orgId: world.orgId, jobId: world.jobId },
    body: { reason: 'Contested' },
  });
  expect(restricted.status).toBe(200);
}

/** An organization with one job of a subject, consented to the fake vendor and shared with it. */
async function sharedJob(name: string): Promise<World> {
  const owner = newUser(name);
  const orgId = await createOrg(owner, name);
  const orchestrationId = await createOrchestration(orgId, owner);
  const email = `${name}-${randomUUID().slice(0, 8)}@example.test`;
  const jobId = await createJob(orgId, orchestrationId, owner, { title: 'Claim', email, ssn: SSN });
  const fields = ['title', 'email', 'ssn'].map((fieldId) => ({ orchestrationId, fieldId }));
  const consent = await callRoute({
    route: extensionRoutes.grantConsent,
    as: owner,
    params: { orgId, extensionId: 'custom-webhook' },
    body: { fields, purpose: 'Claims sync', webhookUrl: vendor.url(`/${name}`) },
  });
  expect(consent.status).toBe(201);
  vendor.trust(consent.body.signingSecret);
  expect(
    (
      await callRoute({
        route: extensionRoutes.setToken,
        as: owner,
        params: { orgId, extensionId: 'custom-webhook' },
        body: { token: TOKEN },
      })
    ).status,
  ).toBe(204);
  expect(
    (
      await callRoute({
        route: extensionRoutes.shareJob,
        as: owner,
        params: { orgId, jobId, extensionId: 'custom-webhook' },
      })
    ).status,
  ).toBe(200);
  return { owner, orgId, orchestrationId, jobId, email, secret: consent.body.signingSecret };
}

const notices = (path: string): ReceivedRequest[] =>
  vendor.received.filter((r) => r.path === path && r.json?.event !== 'job.shared');
const noticeStates = async (world: World): Promise<unknown[]> =>
  (await storedRecords(world.orgId, `SHARE#${world.jobId}#NOTICE#`)).map((item) => [item.event, item.state]);

test('after a share, rectification, restriction and erasure each reach the vendor exactly once, signed, without personal values', async () => {
  // Prepare
  const world = await sharedJob('notified');
  const newEmail = `renamed-${randomUUID().slice(0, 8)}@example.test`;
  // Act
  const subject = (route: (typeof subjectRoutes)[keyof typeof subjectRoutes], body: unknown) =>
    callRoute({ route, as: world.owner, params: { orgId: world.orgId }, body });
  expect((await subject(subjectRoutes.subjectRectification, { email: world.email, newEmail })).status).toBe(
    200,
  );
  expect(
    (await subject(subjectRoutes.subjectRestriction, { email: newEmail, reason: 'Contested' })).status,
  ).toBe(200);
  expect((await subject(subjectRoutes.subjectErasure, { email: newEmail, mode: 'delete' })).status).toBe(200);
  await drainNotices();
  // A redelivery of everything (SQS is at-least-once) notifies no one twice.
  await drainNotices();
  // Assess
  const received = notices('/notified');
  expect(received.map((r) => r.json.event).sort()).toEqual(['job.erased', 'job.rectified', 'job.restricted']);
  for (const request of received) {
    expect(request.signed).toBe(true);
    expect(request.json).toMatchObject({
      orgId: world.orgId,
      jobIds: [world.jobId],
      extensionId: 'custom-webhook',
      at: expect.any(String),
    });
    expect(request.headers['idempotency-key']).toBe(request.json.deliveryId);
    for (const personal of [world.email, newEmail, SSN, TOKEN, world.secret])
      expect(request.body).not.toContain(personal);
  }
  // Rectification names the field changed; erasure and restriction every field the vendor received.
  expect(received.find((r) => r.json.event === 'job.rectified')!.json.fields).toEqual(['email']);
  expect(received.find((r) => r.json.event === 'job.erased')!.json.fields).toEqual(['email', 'ssn', 'title']);
  expect((await noticeStates(world)).sort()).toEqual([
    ['job.erased', 'delivered'],
    ['job.rectified', 'delivered'],
    ['job.restricted', 'delivered'],
  ]);
});

test('staff rectifying, restricting and erasing one job notify its recipients the same way', async () => {
  // Prepare
  const world = await sharedJob('staff');
  const job = { orgId: world.orgId, jobId: world.jobId };
  // Act
  expect(
    (
      await callRoute({
        route: jobRoutes.updateJob,
        as: world.owner,
        params: job,
        body: { fields: { ssn: `new-${SSN}`, amount: 3 } },
      })
    ).status,
  ).toBe(200);
  await restrictJob(world);
  expect((await callRoute({ route: jobRoutes.liftRestriction, as: world.owner, params: job })).status).toBe(
    200,
  );
  expect((await callRoute({ route: jobRoutes.deleteJob, as: world.owner, params: job })).status).toBe(204);
  await drainNotices();
  // Assess: lifting a restriction is no Art. 19 event; `amount` was never sent, so it is not named.
  const received = notices('/staff');
  expect(received.map((r) => [r.json.event, r.json.jobIds, r.json.fields, r.signed])).toEqual([
    ['job.rectified', [world.jobId], ['ssn'], true],
    ['job.restricted', [world.jobId], ['email', 'ssn', 'title'], true],
    ['job.erased', [world.jobId], ['email', 'ssn', 'title'], true],
  ]);
  for (const request of received) expect(request.body).not.toContain(SSN);
});

test('a vendor that fails three times and then succeeds gets exactly one notice', async () => {
  // Prepare
  const world = await sharedJob('flaky');
  vendor.reset();
  vendor.trust(world.secret);
  vendor.script({ status: 500 }, { status: 503 }, { status: 502 });
  // Act
  expect(
    (
      await callRoute({
        route: subjectRoutes.subjectRestriction,
        as: world.owner,
        params: { orgId: world.orgId },
        body: { email: world.email, reason: 'Contested' },
      })
    ).status,
  ).toBe(200);
  await drainNotices();
  // Assess: three refused attempts (one delivery's bounded retries), then the redelivered message succeeds once.
  const received = notices('/flaky');
  expect(received).toHaveLength(4);
  expect(new Set(received.map((r) => r.json.deliveryId)).size).toBe(1);
  expect(received.every((r) => r.signed)).toBe(true);
  expect(await noticeStates(world)).toEqual([['job.restricted', 'delivered']]);
});

test('the recipients listings show who received what, and each notice with its state', async () => {
  // Prepare
  const world = await sharedJob('listed');
  vendor.script({ status: 500 }, { status: 500 }, { status: 500 });
  await restrictJob(world);
  const pending = await callRoute({
    route: recipientRoutes.jobRecipients,
    as: world.owner,
    params: { orgId: world.orgId, jobId: world.jobId },
  });
  const first =
    (
      await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 1,
          WaitTimeSeconds: 1,
          MessageSystemAttributeNames: ['All'],
        }),
      )
    ).Messages ?? [];
  expect(await handOver(first[0]!)).toBe(false);
  // Act
  const byJob = await callRoute({
    route: recipientRoutes.jobRecipients,
    as: world.owner,
    params: { orgId: world.orgId, jobId: world.jobId },
  });
  const bySubject = await callRoute({
    route: recipientRoutes.subjectRecipients,
    as: world.owner,
    params: { orgId: world.orgId },
    body: { email: world.email },
  });
  await drainNotices(true);
  const delivered = await callRoute({
    route: recipientRoutes.jobRecipients,
    as: world.owner,
    params: { orgId: world.orgId, jobId: world.jobId },
  });
  // Assess
  const entry = {
    jobId: world.jobId,
    extensionId: 'custom-webhook',
    vendor: 'Your organization',
    shares: [{ at: expect.any(String), fields: ['email', 'ssn', 'title'], outcome: 'delivered' }],
  };
  const notice = (state: string) => [
    {
      noticeId: expect.any(String),
      event: 'job.restricted',
      fields: ['email', 'ssn', 'title'],
      at: expect.any(String),
      state,
    },
  ];
  expect(pending.body).toEqual({ items: [{ ...entry, notices: notice('pending') }], nextCursor: null });
  expect(byJob.body.items).toEqual([{ ...entry, notices: notice('failed') }]);
  expect(bySubject.body).toEqual({ items: [{ ...entry, notices: notice('failed') }] });
  expect(delivered.body.items).toEqual([{ ...entry, notices: notice('delivered') }]);
  expect(bySubject.text).not.toContain(world.email);
  // The access report names the same recipients.
  const report = await callRoute({
    route: subjectRoutes.subjectAccess,
    as: world.owner,
    params: { orgId: world.orgId },
    body: { email: world.email },
  });
  expect(report.body.recipients).toEqual([{ ...entry, notices: notice('delivered') }]);
  // The CSV one beside each datum the vendor received.
  const csv = await callRoute({
    route: subjectRoutes.subjectAccess,
    as: world.owner,
    params: { orgId: world.orgId },
    body: { email: world.email, format: 'csv' },
  });
  const rows = csv.text
    .replace(/^\uFEFF/, '')
    .trim()
    .split('\r\n');
  expect(rows[0]).toMatch(/,Value,Recipients$/);
  const sharedAt = report.body.recipients[0].shares[0].at as string;
  expect(rows.filter((row) => row.endsWith(`,Your organization (custom-webhook) ${sharedAt}`))).toHaveLength(
    3,
  );
});

test('a vendor that always fails ends in the dead-letter queue, its notice `failed`', async () => {
  // Prepare
  const world = await sharedJob('down');
  const dlqUrl = provisionedResources().queues.notices.dlqUrl;
  vendor.script(...Array.from({ length: 30 }, () => ({ status: 500 })));
  // Act
  expect(
    (
      await callRoute({
        route: subjectRoutes.subjectErasure,
        as: world.owner,
        params: { orgId: world.orgId },
        body: { email: world.email, mode: 'anonymize' },
      })
    ).status,
  ).toBe(200);
  await drainNotices();
  // Assess
  const dead = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: dlqUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
  );
  const mine = (dead.Messages ?? []).filter((m) => JSON.parse(m.Body ?? '{}').orgId === world.orgId);
  expect(mine).toHaveLength(1);
  expect(JSON.parse(mine[0]!.Body!)).toMatchObject({ event: 'job.erased', jobIds: [world.jobId] });
  for (const message of mine)
    await sqs.send(new DeleteMessageCommand({ QueueUrl: dlqUrl, ReceiptHandle: message.ReceiptHandle }));
  expect(await noticeStates(world)).toEqual([['job.erased', 'failed']]);
  expect(notices('/down').length).toBeGreaterThanOrEqual(5);
});

test('withdrawn consent stops new shares, but notices about data already shared still go out', async () => {
  // Prepare
  const world = await sharedJob('withdrawn');
  expect(
    (
      await callRoute({
        route: extensionRoutes.revokeExtension,
        as: world.owner,
        params: { orgId: world.orgId, extensionId: 'custom-webhook' },
      })
    ).status,
  ).toBe(200);
  vendor.reset();
  vendor.trust(world.secret);
  // Act
  const share = await callRoute({
    route: extensionRoutes.shareJob,
    as: world.owner,
    params: { orgId: world.orgId, jobId: world.jobId, extensionId: 'custom-webhook' },
  });
  expect(
    (
      await callRoute({
        route: subjectRoutes.subjectRestriction,
        as: world.owner,
        params: { orgId: world.orgId },
        body: { email: world.email, reason: 'Contested' },
      })
    ).status,
  ).toBe(200);
  await drainNotices();
  // Assess: no share; one notice, signed with the last consent's secret, without the deleted token.
  expect(share.status).toBe(409);
  const received = notices('/withdrawn');
  expect(received.map((r) => [r.json.event, r.signed])).toEqual([['job.restricted', true]]);
  expect(received[0]!.headers).not.toHaveProperty('authorization');
});

/**
 * The clean-up cycle's outbox pass, as the cycle runs it once the grace period is over, scoped to
 * one organization (the outbox is shared by every test file running now).
 */
function outboxPass(orgId: string) {
  const store = services.shares();
  const shares: ShareStore = Object.assign(Object.create(store) as ShareStore, {
    batchesBefore: async (before: string, limit: number) =>
      (await store.batchesBefore(before, limit)).filter((batch) => batch.orgId === orgId),
  });
  const later = { now: () => new Date(Date.now() + (OUTBOX_GRACE_SECONDS + 1) * 1000) };
  return queueLeftNotices(
    { shares, notices: services.noticeQueue(), clock: later, orgs: services.orgs() },
    { remaining: () => true },
  );
}

test('a crash between the commit and the queue loses no notice: the cycle queues it from the outbox, and the vendor gets it once', async () => {
  // Prepare
  const world = await sharedJob('crashed');
  const outbox = async () =>
    (await services.shares().batchesBefore('9999', 1000)).filter((batch) => batch.orgId === world.orgId);
  // The process dies once the change has committed: the send to the notice queue never happens.
  const crash = injectFault(servicesSqs() as unknown as MiddlewareHost, {
    command: 'SendMessageBatch',
    nth: 1,
    kind: 'timeout',
  });
  // Act
  const restricted = await callRoute({
    route: jobRoutes.restrictJob,
    as: world.owner,
    params: { orgId: world.orgId, jobId: world.jobId },
    body: { reason: 'Contested' },
  });
  crash.remove();
  await drainNotices();
  const lost = notices('/crashed');
  const left = await outbox();
  const first = await outboxPass(world.orgId);
  await drainNotices();
  const second = await outboxPass(world.orgId);
  await drainNotices();
  // Assess: the change stood, nothing reached the vendor until the cycle queued the outbox entry, then exactly once.
  expect(restricted.status).toBe(200);
  expect(crash.fired).toBe(1);
  expect(lost).toEqual([]);
  expect(left).toHaveLength(1);
  expect(first).toEqual({ queued: 1, dropped: 0 });
  expect(second).toEqual({ queued: 0, dropped: 0 });
  const received = notices('/crashed');
  expect(received.map((r) => [r.json.event, r.json.jobIds, r.signed])).toEqual([
    ['job.restricted', [world.jobId], true],
  ]);
  expect(received[0]!.json.deliveryId).toBe(left[0]!.notices[0]!.noticeId);
  expect(await noticeStates(world)).toEqual([['job.restricted', 'delivered']]);
  expect(await outbox()).toEqual([]);
});

test('an outbox entry queued twice does not turn its delivered notice back to pending: the vendor is told once', async () => {
  // Prepare: a change whose outbox entry was left (SQS failed after the commit), then queued and delivered by the cycle.
  const world = await sharedJob('doubled');
  const crash = injectFault(servicesSqs() as unknown as MiddlewareHost, {
    command: 'SendMessageBatch',
    nth: 1,
    kind: 'timeout',
  });
  await restrictJob(world);
  crash.remove();
  const [entry] = (await services.shares().batchesBefore('9999', 1000)).filter(
    (batch) => batch.orgId === world.orgId,
  );
  expect(await outboxPass(world.orgId)).toEqual({ queued: 1, dropped: 0 });
  await drainNotices();
  expect(await noticeStates(world)).toEqual([['job.restricted', 'delivered']]);
  // Act: a second process that read the same entry before it was cleared records and queues its notices again.
  await services.shares().recordNotices(entry!.notices);
  await services.noticeQueue().send(entry!.notices);
  await drainNotices();
  // Assess
  expect(await noticeStates(world)).toEqual([['job.restricted', 'delivered']]);
  expect(notices('/doubled').map((r) => r.json.event)).toEqual(['job.restricted']);
});

/** The organization's deletion requested, and a clean-up cycle that sees only it, with the real share records and notice queue. */
async function deletionOf(world: World) {
  expect(
    (await callRoute({ route: orgRoutes.deleteOrg, as: world.owner, params: { orgId: world.orgId } })).status,
  ).toBe(202);
  const queue = await testQueue({ visibilitySeconds: 60, maxReceiveCount: 5 });
  const cycle = scopedCycle({ scope: new Set([world.orgId]), queueUrl: queue.url });
  Object.assign(cycle.deps, { shares: services.shares(), notices: services.noticeQueue() });
  return cycle;
}

/** What is left of the organization's partition: its item, jobs, connections, share and notice records. */
const leftOf = async (orgId: string): Promise<unknown[]> =>
  (await Promise.all(['ORG', 'JOB#', 'EXT#', 'SHARE'].map((prefix) => storedRecords(orgId, prefix)))).flat();

const wrappedKeysOf = async (orgId: string): Promise<unknown> =>
  (await storedRecords(orgId, 'ORG'))[0]?.wrappedKeys;

test('deleting an organization tells each recipient of its jobs before the keys are shredded, once', async () => {
  // Prepare
  const world = await sharedJob('closing');
  const cycle = await deletionOf(world);
  // Act
  const first = await cycle.run();
  const keysWhileTelling = await wrappedKeysOf(world.orgId);
  await drainNotices();
  const second = await cycle.run();
  await drainNotices();
  // Assess: the first run queued the notice and waited; once it was delivered, the second erased everything.
  expect(first.organizations).toEqual([expect.objectContaining({ done: false })]);
  expect(keysWhileTelling).toEqual([expect.anything()]);
  expect(second.organizations).toEqual([
    expect.objectContaining({ done: true, counts: expect.objectContaining({ notices: 1 }) }),
  ]);
  expect(await leftOf(world.orgId)).toEqual([]);
  const received = notices('/closing');
  expect(received.map((r) => [r.json.event, r.json.jobIds, r.json.fields, r.signed])).toEqual([
    ['job.erased', [world.jobId], ['email', 'ssn', 'title'], true],
  ]);
  for (const personal of [world.email, SSN, TOKEN]) expect(received[0]!.body).not.toContain(personal);
});

test("a vendor that never answers does not hold an organization's erasure past the wait: its notice stays queued", async () => {
  // Prepare
  const world = await sharedJob('closing-down');
  const cycle = await deletionOf(world);
  // Act: nobody delivers the notice; the cycle runs again once the wait is over.
  const first = await cycle.run();
  const later = await cycle.run({ clockOffsetMs: (ERASURE_NOTICE_WAIT_SECONDS + 1) * 1000 });
  // Assess
  expect(first.organizations).toEqual([expect.objectContaining({ done: false })]);
  expect(later.organizations).toEqual([expect.objectContaining({ done: true })]);
  expect(await leftOf(world.orgId)).toEqual([]);
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 1,
      VisibilityTimeout: 5,
    }),
  );
  const mine = Messages.filter((m) => JSON.parse(m.Body ?? '{}').orgId === world.orgId);
  expect(mine.map((m) => JSON.parse(m.Body!).event)).toEqual(['job.erased']);
  for (const message of mine)
    await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
});

test('retention erasing a shared job notifies its recipients once', async () => {
  // Prepare
  const world = await sharedJob('retained');
  const rule = await callRoute({
    route: orchestrationRoutes.updateOrchestration,
    as: world.owner,
    params: { orgId: world.orgId, orchestrationId: world.orchestrationId },
    body: { retention: { days: 30, from: 'created', action: 'delete' } },
  });
  const orchestrations = services.orchestrations();
  const pass = () =>
    applyRetention(
      {
        orchestrations: {
          get: (orgId, orchestrationId) => orchestrations.get(orgId, orchestrationId),
          // Only this organization's rule: other files' orchestrations have their own clocks.
          withRetention: async function* () {
            for await (const target of orchestrations.withRetention())
              if (target.orgId === world.orgId) yield target;
          },
        },
        jobs: services.jobs(),
        clock: { now: () => new Date(Date.now() + 31 * 24 * 60 * 60 * 1000) },
        shares: services.shares(),
        notices: services.noticeQueue(),
        orgs: services.orgs(),
      },
      { cycleId: `retention-${world.orgId}` },
      { remaining: () => true },
    );
  // Act: the cycle runs twice, each time followed by the notifier.
  const first = await pass();
  await drainNotices();
  const second = await pass();
  await drainNotices();
  // Assess
  expect(rule.status).toBe(200);
  expect([first.deleted, second.deleted]).toEqual([1, 0]);
  expect(notices('/retained').map((r) => [r.json.event, r.json.jobIds, r.json.fields, r.signed])).toEqual([
    ['job.erased', [world.jobId], ['email', 'ssn', 'title'], true],
  ]);
  expect(await noticeStates(world)).toEqual([['job.erased', 'delivered']]);
});

/** Counts the reads of share markers (BatchGetItem of `SHARED#…`) and of share records (Query of `SHARE#<jobId>#`). */
function shareLookups() {
  const seen = { markerReads: 0, shareQueries: 0 };
  const name = `shareLookups${randomUUID()}`;
  dynamoDocumentClient().middlewareStack.add(
    (next, context) => async (args) => {
      const input = JSON.stringify(args.input);
      if (context.commandName?.startsWith('BatchGet') === true && input.includes('"SHARED#'))
        seen.markerReads += 1;
      if (context.commandName?.startsWith('Query') === true && input.includes('"SHARE#'))
        seen.shareQueries += 1;
      return next(args);
    },
    { step: 'initialize', name },
  );
  return { seen, remove: () => dynamoDocumentClient().middlewareStack.remove(name) };
}

test('share records are read only for jobs that were shared, and not at all where nothing ever was', async () => {
  // Prepare: a subject with one shared job and two never shared, and a subject of an organization that never shared.
  const world = await sharedJob('lookups');
  for (const title of ['Two', 'Three'])
    await createJob(world.orgId, world.orchestrationId, world.owner, { title, email: world.email });
  const quiet = newUser('quiet');
  const quietOrg = await createOrg(quiet, 'quiet');
  const quietEmail = `quiet-${randomUUID().slice(0, 8)}@example.test`;
  const quietOrchestration = await createOrchestration(quietOrg, quiet);
  for (const title of ['One', 'Two'])
    await createJob(quietOrg, quietOrchestration, quiet, { title, email: quietEmail });
  const restrict = (as: TestUser, orgId: string, email: string) =>
    callRoute({
      route: subjectRoutes.subjectRestriction,
      as,
      params: { orgId },
      body: { email, reason: 'Contested' },
    });
  // Act
  const shared = shareLookups();
  const sharing = await restrict(world.owner, world.orgId, world.email);
  shared.remove();
  const never = shareLookups();
  const neverShared = await restrict(quiet, quietOrg, quietEmail);
  never.remove();
  await drainNotices();
  // Assess: one marker read for the batch of three, one query for the one shared job; nothing in the other organization.
  expect([sharing.body.jobsAffected, neverShared.body.jobsAffected]).toEqual([3, 2]);
  expect(shared.seen).toEqual({ markerReads: 1, shareQueries: 1 });
  expect(never.seen).toEqual({ markerReads: 0, shareQueries: 0 });
  expect(notices('/lookups').map((r) => r.json.jobIds)).toEqual([[world.jobId]]);
});
