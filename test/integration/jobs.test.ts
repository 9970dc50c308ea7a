/**
 * Jobs through the real handlers against the emulators: typed values, sealed fields and the blind
 * subject index as stored, field masks, pagination with sealed cursors, optimistic concurrency,
 * restriction, and the read audit events of decrypting responses.
 */
import { jobRoutes } from '../../shared/api/routes/jobs.ts';
import { orchestrationRoutes } from '../../shared/api/routes/orchestrations.ts';
import { addMember, createJob, createOrchestration, createOrg, createRole } from './api/fixtures.ts';
import { callRoute, newUser } from './api/invoke-route.ts';
import { auditEvents, restrictDirectly, storedRecords } from './api/stored.ts';
import { partitionState } from '../security/partition-state.ts';

const owner = newUser('owner');
const alice = newUser('alice');
const bob = newUser('bob');
const ssnHidden = newUser('ssnhidden');
const amountReader = newUser('amountreader');
const SECRET_EMAIL = 'Carla.Subject@Example.test';
const SECRET_SSN = 'SSN-778-12-3456';

let orgId: string;
let orchestrationId: string;
let otherOrchestrationId: string;
let aliceJob: string;

beforeAll(async () => {
  orgId = await createOrg(owner, 'Jobs Inc');
  orchestrationId = await createOrchestration(orgId, owner);
  otherOrchestrationId = await createOrchestration(orgId, owner, { name: 'Other' });
  const hidingRole = await createRole(orgId, owner, {
    name: 'No SSN',
    permissions: ['jobs.read_all'],
    fieldPermissions: { [orchestrationId]: { ssn: 'hidden' } },
  });
  const readRole = await createRole(orgId, owner, {
    name: 'Amount read-only',
    permissions: [],
    fieldPermissions: { [orchestrationId]: { amount: 'read' } },
  });
  await Promise.all([
    addMember(orgId, owner, alice, 'member'),
    addMember(orgId, owner, bob, 'member'),
    addMember(orgId, owner, ssnHidden, hidingRole),
    addMember(orgId, owner, amountReader, readRole),
  ]);
  aliceJob = await createJob(orgId, orchestrationId, alice, {
    title: 'Broken window',
    email: SECRET_EMAIL,
    phone: '+44 20 7946 0958',
    amount: 120,
    due: '2026-12-01',
    ssn: SECRET_SSN,
  });
});

describe('creating', () => {
  test('the caller owns the job, it starts in the first stage, the answer carries the ETag', async () => {
    const res = await callRoute({
      route: jobRoutes.createJob,
      as: bob,
      params: { orgId, orchestrationId },
      body: { fields: { title: 'Leak', amount: 3 } },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      ownerId: bob.sub,
      stage: 'new',
      version: 1,
      restricted: false,
      fields: { title: 'Leak', amount: 3 },
    });
    expect(res.headers.etag).toBe('"1"');
  });

  test.each([
    ['a value of the wrong type', { amount: 'lots' }, 'body.fields.amount'],
    ['an invalid email', { email: 'not-an-email' }, 'body.fields.email'],
    ['an invalid date', { due: '2026-13-01' }, 'body.fields.due'],
    ['a field the orchestration does not have', { color: 'red' }, 'body.fields.color'],
  ])('%s is a 400 naming the field', async (_name, fields, path) => {
    const res = await callRoute({
      route: jobRoutes.createJob,
      as: alice,
      params: { orgId, orchestrationId },
      body: { fields },
    });
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
  });

  // The store holds numbers of about 1e-130..1e126 in magnitude; beyond that a write failed with a 500 (issue 16).
  test.each([
    ['1e308', '{"fields":{"amount":1e308}}'],
    ['-1e125', '{"fields":{"amount":-1e125}}'],
    ['1e-200', '{"fields":{"amount":1e-200}}'],
  ])(
    'a number the store cannot hold (%s) is a 400 naming the field on create and PATCH, and nothing is written',
    async (_name, raw) => {
      const before = await partitionState(orgId);
      const created = await callRoute({
        route: jobRoutes.createJob,
        as: alice,
        params: { orgId, orchestrationId },
        body: JSON.parse(raw) as unknown,
      });
      const patched = await callRoute({
        route: jobRoutes.updateJob,
        as: alice,
        params: { orgId, jobId: aliceJob },
        body: JSON.parse(raw) as unknown,
      });
      for (const res of [created, patched]) {
        expect(res.status).toBe(400);
        expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual(['body.fields.amount']);
      }
      expect(await partitionState(orgId)).toEqual(before);
    },
  );

  test.each(['ownerId', 'orgId', 'restricted', 'version'])(
    'OWASP API3 mass assignment: %s in the body is a 400',
    async (key) => {
      const res = await callRoute({
        route: jobRoutes.createJob,
        as: alice,
        params: { orgId, orchestrationId },
        body: { fields: { title: 'x' }, [key]: key === 'version' ? 9 : 'x' },
      });
      expect(res.status).toBe(400);
    },
  );
});

