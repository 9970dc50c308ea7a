/**
 * Restriction of processing (GDPR Art. 18) against the emulators, through the real handlers.
 *
 * The enumerator: PROCESSING_OPERATIONS (shared/use-cases/restriction.ts) registers every
 * processing operation, and DRIVERS below must hold one driver per registered operation (the type
 * makes a missing one a compile error); each driver runs its operation against a restricted job
 * and asserts the refusal (409 `/restricted`) or, where API.md says so, that the job is skipped.
 * The route table is enumerated too: every route that reaches jobs must be classified here as
 * one of the registered operations or as not processing (with the reason), so a new route that
 * processes jobs fails this file until it registers — and then it is driven.
 */
import { routeKey } from '../../shared/api/route.ts';
import { extensionRoutes } from '../../shared/api/routes/extensions.ts';
import { ROUTES } from '../../shared/api/routes/index.ts';
import { jobRoutes } from '../../shared/api/routes/jobs.ts';
import { downloadRoutes } from '../../shared/api/routes/download.ts';
import { portabilityRoutes } from '../../shared/api/routes/portability.ts';
import { subjectRoutes } from '../../shared/api/routes/subjects.ts';
import { recipientRoutes } from '../../shared/api/routes/recipients.ts';
import { PROCESSING_OPERATIONS, type ProcessingOperation } from '../../shared/use-cases/restriction.ts';
import { addMember, createJob, createOrchestration, createOrg, createRole } from './api/fixtures.ts';
import { callRoute, newUser, type RouteAnswer } from './api/invoke-route.ts';
import { auditEvents } from './api/stored.ts';
import { stopWorkQueue, workUntil } from './portability-worker-support.ts';

const owner = newUser('owner');
const admin = newUser('admin');
const member = newUser('member');
const restrictor = newUser('restrictor');
let orgId: string;
let orchestrationId: string;
/** The subject's restricted job and an unrestricted sibling of the same subject. */
let restrictedJobId: string;
let siblingJobId: string;
const subject = `rita.${Date.now()}@example.test`;

const NOT_PROCESSING = 'not processing';
type Classification = ProcessingOperation | `${typeof NOT_PROCESSING}: ${string}`;

/** Every route that reaches jobs, classified. */
const ROUTE_CLASSES: Readonly<Record<string, Classification>> = {
  [routeKey(jobRoutes.createJob)]: 'not processing: creates a new job, restricts nothing existing',
  [routeKey(jobRoutes.listJobs)]: 'not processing: reading stays allowed (restricted jobs are flagged)',
  [routeKey(jobRoutes.getJob)]: 'not processing: reading stays allowed',
  [routeKey(jobRoutes.updateJob)]: 'job.update',
  [routeKey(jobRoutes.transitionJob)]: 'job.transition',
  [routeKey(jobRoutes.deleteJob)]: 'job.delete',
  [routeKey(jobRoutes.restrictJob)]: 'not processing: the restriction itself',
  [routeKey(jobRoutes.liftRestriction)]: 'not processing: the restriction itself',
  [routeKey(jobRoutes.placeHold)]: 'not processing: a legal hold keeps the job stored, as a restriction does',
  [routeKey(jobRoutes.liftHold)]:
    'not processing: lifting a legal hold changes nothing of the job but the hold',
  [routeKey(extensionRoutes.shareJob)]: 'job.share',
  [routeKey(portabilityRoutes.exportJob)]: 'job.export',
  [routeKey(portabilityRoutes.createExport)]: 'job.export',
  [routeKey(portabilityRoutes.getExport)]: 'not processing: hands out a file built (and filtered) earlier',
  [routeKey(portabilityRoutes.createBackup)]: 'job.export',
  [routeKey(portabilityRoutes.getBackup)]: 'not processing: status of a backup',
  [routeKey(downloadRoutes.downloadPage)]: 'not processing: the password page of a backup built earlier',
  [routeKey(downloadRoutes.downloadSubmit)]: 'not processing: hands out a backup built earlier',
  [routeKey(subjectRoutes.subjectAccess)]: "not processing: the subject's own right of access reads",
  [routeKey(subjectRoutes.subjectRectification)]: 'subject.rectify',
  [routeKey(subjectRoutes.subjectErasure)]:
    "not processing: the subject's erasure request supersedes their restriction (Art. 17)",
  [routeKey(subjectRoutes.subjectRestriction)]: 'not processing: the restriction itself',
  'DELETE /v1/orgs/{orgId}/orchestrations/{orchestrationId}':
    'not processing: erasure of the whole orchestration',
  [routeKey(recipientRoutes.jobRecipients)]:
    'not processing: reads who received the job (Art. 19), nothing of the job itself',
  [routeKey(recipientRoutes.subjectRecipients)]:
    "not processing: the subject's right to know the recipients (Art. 15(1)(c), 19)",
  // Runs the subject routes' use cases: a rectification by {newEmail} is subject.rectify, by
  // {changes} job.update (both refuse restricted jobs); erasure and restriction as their routes.
  'POST /v1/orgs/{orgId}/requests/{requestId}/fulfil': 'subject.rectify',
};

