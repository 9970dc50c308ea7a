/**
 * The scope of a scripted incident, through the real handlers against the emulators: an admin
 * account reads 30 jobs of 12 subjects one by one, exports their orchestration and shares 2 of
 * them with an extension. The owner's scope of that account's window reports exactly that, and
 * nothing of what happened before or after the window, or by anyone else when scoped by actor.
 */
import { accountabilityRoutes } from '../../shared/api/routes/accountability.ts';
import { extensionRoutes } from '../../shared/api/routes/extensions.ts';
import { jobRoutes } from '../../shared/api/routes/jobs.ts';
import { portabilityRoutes } from '../../shared/api/routes/portability.ts';
import { addMember, createJob, createOrchestration, createOrg } from './api/fixtures.ts';
import { callRoute, newUser } from './api/invoke-route.ts';
import { auditEvents } from './api/stored.ts';
import { stopWorkQueue, workUntil } from './portability-worker-support.ts';
import { startFakeVendor, type FakeVendor } from '../support/fake-vendor.ts';

const r = accountabilityRoutes;
const owner = newUser('owner');
const mallory = newUser('mallory');
const bystander = newUser('bystander');
const member = newUser('member');
let vendor: FakeVendor;
let orgId: string;
let claims: string;
let leads: string;
let claimJobs: string[];
let window: { from: string; to: string };

const read = async (as: typeof owner, jobId: string): Promise<void> => {
  const answer = await callRoute({ route: jobRoutes.getJob, as, params: { orgId, jobId } });
  if (answer.status !== 200) throw new Error(`read: ${answer.status} ${answer.text}`);
};
const scope = (body: Record<string, unknown>, as = owner) =>
  callRoute({ route: r.scopeIncident, as, params: { orgId }, body });
/** Audit times have millisecond precision: a pause makes "before" and "after" the window distinct. */
const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 5));

beforeAll(async () => {
  vendor = await startFakeVendor();
  process.env.ALLOWED_PRIVATE_WEBHOOK_HOSTS = 'localhost';
  process.env.WEBHOOK_CA_FILE = vendor.caFile;
  orgId = await createOrg(owner, 'Breached Ltd');
  await addMember(orgId, owner, mallory, 'admin');
  await addMember(orgId, owner, bystander, 'admin');
  await addMember(orgId, owner, member, 'member');
  claims = await createOrchestration(orgId, owner, { name: 'Claims', subjectCategory: 'customers' });
  leads = await createOrchestration(orgId, owner, { name: 'Leads', subjectCategory: 'prospects' });
  claimJobs = [];
  for (let i = 0; i < 30; i += 1)
    claimJobs.push(
      await createJob(orgId, claims, owner, {
        title: `Claim ${i}`,
        email: `subject-${i % 12}@example.test`,
        ssn: `ssn-${i}`,
      }),
    );
  const lead = await createJob(orgId, leads, owner, { title: 'Lead', email: 'prospect@example.test' });
  const consent = await callRoute({
    route: extensionRoutes.grantConsent,
    as: owner,
    params: { orgId, extensionId: 'custom-webhook' },
    body: {
      fields: [{ orchestrationId: claims, fieldId: 'title' }],
      purpose: 'Sync',
      webhookUrl: vendor.url(),
    },
  });
  const token = await callRoute({
    route: extensionRoutes.setToken,
    as: owner,
    params: { orgId, extensionId: 'custom-webhook' },
    body: { token: 'vnd_4Lq8-Wm2xR7tZ9pK3bY6cN' },
  });
  expect([consent.status, token.status]).toEqual([201, 204]);
  // Before the window: mallory's earlier reads are not part of the incident.
  for (const jobId of claimJobs.slice(0, 3)) await read(mallory, jobId);
  await tick();
  const from = new Date().toISOString();

  // The incident.
  for (const jobId of claimJobs) await read(mallory, jobId);
  const requested = await callRoute({
    route: portabilityRoutes.createExport,
    as: mallory,
    params: { orgId },
    body: { format: 'csv', orchestrationId: claims },
  });
  expect(requested.status).toBe(202);
  await workUntil(
    async () =>
      (
        await callRoute({
          route: portabilityRoutes.getExport,
          as: mallory,
          params: { orgId, exportId: requested.body.exportId },
        })
      ).body.status === 'ready',
  );
  for (const jobId of claimJobs.slice(0, 2)) {
    const shared = await callRoute({
      route: extensionRoutes.shareJob,
      as: mallory,
      params: { orgId, jobId, extensionId: 'custom-webhook' },
    });
    expect(shared.status).toBe(200);
  }
  // Someone else, in the same window: in the organization's scope, not in mallory's.
  await read(bystander, lead);

  const to = new Date().toISOString();
  await tick();
  // After the window.
  await read(mallory, lead);
  window = { from, to };
}, 120_000);

afterAll(async () => {
  delete process.env.ALLOWED_PRIVATE_WEBHOOK_HOSTS;
  delete process.env.WEBHOOK_CA_FILE;
  await vendor.stop();
  stopWorkQueue();
});

