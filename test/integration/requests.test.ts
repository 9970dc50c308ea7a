/**
 * Data subject requests against the emulators, through the real handlers: public intake (the
 * same answer for known and unknown addresses, limits, intake switched off), the one-time code
 * (wrong, fifth wrong, expired), verification and the due date, the staff case (list and get by
 * permission, assignment, one extension within three months, rejection with the right to
 * complain), the timeline and audit events of every step, bad input refused with nothing
 * written, and unverified requests left to the clean-up cycle's expiry sweep after 7 days.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { orgRoutes } from '../../shared/api/routes/orgs.ts';
import { requestRoutes } from '../../shared/api/routes/requests.ts';
import { subjectRoutes } from '../../shared/api/routes/subjects.ts';
import { AuditedWriter } from '../../shared/adapters/aws/audited-writer.ts';
import { DynamoExpiredItems } from '../../shared/adapters/aws/dynamo-expired-items.ts';
import { DynamoOrganizations } from '../../shared/adapters/aws/dynamo-organizations.ts';
import { DynamoSubjectRequests } from '../../shared/adapters/aws/dynamo-subject-requests.ts';
import { SesMailer } from '../../shared/adapters/aws/ses-mailer.ts';
import { LOCAL_MAIL_FROM } from '../../infra/local/service-env.ts';
import { remindDueRequests, type ReminderDeps } from '../../shared/use-cases/request-reminders.ts';
import { advanceDomainClock, domainClock } from '../../shared/ports/clock.ts';
import { addMember, createJob, createOrchestration, createOrg, createRole } from './api/fixtures.ts';
import { callRoute, newUser, type RouteAnswer } from './api/invoke-route.ts';
import { auditEvents, restrictDirectly, storedRecords } from './api/stored.ts';
import { scanTable } from '../support/raw-tables.ts';
import { emailsTo } from '../support/mailbox.ts';
import { codeFor, freshSourceIp } from './api/subject-requests.ts';
import { testEnv } from '../support/test-stack.ts';

const owner = newUser('owner');
const admin = newUser('admin');
const member = newUser('member');
const handler = newUser('handler');
let orgId: string;

const person = () => `sam.${randomUUID().slice(0, 8)}@example.test`;
/** From an address of its own unless given: the per-address limit is tested on purpose only. */
const submit = (org: string, body: Record<string, unknown>, sourceIp = freshSourceIp()) =>
  callRoute({ route: requestRoutes.submitRequest, params: { orgId: org }, body, sourceIp });
const verify = (requestId: string, code: string) =>
  callRoute({ route: requestRoutes.verifyRequest, params: { requestId }, body: { code } });
const getCase = (requestId: string, as = owner) =>
  callRoute({ route: requestRoutes.getRequest, as, params: { orgId, requestId } });

const wrongCode = (code: string): string => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

async function openRequest(type = 'access'): Promise<{ requestId: string; email: string; dueAt: string }> {
  const email = person();
  const submitted = await submit(orgId, { type, email, name: 'Sam Doe' });
  expect(submitted.status).toBe(202);
  const verified = await verify(submitted.body.requestId, await codeFor(email));
  expect(verified.status).toBe(200);
  return { requestId: submitted.body.requestId, email, dueAt: verified.body.dueAt };
}

/** What the two answers must share: status, body shape, and every header but the request id. */
const comparable = (answer: RouteAnswer) => {
  const { ['x-request-id']: requestId, ...headers } = answer.headers;
  return {
    status: answer.status,
    keys: Object.keys(answer.body).sort(),
    idShape: /^[0-9A-Z]{26}$/.test(answer.body.requestId),
    headers,
    requestId: requestId !== undefined,
  };
};

beforeAll(async () => {
  orgId = await createOrg(owner, 'Requests Co');
  await addMember(orgId, owner, admin, 'admin');
  await addMember(orgId, owner, member, 'member');
  const roleId = await createRole(orgId, owner, { name: 'Privacy desk', permissions: ['requests.manage'] });
  await addMember(orgId, owner, handler, roleId);
});