/** Routes that reach jobs: anything about jobs, subjects, exports, backups or sharing. */
const reachesJobs = (path: string, method: string): boolean =>
  /\/(jobs|subjects|exports|backups)(\/|$)|\{jobId\}|\/requests\/\{requestId\}\/fulfil$/.test(path) ||
  (method === 'DELETE' && path === '/v1/orgs/{orgId}/orchestrations/{orchestrationId}');

const expectRestricted = (answer: RouteAnswer): void => {
  expect({ status: answer.status, type: answer.body?.type }).toEqual({
    status: 409,
    type: expect.stringMatching(/\/restricted$/),
  });
};

async function exportFile(as: typeof owner): Promise<string> {
  const created = await callRoute({
    route: portabilityRoutes.createExport,
    as,
    params: { orgId },
    body: { format: 'csv', orchestrationId },
  });
  expect(created.status).toBe(202);
  let status: Record<string, unknown> = {};
  await workUntil(async () => {
    status = (
      await callRoute({
        route: portabilityRoutes.getExport,
        as,
        params: { orgId, exportId: created.body.exportId as string },
      })
    ).body;
    return status.status === 'ready' || status.status === 'failed';
  });
  expect(status.status).toBe('ready');
  return (await fetch(String(status.downloadUrl))).text();
}

/** One driver per registered processing operation: it must see the restricted job refused (or skipped). */
const DRIVERS: Readonly<Record<ProcessingOperation, () => Promise<void>>> = {
  'job.update': async () => {
    expectRestricted(
      await callRoute({
        route: jobRoutes.updateJob,
        as: owner,
        params: { orgId, jobId: restrictedJobId },
        body: { fields: { title: 'Changed' } },
      }),
    );
  },
  'job.transition': async () => {
    expectRestricted(
      await callRoute({
        route: jobRoutes.transitionJob,
        as: owner,
        params: { orgId, jobId: restrictedJobId },
        body: { stage: 'review' },
      }),
    );
  },
  'job.delete': async () => {
    expectRestricted(
      await callRoute({ route: jobRoutes.deleteJob, as: owner, params: { orgId, jobId: restrictedJobId } }),
    );
  },
  'job.share': async () => {
    expectRestricted(
      await callRoute({
        route: extensionRoutes.shareJob,
        as: owner,
        params: { orgId, jobId: restrictedJobId, extensionId: 'acme-crm' },
      }),
    );
  },
  'job.export': async () => {
    // Anyone but an owner: refused for one job, left out of a bulk export. Owners still may.
    expectRestricted(
      await callRoute({
        route: portabilityRoutes.exportJob,
        as: admin,
        params: { orgId, jobId: restrictedJobId },
        query: { format: 'csv' },
      }),
    );
    const byOwner = await callRoute({
      route: portabilityRoutes.exportJob,
      as: owner,
      params: { orgId, jobId: restrictedJobId },
      query: { format: 'csv' },
    });
    expect(byOwner.status).toBe(200);
    const adminFile = await exportFile(admin);
    expect(adminFile).toContain(siblingJobId);
    expect(adminFile).not.toContain(restrictedJobId);
    expect(await exportFile(owner)).toContain(restrictedJobId);
  },
  'subject.rectify': async () => {
    expectRestricted(
      await callRoute({
        route: subjectRoutes.subjectRectification,
        as: owner,
        params: { orgId },
        body: { email: subject, newEmail: 'rita.new@example.test' },
      }),
    );
    // All or nothing: the unrestricted sibling was not rectified either.
    const sibling = await callRoute({
      route: jobRoutes.getJob,
      as: owner,
      params: { orgId, jobId: siblingJobId },
    });
    expect(sibling.body.fields.email).toBe(subject);
  },
};

