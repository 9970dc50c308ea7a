/**
 * Data subject routes against the emulators, beyond erasure coverage: what the access report
 * shows to whom (hidden fields absent, limited orchestrations and others' jobs out, CSV guarded),
 * the subject-wide rectification keeping the blind index right, erasure of more jobs than one
 * transaction holds with its single audit event, and GET /v1/me.
 */
import { randomUUID } from 'node:crypto';
import { jobRoutes } from '../../shared/api/routes/jobs.ts';
import { orgRoutes } from '../../shared/api/routes/orgs.ts';
import { subjectRoutes } from '../../shared/api/routes/subjects.ts';
import { SUBJECT_BATCH_LIMIT } from '../../shared/ports/jobs.ts';
import { addMember, createJob, createOrchestration, createOrg, createRole } from './api/fixtures.ts';
import { callRoute, newUser, type TestUser } from './api/invoke-route.ts';
import { auditEvents, storedRecords } from './api/stored.ts';

const owner = newUser('owner');
const clerk = newUser('clerk');
const member = newUser('member');
let orgId: string;
let claimsId: string;
let limitedId: string;

const person = () => `pat.${randomUUID().slice(0, 8)}@example.test`;
const access = (as: TestUser, email: string, format: 'json' | 'csv' = 'json') =>
  callRoute({ route: subjectRoutes.subjectAccess, as, params: { orgId }, body: { email, format } });

beforeAll(async () => {
  orgId = await createOrg(owner, 'Subjects Co');
  claimsId = await createOrchestration(orgId, owner, { name: 'Claims' });
  limitedId = await createOrchestration(orgId, owner, {
    name: 'Owners only',
    access: { roles: [], users: [] },
  });
  await addMember(orgId, owner, member, 'member');
  const roleId = await createRole(orgId, owner, {
    name: 'Clerks',
    permissions: ['subjects.access', 'jobs.read_all'],
    fieldPermissions: { [claimsId]: { ssn: 'hidden' } },
  });
  await addMember(orgId, owner, clerk, roleId);
});

describe('access report', () => {
  test('shows a role only what it may see: hidden fields absent (not null), limited orchestrations out', async () => {
    // Prepare
    const email = person();
    const visible = await createJob(orgId, claimsId, member, { title: 'Visible', email, ssn: 'HIDDEN-SSN' });
    const limited = await createJob(orgId, limitedId, owner, { title: 'Limited', email });
    // Act
    const asClerk = await access(clerk, email);
    const asOwner = await access(owner, email);
    // Assess
    expect(asClerk.status).toBe(200);
    expect(asClerk.body.items.map((i: { jobId: string }) => i.jobId)).toEqual([visible]);
    expect(asClerk.body.items[0].fields.map((f: { fieldId: string }) => f.fieldId)).toEqual([
      'title',
      'email',
    ]);
    expect(asClerk.text).not.toContain('HIDDEN-SSN');
    expect(asOwner.body.items.map((i: { jobId: string }) => i.jobId).sort()).toEqual(
      [visible, limited].sort(),
    );
    expect(asOwner.body).toMatchObject({ subject: { email }, generatedAt: expect.any(String) });
    // Audited without the address.
    const events = (await auditEvents(orgId)).filter((e) => e.action === 'subject.access');
    expect(events.at(-1)).toMatchObject({
      actor: owner.sub,
      resource: { type: 'subject' },
      detail: { format: 'json', jobs: 2 },
    });
    expect(JSON.stringify(events)).not.toContain(email);
  });

  test('a member without subjects.access gets 403', async () => {
    expect((await access(member, person())).status).toBe(403);
  });

  test('CSV: one row per datum naming where it lives, formula cells neutralised', async () => {
    const email = person();
    const jobId = await createJob(orgId, claimsId, owner, {
      title: '=HYPERLINK("http://evil.test")',
      email,
      amount: 5,
    });
    const answer = await access(owner, email, 'csv');
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toMatch(/^text\/csv/);
    const lines = answer.text
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\r\n');
    expect(lines[0]).toBe(
      'Orchestration id,Orchestration,Job,Stage,Owner,Restricted,Legal hold,Created,Updated,Field id,Field,Personal,Value,Recipients',
    );
    expect(lines).toHaveLength(4);
    expect(lines.every((line, i) => i === 0 || line.includes(jobId))).toBe(true);
    expect(answer.text).toContain(`'=HYPERLINK`);
    expect(answer.text).toContain(`Customer email,yes,${email}`);
  });
});