describe('encryption at rest', () => {
  test('encrypted fields are stored only as ciphertext and the subject index is a blind index', async () => {
    const [item] = await storedRecords(orgId, `JOB#${aliceJob}`);
    const raw = JSON.stringify(item);
    expect(raw).not.toContain(SECRET_SSN);
    expect(raw.toLowerCase()).not.toContain(SECRET_EMAIL.toLowerCase());
    expect(String((item!.fields as Record<string, unknown>).ssn)).toMatch(/^v1\./);
    expect(item!.gsi2pk).toMatch(new RegExp(`^ORG#${orgId}#SUBJ#[A-Za-z0-9_-]{43}$`));
    // Non-encrypted values stay readable (they are not secret), e.g. for sorting and exports.
    expect((item!.fields as Record<string, unknown>).title).toBe('Broken window');
  });

  test('equal emails (case, spaces) give the same blind index', async () => {
    const jobId = await createJob(orgId, orchestrationId, alice, {
      email: `  ${SECRET_EMAIL.toUpperCase()} `,
    });
    const [a] = await storedRecords(orgId, `JOB#${aliceJob}`);
    const [b] = await storedRecords(orgId, `JOB#${jobId}`);
    expect(b!.gsi2pk).toBe(a!.gsi2pk);
  });

  test('no plaintext of encrypted fields reaches the audit log', async () => {
    const raw = JSON.stringify(await auditEvents(orgId));
    expect(raw).not.toContain(SECRET_SSN);
    expect(raw.toLowerCase()).not.toContain(SECRET_EMAIL.toLowerCase());
  });
});