test('the scope of an account reports exactly what it disclosed in the window', async () => {
  // Act
  const answer = await scope({ ...window, actor: mallory.sub });
  // Assess
  expect(answer.status).toBe(200);
  expect(answer.body.events).toMatchObject({
    count: 35,
    byAction: {
      'export.complete': 1,
      'export.create': 1,
      'export.download': 1,
      'job.read': 30,
      'job.share': 2,
    },
  });
  expect(answer.body.jobs.count).toBe(30);
  expect(answer.body.subjects).toEqual({ count: 12 });
  expect(new Set(answer.body.jobs.items.map((j: { jobId: string }) => j.jobId))).toEqual(new Set(claimJobs));
  const shared = answer.body.jobs.items.filter((j: { disclosedBy: string[] }) =>
    j.disclosedBy.includes('share'),
  );
  expect(shared.map((j: { jobId: string }) => j.jobId).sort()).toEqual(claimJobs.slice(0, 2).sort());
  expect(
    answer.body.jobs.items.every(
      (j: { disclosedBy: string[]; orchestrationId: string }) =>
        j.orchestrationId === claims && j.disclosedBy.includes('read') && j.disclosedBy.includes('download'),
    ),
  ).toBe(true);
  expect(answer.body.categories).toEqual([
    {
      orchestrationId: claims,
      name: 'Claims',
      subjectCategory: 'customers',
      personalData: [
        { id: 'email', label: 'Customer email', type: 'email', encrypted: true },
        { id: 'phone', label: 'Phone', type: 'phone', encrypted: false },
        { id: 'ssn', label: 'SSN', type: 'text', encrypted: true },
      ],
    },
  ]);
  expect(answer.body.article33).toMatchObject({
    natureOfBreach: {
      window,
      actor: mallory.sub,
      sourceIp: null,
      disclosures: { read: 30, export: 0, share: 2, download: 1, access: 0 },
    },
    subjectCategories: ['customers'],
    approximateSubjects: 12,
    approximateRecords: 30,
    dataCategories: ['Customer email', 'Phone', 'SSN'],
    unresolved: { jobs: 0, exports: 0 },
    dpoContact: null,
  });
  expect(answer.body.nextCursor).toBeNull();
  // Pseudonymous: no subject's address anywhere in the answer.
  expect(answer.text).not.toMatch(/subject-\d+@example\.test/);
});

test('without an actor the window holds everyone, and nothing outside it', async () => {
  // Act
  const answer = await scope(window);
  // Assess
  expect(answer.body.events.byAction['job.read']).toBe(31);
  expect(answer.body.jobs.count).toBe(31);
  expect(answer.body.subjects.count).toBe(13);
  expect(answer.body.article33.subjectCategories).toEqual(['customers', 'prospects']);
  expect(
    answer.body.events.items.every((e: { at: string }) => e.at >= window.from && e.at <= window.to),
  ).toBe(true);
});

test('lists are paged by a cursor bound to the window; counts cover the whole window', async () => {
  // Act
  const first = await scope({ ...window, actor: mallory.sub, limit: 20 });
  const second = await scope({ ...window, actor: mallory.sub, limit: 20, cursor: first.body.nextCursor });
  const foreign = await scope({ ...window, limit: 20, cursor: first.body.nextCursor });
  // Assess
  expect(first.body.events.items).toHaveLength(20);
  expect(first.body.jobs.items).toHaveLength(20);
  expect(second.body.events.items).toHaveLength(15);
  expect(second.body.jobs.items).toHaveLength(10);
  expect(second.body).toMatchObject({
    events: { count: 35 },
    jobs: { count: 30 },
    subjects: { count: 12 },
    nextCursor: null,
  });
  // By id: an event the sequencer has not reached yet has no position (seq null).
  const ids = [...first.body.events.items, ...second.body.events.items].map((e: { id: string }) => e.id);
  expect(new Set(ids).size).toBe(35);
  expect(foreign.status).toBe(400);
});

test('the scope is owners only: admins and members get 403, strangers 404', async () => {
  const statuses = await Promise.all(
    [mallory, member, newUser('stranger')].map(async (as) => (await scope(window, as)).status),
  );
  expect(statuses).toEqual([403, 403, 404]);
});

test.each([
  ['a window that ends before it starts', () => ({ from: window.to, to: window.from })],
  ['a window over 90 days', () => ({ from: '2026-01-01T00:00:00Z', to: '2026-04-02T00:00:00Z' })],
  ['a window without an end', () => ({ from: window.from })],
  ['a time that is not one', () => ({ from: 'last tuesday', to: window.to })],
  ['a source address that is not one', () => ({ ...window, sourceIp: 'example.test' })],
])('%s is a 400', async (_name, body) => {
  expect((await scope(body())).status).toBe(400);
});

test('each scope is one audit event of the owner, naming the filters but not the address', async () => {
  // Prepare
  const before = (await auditEvents(orgId)).length;
  // Act
  await scope({ ...window, actor: mallory.sub, sourceIp: '192.0.2.10' });
  // Assess
  const added = (await auditEvents(orgId)).slice(before);
  expect(added).toEqual([
    expect.objectContaining({
      action: 'incident.scope',
      actor: owner.sub,
      outcome: 'success',
      detail: {
        from: window.from,
        to: window.to,
        actor: mallory.sub,
        bySourceIp: true,
        events: 34,
        jobs: 30,
        subjects: 12,
      },
    }),
  ]);
});