describe('intake', () => {
  test('answers known and unknown addresses alike, emails a code, and stores the address sealed', async () => {
    // Prepare: one address the organization holds data about, one it does not.
    const known = person();
    const unknown = person();
    const orchestrationId = await createOrchestration(orgId, owner, { name: 'Claims' });
    await createJob(orgId, orchestrationId, owner, { title: 'Claim', email: known });
    // Act
    const a = await submit(orgId, { type: 'erasure', email: known, details: 'Please erase everything' });
    const b = await submit(orgId, { type: 'erasure', email: unknown, details: 'Please erase everything' });
    // Assess
    expect(a.status).toBe(202);
    expect(comparable(a)).toEqual(comparable(b));
    expect(await codeFor(known)).toMatch(/^\d{6}$/);
    expect(await codeFor(unknown)).toMatch(/^\d{6}$/);
    const stored = await storedRecords(orgId, `REQUEST#${a.body.requestId}`);
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ status: 'unverified', type: 'erasure', codeTries: 0 });
    const raw = JSON.stringify(stored);
    expect(raw).not.toContain(known);
    expect(raw).not.toContain('Please erase everything');
    expect(raw).not.toContain(await codeFor(known));
    // Audited without the address.
    const events = (await auditEvents(orgId)).filter((e) => e.action === 'request.create');
    expect(events.some((e) => (e.resource as { id: string }).id === a.body.requestId)).toBe(true);
    expect(JSON.stringify(events)).not.toContain(known);
  });

  test('an unknown organization and one whose intake is off answer 404', async () => {
    // Prepare
    const closed = await createOrg(owner, 'Closed intake');
    const switched = await callRoute({
      route: orgRoutes.updateOrg,
      as: owner,
      params: { orgId: closed },
      body: { requestIntake: false },
    });
    expect(switched.status).toBe(200);
    expect(switched.body.requestIntake).toBe(false);
    // Act + Assess
    expect((await submit(closed, { type: 'access', email: person() })).status).toBe(404);
    expect((await submit('01ARZ3NDEKTSV4RRFFQ69G5FAV', { type: 'access', email: person() })).status).toBe(
      404,
    );
    expect(await storedRecords(closed, 'REQUEST#')).toEqual([]);
  });

  test('bad input is a 400 naming the field, and nothing is written', async () => {
    const fresh = await createOrg(owner, 'Bad input');
    const cases = [
      [{ type: 'gossip', email: person() }, 'body.type'],
      [{ type: 'access', email: 'not-an-address' }, 'body.email'],
      [{ type: 'access', email: person(), extra: 1 }, 'body'],
    ] as const;
    for (const [body, path] of cases) {
      const answer = await submit(fresh, body);
      expect(answer.status).toBe(400);
      expect(answer.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    }
    expect(await storedRecords(fresh, 'REQUEST#')).toEqual([]);
  });

  test('5 per email per hour, then 429 with Retry-After; another address still passes', async () => {
    const fresh = await createOrg(owner, 'Limits');
    const email = person();
    for (let i = 0; i < 5; i += 1) expect((await submit(fresh, { type: 'access', email })).status).toBe(202);
    const limited = await submit(fresh, { type: 'access', email });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(3600);
    expect((await submit(fresh, { type: 'access', email: person() })).status).toBe(202);
  });

  test('20 per source address per hour, whatever the emails', async () => {
    const fresh = await createOrg(owner, 'Source limit');
    const source = '203.0.113.7';
    for (let i = 0; i < 20; i += 1)
      expect((await submit(fresh, { type: 'access', email: person() }, source)).status).toBe(202);
    const limited = await submit(fresh, { type: 'access', email: person() }, source);
    expect((await submit(fresh, { type: 'access', email: person() }, '203.0.113.8')).status).toBe(202);
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toMatch(/^\d+$/);
  });
});