describe('reading', () => {
  test('the owner of the job reads it decrypted, with its ETag, and the read is audited once', async () => {
    const before = (await auditEvents(orgId)).length;
    const res = await callRoute({ route: jobRoutes.getJob, as: alice, params: { orgId, jobId: aliceJob } });
    expect(res.status).toBe(200);
    expect(res.body.fields).toMatchObject({
      email: SECRET_EMAIL,
      ssn: SECRET_SSN,
      phone: '+442079460958',
      amount: 120,
    });
    expect(res.headers.etag).toBe(`"${res.body.version}"`);
    const events = (await auditEvents(orgId)).slice(before);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      action: 'job.read',
      actor: alice.sub,
      resource: { type: 'job', id: aliceJob },
      detail: { decryptedFields: 'email,ssn' },
    });
  });

  test('another member does not see it (404), an admin-like reader does', async () => {
    expect(
      (await callRoute({ route: jobRoutes.getJob, as: bob, params: { orgId, jobId: aliceJob } })).status,
    ).toBe(404);
    expect(
      (await callRoute({ route: jobRoutes.getJob, as: owner, params: { orgId, jobId: aliceJob } })).status,
    ).toBe(200);
  });

  test('a role with ssn hidden never sees it: absent from get and list, not null', async () => {
    const got = await callRoute({
      route: jobRoutes.getJob,
      as: ssnHidden,
      params: { orgId, jobId: aliceJob },
    });
    expect(got.status).toBe(200);
    expect(got.body.fields).not.toHaveProperty('ssn');
    expect(got.body.fields.title).toBe('Broken window');
    const listed = await callRoute({
      route: jobRoutes.listJobs,
      as: ssnHidden,
      params: { orgId, orchestrationId },
      query: { limit: '100' },
    });
    expect(listed.status).toBe(200);
    expect(listed.body.items.length).toBeGreaterThan(0);
    for (const job of listed.body.items) expect(job.fields).not.toHaveProperty('ssn');
    expect(got.text + listed.text).not.toContain(SECRET_SSN);
    const definition = await callRoute({
      route: orchestrationRoutes.getOrchestration,
      as: ssnHidden,
      params: { orgId, orchestrationId },
    });
    expect(definition.body.fields.map((f: { id: string }) => f.id)).not.toContain('ssn');
  });
});

describe('listing', () => {
  test("a member lists only its own jobs; jobs.read_all lists everyone's", async () => {
    const mine = await callRoute({ route: jobRoutes.listJobs, as: bob, params: { orgId, orchestrationId } });
    expect(mine.status).toBe(200);
    expect(mine.body.items.length).toBeGreaterThan(0);
    expect(mine.body.items.every((j: { ownerId: string }) => j.ownerId === bob.sub)).toBe(true);
    const all = await callRoute({
      route: jobRoutes.listJobs,
      as: ssnHidden,
      params: { orgId, orchestrationId },
      query: { limit: '100' },
    });
    expect(new Set(all.body.items.map((j: { ownerId: string }) => j.ownerId))).toEqual(
      new Set([alice.sub, bob.sub]),
    );
  });

  test('pages follow sealed cursors to the end without repeats', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 20; page++) {
      const res = await callRoute({
        route: jobRoutes.listJobs,
        as: owner,
        params: { orgId, orchestrationId },
        query: { limit: '1', ...(cursor ? { cursor } : {}) },
      });
      expect(res.status).toBe(200);
      seen.push(...res.body.items.map((j: { jobId: string }) => j.jobId));
      if (res.body.nextCursor === null) break;
      cursor = res.body.nextCursor as string;
    }
    const full = await callRoute({
      route: jobRoutes.listJobs,
      as: owner,
      params: { orgId, orchestrationId },
      query: { limit: '100' },
    });
    expect(seen).toEqual(full.body.items.map((j: { jobId: string }) => j.jobId));
  });

  test.each([
    ['garbled', () => 'not-a-cursor'],
    ['truncated', (c: string) => c.slice(0, -4)],
    ['tampered', (c: string) => `${c.slice(0, 20)}${c[20] === 'A' ? 'B' : 'A'}${c.slice(21)}`],
  ])('a %s cursor is a 400', async (_name, mangle) => {
    const first = await callRoute({
      route: jobRoutes.listJobs,
      as: owner,
      params: { orgId, orchestrationId },
      query: { limit: '1' },
    });
    const res = await callRoute({
      route: jobRoutes.listJobs,
      as: owner,
      params: { orgId, orchestrationId },
      query: { cursor: mangle(first.body.nextCursor as string) },
    });
    expect(res.status).toBe(400);
    expect(res.body.type).toMatch(/invalid-cursor$|validation$/);
  });

  test("another list's cursor (other orchestration, narrower scope) is a 400", async () => {
    await createJob(orgId, otherOrchestrationId, owner, { title: 'a' });
    await createJob(orgId, otherOrchestrationId, owner, { title: 'b' });
    const other = await callRoute({
      route: jobRoutes.listJobs,
      as: owner,
      params: { orgId, orchestrationId: otherOrchestrationId },
      query: { limit: '1' },
    });
    const cursor = other.body.nextCursor as string;
    expect(
      (
        await callRoute({
          route: jobRoutes.listJobs,
          as: owner,
          params: { orgId, orchestrationId },
          query: { cursor },
        })
      ).status,
    ).toBe(400);
    expect(
      (
        await callRoute({
          route: jobRoutes.listJobs,
          as: alice,
          params: { orgId, orchestrationId: otherOrchestrationId },
          query: { cursor },
        })
      ).status,
    ).toBe(400);
  });
});