beforeAll(async () => {
  orgId = await createOrg(owner, 'Restriction Co');
  orchestrationId = await createOrchestration(orgId, owner);
  await addMember(orgId, owner, admin, 'admin');
  await addMember(orgId, owner, member, 'member');
  const roleId = await createRole(orgId, owner, {
    name: 'Restrictors',
    permissions: ['records.restrict', 'jobs.read_all'],
  });
  await addMember(orgId, owner, restrictor, roleId);
  restrictedJobId = await createJob(orgId, orchestrationId, owner, {
    title: 'Disputed',
    email: subject,
    ssn: 'RESTRICTED-SSN',
  });
  siblingJobId = await createJob(orgId, orchestrationId, owner, { title: 'Sibling', email: subject });
  const restricted = await callRoute({
    route: jobRoutes.restrictJob,
    as: restrictor,
    params: { orgId, jobId: restrictedJobId },
    body: { reason: 'Accuracy contested by the customer' },
  });
  expect(restricted.status).toBe(200);
});

afterAll(() => stopWorkQueue());

describe('the enumerator', () => {
  test('every route that reaches jobs is classified, and only as a registered operation', () => {
    const reaching = ROUTES.filter((route) => reachesJobs(route.path, route.method)).map(routeKey);
    expect(reaching.filter((key) => ROUTE_CLASSES[key] === undefined)).toEqual([]);
    const operations = Object.keys(PROCESSING_OPERATIONS);
    for (const classification of Object.values(ROUTE_CLASSES)) {
      if (!classification.startsWith(NOT_PROCESSING)) expect(operations).toContain(classification);
    }
  });

  test('every registered operation is reached by a route and has a driver', () => {
    const reached = new Set(Object.values(ROUTE_CLASSES));
    expect(Object.keys(PROCESSING_OPERATIONS).filter((op) => !reached.has(op as Classification))).toEqual([]);
    expect(Object.keys(DRIVERS).sort()).toEqual(Object.keys(PROCESSING_OPERATIONS).sort());
  });

  test.each(Object.keys(PROCESSING_OPERATIONS) as ProcessingOperation[])(
    '%s refuses (or skips) the restricted job',
    async (operation) => {
      await DRIVERS[operation]();
      // Whatever was refused, the job is unchanged and still readable by those allowed.
      const read = await callRoute({
        route: jobRoutes.getJob,
        as: owner,
        params: { orgId, jobId: restrictedJobId },
      });
      expect(read.status).toBe(200);
      expect(read.body).toMatchObject({
        restricted: true,
        version: 2,
        stage: 'new',
        fields: { title: 'Disputed', ssn: 'RESTRICTED-SSN' },
      });
    },
  );
});