describe('verification', () => {
  test('a wrong code says the tries left; the 5th voids the request (423), even with the right code after', async () => {
    // Prepare
    const email = person();
    const { requestId } = (await submit(orgId, { type: 'access', email })).body;
    const code = await codeFor(email);
    // Act + Assess
    for (let left = 4; left >= 1; left -= 1) {
      const answer = await verify(requestId, wrongCode(code));
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({ type: expect.stringMatching(/\/wrong-code$/), triesLeft: left });
    }
    expect((await verify(requestId, wrongCode(code))).status).toBe(423);
    expect((await verify(requestId, code)).status).toBe(423);
    expect((await getCase(requestId)).body.status).toBe('unverified');
  });

  test('an expired code is 410', async () => {
    const email = person();
    const { requestId } = (await submit(orgId, { type: 'access', email })).body;
    const code = await codeFor(email);
    advanceDomainClock(10 * 60 + 1);
    expect((await verify(requestId, code)).status).toBe(410);
  });

  test('the right code opens the request, due one month later, with timeline and audit events', async () => {
    // Act
    const before = domainClock.now();
    const { requestId, dueAt } = await openRequest('portability');
    // Assess
    const due = new Date(dueAt);
    const expected = new Date(before);
    expected.setUTCMonth(expected.getUTCMonth() + 1);
    expect(Math.abs(due.getTime() - expected.getTime())).toBeLessThan(4 * 24 * 3600 * 1000);
    expect(due.getTime()).toBeGreaterThan(before.getTime() + 27 * 24 * 3600 * 1000);
    const stored = (await storedRecords(orgId, `REQUEST#${requestId}`))[0]!;
    expect(stored.expiresAt).toBeUndefined();
    expect(stored.codeHash).toBeUndefined();
    const caseFile = await getCase(requestId);
    expect(caseFile.body).toMatchObject({ status: 'open', dueAt, type: 'portability', name: 'Sam Doe' });
    expect(caseFile.body.timeline.map((s: { action: string }) => s.action)).toEqual([
      'request.create',
      'request.verify',
    ]);
    const actions = (await auditEvents(orgId))
      .filter((e) => (e.resource as { id?: string }).id === requestId)
      .map((e) => e.action);
    expect(actions).toEqual(['request.create', 'request.verify', 'request.read']);
  });

  test('an unknown request is 404; a malformed code a 400 that costs no try', async () => {
    expect((await verify('01ARZ3NDEKTSV4RRFFQ69G5FAV', '123456')).status).toBe(404);
    const email = person();
    const { requestId } = (await submit(orgId, { type: 'access', email })).body;
    expect((await verify(requestId, '12ab')).status).toBe(400);
    expect((await storedRecords(orgId, `REQUEST#${requestId}`))[0]).toMatchObject({ codeTries: 0 });
  });
});