describe('changing', () => {
  test('If-Match: a stale tag is a 412, the current one succeeds and moves the version', async () => {
    const jobId = await createJob(orgId, orchestrationId, alice, { title: 'v1' });
    const stale = await callRoute({
      route: jobRoutes.updateJob,
      as: alice,
      params: { orgId, jobId },
      headers: { 'if-match': '"7"' },
      body: { fields: { title: 'v2' } },
    });
    expect(stale.status).toBe(412);
    const fresh = await callRoute({
      route: jobRoutes.updateJob,
      as: alice,
      params: { orgId, jobId },
      headers: { 'if-match': '"1"' },
      body: { fields: { title: 'v2', amount: null } },
    });
    expect(fresh.status).toBe(200);
    expect(fresh.body).toMatchObject({ version: 2, fields: { title: 'v2' } });
    expect(fresh.headers.etag).toBe('"2"');
  });

  test('concurrent edits without If-Match are all applied, none lost', async () => {
    const jobId = await createJob(orgId, orchestrationId, alice, { title: 'start' });
    const edits = await Promise.all([
      callRoute({
        route: jobRoutes.updateJob,
        as: alice,
        params: { orgId, jobId },
        body: { fields: { title: 'one' } },
      }),
      callRoute({
        route: jobRoutes.updateJob,
        as: alice,
        params: { orgId, jobId },
        body: { fields: { amount: 2 } },
      }),
    ]);
    expect(edits.map((e) => e.status)).toEqual([200, 200]);
    const final = await callRoute({ route: jobRoutes.getJob, as: alice, params: { orgId, jobId } });
    expect(final.body).toMatchObject({ version: 3, fields: { title: 'one', amount: 2 } });
  });

  test('writing a read-only field is a 403 naming it; other fields stay writable', async () => {
    const jobId = await createJob(orgId, orchestrationId, amountReader, { title: 'mine' });
    const denied = await callRoute({
      route: jobRoutes.updateJob,
      as: amountReader,
      params: { orgId, jobId },
      body: { fields: { amount: 5 } },
    });
    expect(denied.status).toBe(403);
    expect(denied.body.detail).toContain('amount');
    const created = await callRoute({
      route: jobRoutes.createJob,
      as: amountReader,
      params: { orgId, orchestrationId },
      body: { fields: { amount: 5 } },
    });
    expect(created.status).toBe(403);
    expect(
      (
        await callRoute({
          route: jobRoutes.updateJob,
          as: amountReader,
          params: { orgId, jobId },
          body: { fields: { title: 'renamed' } },
        })
      ).status,
    ).toBe(200);
  });

  test('audit changes name the changed fields with values only of non-personal, non-encrypted ones', async () => {
    const jobId = await createJob(orgId, orchestrationId, alice, { title: 'before' });
    await callRoute({
      route: jobRoutes.updateJob,
      as: alice,
      params: { orgId, jobId },
      body: { fields: { title: 'after', ssn: 'SSN-000-11-2222', phone: '+15551234567' } },
    });
    const event = (await auditEvents(orgId))
      .filter((e) => e.action === 'job.update' && (e.resource as { id: string }).id === jobId)
      .at(-1);
    expect(event!.changes).toEqual({ fields: ['title', 'phone', 'ssn'], values: { title: 'after' } });
  });

  test('a write answers in one audit event: it names the stored encrypted fields its answer shows, and no read event follows', async () => {
    // Prepare
    const jobId = await createJob(orgId, orchestrationId, alice, {
      title: 'one event',
      email: SECRET_EMAIL,
      ssn: SECRET_SSN,
    });
    const before = (await auditEvents(orgId)).length;
    // Act: the edit sends ssn; the answer also shows the stored, encrypted email
    const res = await callRoute({
      route: jobRoutes.updateJob,
      as: alice,
      params: { orgId, jobId },
      body: { fields: { title: 'still one event', ssn: 'SSN-999-88-7777' } },
    });
    // Assess
    expect(res.status).toBe(200);
    expect(res.body.fields).toMatchObject({ email: SECRET_EMAIL, ssn: 'SSN-999-88-7777' });
    const events = (await auditEvents(orgId)).slice(before);
    expect(events.map((e) => e.action)).toEqual(['job.update']);
    expect(events[0]).toMatchObject({ detail: { disclosedFields: 'email' } });
  });

  test('creating a job is one audit event: its answer shows only what the caller sent', async () => {
    const before = (await auditEvents(orgId)).length;
    await createJob(orgId, orchestrationId, alice, { title: 'fresh', email: SECRET_EMAIL });
    expect((await auditEvents(orgId)).slice(before).map((e) => e.action)).toEqual(['job.create']);
  });

  test('transition: to an existing stage moves the job; an unknown stage is a 400', async () => {
    const jobId = await createJob(orgId, orchestrationId, alice, { title: 'moving' });
    expect(
      (
        await callRoute({
          route: jobRoutes.transitionJob,
          as: alice,
          params: { orgId, jobId },
          body: { stage: 'nowhere' },
        })
      ).status,
    ).toBe(400);
    const moved = await callRoute({
      route: jobRoutes.transitionJob,
      as: alice,
      params: { orgId, jobId },
      headers: { 'if-match': '"1"' },
      body: { stage: 'review' },
    });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ stage: 'review', version: 2 });
  });

  test('deleting needs jobs.delete, and erases the job for real', async () => {
    const jobId = await createJob(orgId, orchestrationId, alice, { title: 'doomed' });
    expect(
      (await callRoute({ route: jobRoutes.deleteJob, as: alice, params: { orgId, jobId } })).status,
    ).toBe(403);
    expect(
      (await callRoute({ route: jobRoutes.deleteJob, as: owner, params: { orgId, jobId } })).status,
    ).toBe(204);
    expect(await storedRecords(orgId, `JOB#${jobId}`)).toEqual([]);
    expect((await callRoute({ route: jobRoutes.getJob, as: owner, params: { orgId, jobId } })).status).toBe(
      404,
    );
  });
});

describe('restriction', () => {
  test('a restricted job stays readable but every processing path answers 409 restricted', async () => {
    const jobId = await createJob(orgId, orchestrationId, alice, { title: 'disputed' });
    await restrictDirectly(orgId, jobId);
    const read = await callRoute({ route: jobRoutes.getJob, as: alice, params: { orgId, jobId } });
    expect(read.status).toBe(200);
    expect(read.body.restricted).toBe(true);
    const attempts = [
      callRoute({
        route: jobRoutes.updateJob,
        as: alice,
        params: { orgId, jobId },
        body: { fields: { title: 'x' } },
      }),
      callRoute({
        route: jobRoutes.transitionJob,
        as: alice,
        params: { orgId, jobId },
        body: { stage: 'done' },
      }),
      callRoute({ route: jobRoutes.deleteJob, as: owner, params: { orgId, jobId } }),
    ];
    for (const res of await Promise.all(attempts)) {
      expect(res.status).toBe(409);
      expect(res.body.type).toMatch(/\/restricted$/);
    }
  });
});