describe('restricting and lifting', () => {
  test('restriction needs records.restrict; a member without it gets 403, an outsider 404', async () => {
    const jobId = await createJob(orgId, orchestrationId, member, { title: 'Own job' });
    const byMember = await callRoute({
      route: jobRoutes.restrictJob,
      as: member,
      params: { orgId, jobId },
      body: { reason: 'Mine' },
    });
    expect(byMember.status).toBe(403);
    const outsider = await callRoute({
      route: jobRoutes.restrictJob,
      as: newUser('outsider'),
      params: { orgId, jobId },
      body: { reason: 'x' },
    });
    expect(outsider.status).toBe(404);
  });

  test('a reason with an email address is refused (it would stay in the audit log forever)', async () => {
    const answer = await callRoute({
      route: jobRoutes.restrictJob,
      as: owner,
      params: { orgId, jobId: siblingJobId },
      body: { reason: `asked by ${subject}` },
    });
    expect(answer.status).toBe(400);
  });

  test('lifting takes a reason, is audited with it, and makes the job processable again; lifting twice is a 409', async () => {
    // Prepare
    const jobId = await createJob(orgId, orchestrationId, owner, {
      title: 'To lift',
      email: 'lift@example.test',
    });
    const put = await callRoute({
      route: jobRoutes.restrictJob,
      as: owner,
      params: { orgId, jobId },
      body: { reason: 'Objection pending' },
    });
    expect(put.body).toMatchObject({
      jobId,
      restricted: true,
      restriction: { reason: 'Objection pending', by: owner.sub },
      version: 2,
    });
    expect(put.headers.etag).toBe('"2"');
    // Act
    const lifted = await callRoute({
      route: jobRoutes.liftRestriction,
      as: owner,
      params: { orgId, jobId },
      body: { reason: 'Objection resolved' },
    });
    // Assess
    expect(lifted.status).toBe(200);
    expect(lifted.body).toEqual({ jobId, restricted: false, version: 3 });
    const events = (await auditEvents(orgId)).filter((e) => (e.resource as { id: string }).id === jobId);
    expect(events.map((e) => [e.action, (e.detail as { reason?: string } | undefined)?.reason])).toEqual(
      expect.arrayContaining([
        ['job.restrict', 'Objection pending'],
        ['job.restriction_lift', 'Objection resolved'],
      ]),
    );
    const edited = await callRoute({
      route: jobRoutes.updateJob,
      as: owner,
      params: { orgId, jobId },
      body: { fields: { title: 'Processed again' } },
    });
    expect(edited.status).toBe(200);
    const again = await callRoute({
      route: jobRoutes.liftRestriction,
      as: owner,
      params: { orgId, jobId },
      body: { reason: 'Twice' },
    });
    expect(again.status).toBe(409);
    expect(again.body.type).toMatch(/\/not-restricted$/);
  });

  // Clients and proxies drop DELETE bodies: lifting must not need one (issue 16).
  test.each([
    ['without a body', undefined],
    ['with an empty object', {}],
  ])('lifting %s works and is audited without a reason', async (_name, body) => {
    // Prepare
    const jobId = await createJob(orgId, orchestrationId, owner, {
      title: 'Lift without reason',
      email: 'lift-bare@example.test',
    });
    const put = await callRoute({
      route: jobRoutes.restrictJob,
      as: owner,
      params: { orgId, jobId },
      body: { reason: 'Objection pending' },
    });
    expect(put.status).toBe(200);
    // Act
    const lifted = await callRoute({
      route: jobRoutes.liftRestriction,
      as: owner,
      params: { orgId, jobId },
      ...(body === undefined ? {} : { body }),
    });
    // Assess
    expect(lifted.status).toBe(200);
    expect(lifted.body).toEqual({ jobId, restricted: false, version: 3 });
    const lift = (await auditEvents(orgId)).filter(
      (e) => (e.resource as { id: string }).id === jobId && e.action === 'job.restriction_lift',
    );
    expect(lift).toHaveLength(1);
    expect(lift[0]!.detail).toBeUndefined();
  });

  test('restricting a subject restricts every one of their jobs once; processing them then answers 409', async () => {
    // Prepare
    const person = `sam.${Date.now()}@example.test`;
    const other = await createOrchestration(orgId, owner, { name: 'Second process' });
    const jobs = [
      await createJob(orgId, orchestrationId, owner, { title: 'A', email: person }),
      await createJob(orgId, other, member, { title: 'B', email: person.toUpperCase() }),
    ];
    // Act
    const first = await callRoute({
      route: subjectRoutes.subjectRestriction,
      as: admin,
      params: { orgId },
      body: { email: person, reason: 'Objection (Art. 21) pending' },
    });
    const second = await callRoute({
      route: subjectRoutes.subjectRestriction,
      as: admin,
      params: { orgId },
      body: { email: person, reason: 'Again' },
    });
    // Assess
    expect([first.status, first.body, second.body]).toEqual([200, { jobsAffected: 2 }, { jobsAffected: 0 }]);
    for (const jobId of jobs) {
      const read = await callRoute({ route: jobRoutes.getJob, as: owner, params: { orgId, jobId } });
      expect(read.body.restricted).toBe(true);
      expectRestricted(
        await callRoute({
          route: jobRoutes.transitionJob,
          as: owner,
          params: { orgId, jobId },
          body: { stage: 'done' },
        }),
      );
    }
    const events = (await auditEvents(orgId)).filter((e) => e.action === 'subject.restrict');
    expect(events.at(-2)).toMatchObject({ detail: { reason: 'Objection (Art. 21) pending', jobsFound: 2 } });
    expect(JSON.stringify(events)).not.toContain(person);
    const denied = await callRoute({
      route: subjectRoutes.subjectRestriction,
      as: member,
      params: { orgId },
      body: { email: person, reason: 'x' },
    });
    expect(denied.status).toBe(403);
  });
});