describe('the case', () => {
  test('staff with requests.manage list and read it; a member may not', async () => {
    const { requestId, email } = await openRequest('erasure');
    for (const as of [owner, admin, handler]) {
      const listed = await callRoute({
        route: requestRoutes.listRequests,
        as,
        params: { orgId },
        query: { status: 'open', type: 'erasure' },
      });
      expect(listed.status).toBe(200);
      expect(listed.body.items.map((i: { requestId: string }) => i.requestId)).toContain(requestId);
      expect(JSON.stringify(listed.body)).not.toContain('@');
      const read = await getCase(requestId, as);
      expect(read.status).toBe(200);
      expect(read.body.email).toBe(email);
    }
    expect(
      (await callRoute({ route: requestRoutes.listRequests, as: member, params: { orgId } })).status,
    ).toBe(403);
    expect((await getCase(requestId, member)).status).toBe(403);
  });

  test('filters by status, type and due date, and pages with a sealed cursor', async () => {
    const first = await openRequest('objection');
    const second = await openRequest('objection');
    const page = (query: Record<string, string>) =>
      callRoute({ route: requestRoutes.listRequests, as: owner, params: { orgId }, query });
    const ids = (answer: RouteAnswer) => answer.body.items.map((i: { requestId: string }) => i.requestId);
    expect(
      ids(await page({ type: 'objection', dueBefore: new Date(Date.parse(first.dueAt) + 1).toISOString() })),
    ).toContain(first.requestId);
    expect(ids(await page({ type: 'objection', dueBefore: first.dueAt }))).not.toContain(first.requestId);
    expect(ids(await page({ status: 'rejected', type: 'objection' }))).toEqual([]);
    const one = await page({ type: 'objection', limit: '1' });
    expect(one.body.items).toHaveLength(1);
    const next = await page({ type: 'objection', limit: '1', cursor: one.body.nextCursor });
    expect([...ids(one), ...ids(next)]).toEqual([first.requestId, second.requestId]);
    expect((await page({ status: 'closed' })).status).toBe(400);
  });

  test('assignment: to a member only, on the timeline and audited', async () => {
    const { requestId } = await openRequest();
    const assign = (assignee: string) =>
      callRoute({
        route: requestRoutes.assignRequest,
        as: owner,
        params: { orgId, requestId },
        body: { assignee },
      });
    const refused = await assign('not-a-member');
    expect(refused.status).toBe(400);
    expect(refused.body.errors[0].path).toBe('body.assignee');
    const assigned = await assign(handler.sub);
    expect(assigned.status).toBe(200);
    expect(assigned.body).toMatchObject({ assignee: handler.sub });
    expect(assigned.body.timeline.at(-1)).toMatchObject({ action: 'request.assign', actor: owner.sub });
  });

  test('extension: once, 1–2 months, never past three months from verification; the subject gets the reason', async () => {
    const { requestId, email, dueAt } = await openRequest();
    const extend = (months: number, reason = 'Records in several systems') =>
      callRoute({
        route: requestRoutes.extendRequest,
        as: handler,
        params: { orgId, requestId },
        body: { months, reason },
      });
    expect((await extend(3)).status).toBe(400);
    expect((await extend(1, 'Write to sam@example.test')).status).toBe(400);
    const extended = await extend(2);
    expect(extended.status).toBe(200);
    expect(Date.parse(extended.body.dueAt)).toBeGreaterThan(Date.parse(dueAt) + 58 * 24 * 3600 * 1000);
    expect(extended.body.extendedMonths).toBe(2);
    const again = await extend(1);
    expect(again.status).toBe(409);
    expect(again.body.type).toMatch(/\/extension-refused$/);
    const mail = (await emailsTo(email)).at(-1);
    expect(mail?.subject).toMatch(/more time/);
    expect(mail?.body.text).toContain('Records in several systems');
  });

  test('rejection tells the subject why and that they may complain to a supervisory authority', async () => {
    const { requestId, email } = await openRequest('rectification');
    const rejected = await callRoute({
      route: requestRoutes.rejectRequest,
      as: owner,
      params: { orgId, requestId },
      body: { reason: 'We hold no such record' },
    });
    expect(rejected.status).toBe(200);
    expect(rejected.body.status).toBe('rejected');
    const mail = (await emailsTo(email)).at(-1);
    expect(mail?.body.text).toContain('We hold no such record');
    expect(mail?.body.text).toMatch(/complaint with a supervisory authority/);
    // Closed: no second rejection, no assignment.
    expect(
      (
        await callRoute({
          route: requestRoutes.rejectRequest,
          as: owner,
          params: { orgId, requestId },
          body: { reason: 'Again' },
        })
      ).status,
    ).toBe(409);
    expect(
      (
        await callRoute({
          route: requestRoutes.assignRequest,
          as: owner,
          params: { orgId, requestId },
          body: { assignee: owner.sub },
        })
      ).status,
    ).toBe(409);
  });

  test('an unverified request cannot be rejected, and a request of another organization is 404', async () => {
    const email = person();
    const { requestId } = (await submit(orgId, { type: 'access', email })).body;
    expect(
      (
        await callRoute({
          route: requestRoutes.rejectRequest,
          as: owner,
          params: { orgId, requestId },
          body: { reason: 'No' },
        })
      ).status,
    ).toBe(409);
    const stranger = newUser('stranger');
    const otherOrg = await createOrg(stranger, 'Other');
    expect(
      (
        await callRoute({
          route: requestRoutes.getRequest,
          as: stranger,
          params: { orgId: otherOrg, requestId },
        })
      ).status,
    ).toBe(404);
  });
});