describe('subject-wide rectification', () => {
  test('re-seals the new address and moves every job to its blind index; audit names the field only', async () => {
    // Prepare
    const [oldEmail, newEmail] = [person(), person()];
    const jobs = [
      await createJob(orgId, claimsId, owner, { title: 'One', email: oldEmail }),
      await createJob(orgId, limitedId, owner, { title: 'Two', email: oldEmail }),
    ];
    const indexBefore = (await storedRecords(orgId, `JOB#${jobs[0]}`))[0]!.subjectIndex;
    // Act
    const answer = await callRoute({
      route: subjectRoutes.subjectRectification,
      as: owner,
      params: { orgId },
      body: { email: oldEmail, newEmail },
    });
    // Assess
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ jobsAffected: 2 });
    expect((await access(owner, oldEmail)).body.items).toEqual([]);
    expect((await access(owner, newEmail)).body.items.map((i: { jobId: string }) => i.jobId).sort()).toEqual(
      [...jobs].sort(),
    );
    const stored = await storedRecords(orgId, `JOB#${jobs[0]}`);
    expect(stored[0]!.subjectIndex).not.toBe(indexBefore);
    expect(JSON.stringify(stored)).not.toContain(newEmail);
    const read = await callRoute({ route: jobRoutes.getJob, as: owner, params: { orgId, jobId: jobs[0]! } });
    expect(read.body.fields.email).toBe(newEmail);
    const event = (await auditEvents(orgId)).filter((e) => e.action === 'subject.rectify').at(-1)!;
    expect(event).toMatchObject({ changes: { fields: ['email'] }, detail: { jobsFound: 2 } });
    expect(JSON.stringify(event)).not.toContain(newEmail);
    expect(JSON.stringify(event)).not.toContain(oldEmail);
  });

  test('a caller who may not edit every one of the jobs gets 403 and nothing changes', async () => {
    const email = person();
    await createJob(orgId, limitedId, owner, { title: 'Out of reach', email });
    const jobId = await createJob(orgId, claimsId, owner, { title: 'In reach', email });
    const answer = await callRoute({
      route: subjectRoutes.subjectRectification,
      as: clerk,
      params: { orgId },
      body: { email, newEmail: person() },
    });
    expect(answer.status).toBe(403);
    expect(
      (await callRoute({ route: jobRoutes.getJob, as: owner, params: { orgId, jobId } })).body.fields.email,
    ).toBe(email);
  });
});

test(`erasing more jobs than one transaction holds (${SUBJECT_BATCH_LIMIT + 5}) erases all with one audit event`, async () => {
  // Prepare
  const email = person();
  const count = SUBJECT_BATCH_LIMIT + 5;
  const orchestrationId = await createOrchestration(orgId, owner, { name: 'Bulk' });
  for (let i = 0; i < count; i += 1)
    await createJob(orgId, orchestrationId, owner, { title: `Bulk ${i}`, email });
  const before = (await auditEvents(orgId)).length;
  // Act
  const answer = await callRoute({
    route: subjectRoutes.subjectErasure,
    as: owner,
    params: { orgId },
    body: { email, mode: 'delete' },
  });
  // Assess
  expect(answer.body).toEqual({ jobsAffected: count, jobsHeld: 0 });
  const added = (await auditEvents(orgId)).slice(before);
  expect(added.map((e) => e.action)).toEqual(['subject.erase']);
  expect(added[0]).toMatchObject({ detail: { mode: 'delete', jobsFound: count } });
  expect((await access(owner, email)).body.items).toEqual([]);
  const orchestration = (await storedRecords(orgId, `ORCH#${orchestrationId}`))[0]!;
  expect(orchestration.jobCount).toBe(0);
});

test('GET /v1/me shows memberships and, per organization, the jobs the caller owns and the events they caused', async () => {
  const me = newUser('me');
  const ownOrg = await createOrg(me, 'Mine');
  const orchestrationId = await createOrchestration(ownOrg, me);
  await createJob(ownOrg, orchestrationId, me, { title: 'One' });
  await createJob(ownOrg, orchestrationId, me, { title: 'Two' });
  await addMember(orgId, owner, me, 'member');
  const answer = await callRoute({ route: orgRoutes.me, as: me });
  expect(answer.status).toBe(200);
  expect(answer.body).toMatchObject({
    userId: me.sub,
    email: me.email,
    auditEventsKeep: expect.arrayContaining(['email', 'IP address']),
  });
  const byOrg = Object.fromEntries((answer.body.memberships as { orgId: string }[]).map((m) => [m.orgId, m]));
  // org.create, orchestration.create, 2 × job.create (reads of unencrypted fields add none)
  expect(byOrg[ownOrg]).toMatchObject({ organization: 'Mine', role: 'owner', jobsOwned: 2, auditEvents: 4 });
  expect(byOrg[orgId]).toMatchObject({ role: 'member', jobsOwned: 0, auditEvents: 0, addedBy: owner.sub });
});