describe('fulfilment through the subject use cases', () => {
  const fulfil = (requestId: string, body: Record<string, unknown>, as = owner) =>
    callRoute({ route: requestRoutes.fulfilRequest, as, params: { orgId, requestId }, body });
  let claimsId: string;
  beforeAll(async () => {
    claimsId = await createOrchestration(orgId, owner, { name: 'Fulfilment claims' });
  });

  test('erasure deletes every job of the verified address: raw scans find neither the address nor the jobs', async () => {
    // Prepare
    const { requestId, email } = await openRequest('erasure');
    const jobs = [
      await createJob(orgId, claimsId, owner, { title: 'One', email }),
      await createJob(orgId, claimsId, member, { title: 'Two', email }),
    ];
    // Act
    expect((await fulfil(requestId, {})).status).toBe(400);
    const done = await fulfil(requestId, { mode: 'delete' });
    // Assess
    expect(done.status).toBe(200);
    expect(done.body.status).toBe('fulfilled');
    expect(done.body.timeline.at(-1)).toMatchObject({ action: 'request.fulfil', actor: owner.sub });
    const records = JSON.stringify(await scanTable('records'));
    for (const jobId of jobs) expect(records).not.toContain(jobId);
    expect(records).not.toContain(email);
    const events = (await auditEvents(orgId))
      .filter((e) => ['subject.erase', 'request.fulfil'].includes(e.action as string))
      .slice(-2);
    expect(events.map((e) => e.action)).toEqual(['subject.erase', 'request.fulfil']);
    expect(events[1]).toMatchObject({
      detail: { type: 'erasure', mode: 'delete', jobsAffected: 2, jobsHeld: 0 },
    });
    // Closed: a second fulfilment is refused.
    expect((await fulfil(requestId, { mode: 'delete' })).status).toBe(409);
  });

  test("erasure erases the subject's requests too: address, name and blind index go, the cases stay", async () => {
    // Prepare: an earlier access request and the erasure request, both of one address.
    const email = person();
    const requestIds: string[] = [];
    for (const type of ['access', 'erasure']) {
      const submitted = await submit(orgId, { type, email, name: 'Sam Doe' });
      expect((await verify(submitted.body.requestId, await codeFor(email))).status).toBe(200);
      requestIds.push(submitted.body.requestId);
    }
    const [accessId, erasureId] = requestIds as [string, string];
    const before = (await storedRecords(orgId, `REQUEST#${accessId}`))[0]!;
    // Act
    const done = await fulfil(erasureId, { mode: 'delete' });
    // Assess
    expect(done.status).toBe(200);
    expect(before).toMatchObject({ sealedEmail: expect.any(String), subjectIndex: expect.any(String) });
    for (const requestId of requestIds) {
      const stored = (await storedRecords(orgId, `REQUEST#${requestId}`))[0]!;
      for (const gone of ['sealedEmail', 'sealedName', 'sealedDetails', 'subjectIndex'])
        expect(stored).not.toHaveProperty(gone);
      expect(stored).toMatchObject({
        type: expect.any(String),
        createdAt: expect.any(String),
        subjectErasedAt: expect.any(String),
      });
    }
    const raw = await scanTable('records');
    const records = JSON.stringify(raw);
    expect(records).not.toContain(email);
    expect(records).not.toContain(before.sealedEmail as string);
    // The keyed hash stays only where it expires by itself: the intake limit's hourly counter (TTL).
    const hashed = raw.filter((item) => JSON.stringify(item).includes(before.subjectIndex as string));
    expect(hashed.map((item) => item.kind)).toEqual(['intake-counter']);
    // The cases stay readable, without the address; the access request can no longer be fulfilled.
    const access = await getCase(accessId);
    expect(access.status).toBe(200);
    expect(access.body).toMatchObject({ type: 'access', status: 'open' });
    expect(access.body).not.toHaveProperty('email');
    expect((await getCase(erasureId)).body).toMatchObject({ type: 'erasure', status: 'fulfilled' });
  });

  test.each(['restriction', 'objection'])('%s restricts every job of the subject', async (type) => {
    const { requestId, email } = await openRequest(type);
    const jobId = await createJob(orgId, claimsId, owner, { title: 'Restrict me', email });
    const done = await fulfil(requestId, {});
    expect(done.status).toBe(200);
    const stored = (await storedRecords(orgId, `JOB#${jobId}`))[0]!;
    expect(stored.restriction).toMatchObject({ reason: `Data subject request (${type})` });
  });

  test('rectification by a new email moves the jobs to it', async () => {
    const { requestId, email } = await openRequest('rectification');
    await createJob(orgId, claimsId, owner, { title: 'Rectify me', email });
    const newEmail = person();
    expect((await fulfil(requestId, { newEmail, changes: [] })).status).toBe(400);
    expect((await fulfil(requestId, { newEmail })).status).toBe(200);
    const asOwner = await callRoute({
      route: subjectRoutes.subjectAccess,
      as: owner,
      params: { orgId },
      body: { email: newEmail },
    });
    expect(asOwner.body.items).toHaveLength(1);
  });

  test("rectification by changes edits only the subject's own jobs, and refuses a restricted one", async () => {
    const { requestId, email } = await openRequest('rectification');
    const own = await createJob(orgId, claimsId, owner, { title: 'Typo', email });
    const other = await createJob(orgId, claimsId, owner, { title: 'Not theirs', email: person() });
    const refused = await fulfil(requestId, { changes: [{ jobId: other, fields: { title: 'Hijacked' } }] });
    expect(refused.status).toBe(400);
    expect(refused.body.errors[0].path).toBe('body.changes.0.jobId');
    await restrictDirectly(orgId, own);
    expect(
      (await fulfil(requestId, { changes: [{ jobId: own, fields: { title: 'Fixed' } }] })).body.type,
    ).toMatch(/\/restricted$/);
    const fresh = await createJob(orgId, claimsId, owner, { title: 'Typo', email });
    const done = await fulfil(requestId, { changes: [{ jobId: fresh, fields: { title: 'Fixed' } }] });
    expect(done.status).toBe(200);
    expect((await storedRecords(orgId, `JOB#${other}`))[0]).toMatchObject({
      fields: { title: 'Not theirs' },
    });
  });

  test('a staff member needs the right itself too: requests.manage alone does not erase', async () => {
    const { requestId } = await openRequest('erasure');
    expect((await fulfil(requestId, { mode: 'delete' }, handler)).status).toBe(403);
    expect((await getCase(requestId)).body.status).toBe('open');
  });

  test('access and portability queue the report: the request stays open until the subject is sent it; one not built yet may be queued again', async () => {
    const { requestId } = await openRequest('portability');
    const answer = await fulfil(requestId, {});
    expect(answer.status).toBe(200);
    expect(answer.body.status).toBe('open');
    expect(answer.body.timeline.at(-1)).toMatchObject({ action: 'request.report', actor: owner.sub });
    const again = await fulfil(requestId, {});
    expect(again.status).toBe(200);
    expect(again.body.timeline.filter((s: { action: string }) => s.action === 'request.report')).toHaveLength(
      2,
    );
  });
});

describe('expiry', () => {
  test('the clean-up sweep of expired items takes unverified requests after 7 days, never verified ones', async () => {
    // Prepare
    const email = person();
    const unverified = (await submit(orgId, { type: 'access', email })).body.requestId as string;
    const { requestId: verified } = await openRequest();
    const raw = new DynamoDBClient({});
    const sweep = new DynamoExpiredItems(DynamoDBDocumentClient.from(raw), testEnv('RECORDS_TABLE'));
    const run = async (at: Date) =>
      sweep.scanExpired(at, { remaining: () => true }, async (items) => {
        // Other test files' expired items are theirs to sweep.
        for (const item of items)
          if (item.orgId === orgId && item.key.sk.startsWith('REQUEST#')) await sweep.deleteExpired(item, at);
      });
    // Act
    await run(new Date(domainClock.now().getTime() + 6 * 24 * 3600 * 1000));
    const early = await storedRecords(orgId, `REQUEST#${unverified}`);
    await run(new Date(domainClock.now().getTime() + 7 * 24 * 3600 * 1000 + 1000));
    raw.destroy();
    // Assess
    expect(early).toHaveLength(1);
    expect(await storedRecords(orgId, `REQUEST#${unverified}`)).toEqual([]);
    expect(await storedRecords(orgId, `REQUEST#${verified}`)).toHaveLength(1);
  });
});

describe('deadlines in the scheduled cycle', () => {
  test('the assignee is reminded 7 days and 1 day before dueAt, once each; the owners when none is assigned; overdue ones are counted', async () => {
    // Prepare: the cycle's reminder pass over the real adapters, seeing only this file's organization.
    const raw = new DynamoDBClient({});
    const documents = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
    const writer = new AuditedWriter(documents, testEnv('AUDIT_TABLE'), domainClock);
    const store = new DynamoSubjectRequests(documents, testEnv('RECORDS_TABLE'), writer);
    const deps: ReminderDeps = {
      requests: {
        dueBefore: async function* (at) {
          for await (const request of store.dueBefore(at)) if (request.orgId === orgId) yield request;
        },
        markReminded: (...args) => store.markReminded(...args),
      },
      orgs: new DynamoOrganizations(documents, testEnv('RECORDS_TABLE'), writer),
      mailer: new SesMailer(undefined, LOCAL_MAIL_FROM),
      clock: domainClock,
    };
    const cycle = () => remindDueRequests(deps, `cycle-${randomUUID()}`, { remaining: () => true });
    const assigned = await openRequest('erasure');
    const assign = await callRoute({
      route: requestRoutes.assignRequest,
      as: owner,
      params: { orgId, requestId: assigned.requestId },
      body: { assignee: handler.sub },
    });
    expect(assign.status).toBe(200);
    const unassigned = await openRequest('access');
    const remindersTo = async (email: string, requestId: string) =>
      (await emailsTo(email)).filter((m) => m.body.text?.includes(requestId)).map((m) => m.subject);
    // Act + Assess: a month ahead, nothing is due yet.
    await cycle();
    expect(await remindersTo(handler.email, assigned.requestId)).toEqual([]);
    // Within a week: one reminder each, to the assignee and to the owner; a second run sends none.
    advanceDomainClock((Date.parse(assigned.dueAt) - domainClock.now().getTime()) / 1000 - 6 * 24 * 3600);
    await cycle();
    await cycle();
    expect(await remindersTo(handler.email, assigned.requestId)).toEqual([
      expect.stringMatching(/due within a week$/),
    ]);
    expect(await remindersTo(owner.email, unassigned.requestId)).toEqual([
      expect.stringMatching(/due within a week$/),
    ]);
    expect(await remindersTo(owner.email, assigned.requestId)).toEqual([]);
    // Within a day: the second reminder, once.
    advanceDomainClock(5.5 * 24 * 3600);
    await cycle();
    await cycle();
    expect(await remindersTo(handler.email, assigned.requestId)).toEqual([
      expect.stringMatching(/week$/),
      expect.stringMatching(/within a day$/),
    ]);
    const reminded = (await getCase(assigned.requestId)).body;
    const timeline = reminded.timeline.map((s: { action: string }) => s.action);
    expect(timeline.filter((a: string) => a === 'request.remind')).toHaveLength(2);
    // A reminder is a step of the case like any other: it moves `updatedAt`.
    expect(timeline.at(-1)).toBe('request.remind');
    expect(reminded.updatedAt).toBe(reminded.timeline.at(-1).at);
    // Past due: counted as overdue; a closed request is not.
    advanceDomainClock(24 * 3600);
    const before = await cycle();
    await callRoute({
      route: requestRoutes.rejectRequest,
      as: owner,
      params: { orgId, requestId: assigned.requestId },
      body: { reason: 'Closed for the test' },
    });
    const after = await cycle();
    raw.destroy();
    expect(before.overdue - after.overdue).toBe(1);
    expect(after.remindersSent).toBe(0);
  });
});
