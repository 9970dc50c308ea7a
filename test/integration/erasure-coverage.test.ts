/**
 * Erasure coverage (GDPR Art. 15 + 17), for both modes, against the emulators through the real
 * handlers. One record is seeded in every place a subject's data can live:
 *
 *   records table, partition ORG#<org>, JOB#<id>   a job of an orchestration whose subject email is
 *                                                  encrypted (with a sealed personal field and a
 *                                                  plaintext personal phone)
 *                                                  a job of an orchestration whose subject email is
 *                                                  plaintext (with a plaintext personal note)
 *                                                  a restricted job of the subject
 *   records table, index bySubject (gsi2)          the blind index of each of those jobs
 *   audit table, partition ORG#<org>, EVT#…        the events of creating, restricting, reading them
 *
 * (Export and backup files in S3 are out of reach by design: docs/data-subject-rights.md.)
 * Then: access finds each; erasure answers how many; the raw tables hold no trace of the email,
 * of the other personal values, or of their ciphertexts; access finds nothing.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { jobRoutes } from '../../shared/api/routes/jobs.ts';
import { subjectRoutes } from '../../shared/api/routes/subjects.ts';
import { createJob, createOrchestration, createOrg } from './api/fixtures.ts';
import { callRoute, newUser } from './api/invoke-route.ts';
import { partitionRaw } from '../support/raw-tables.ts';

const owner = newUser('owner');

const PLAIN_SUBJECT_FIELDS = [
  { id: 'title', label: 'Title', type: 'text' },
  { id: 'contact', label: 'Contact', type: 'email', personal: true, subject: true },
  { id: 'note', label: 'Note', type: 'text', personal: true },
  { id: 'visits', label: 'Visits', type: 'number' },
];

interface Seeded {
  orgId: string;
  encryptedOrchestrationId: string;
  plainOrchestrationId: string;
  subjectJobIds: string[];
  otherJobId: string;
  /** Everything personal about the subject, and the ciphertexts and blind index as stored. */
  traces: string[];
  email: string;
}

async function seed(): Promise<Seeded> {
  const tag = randomUUID().slice(0, 8);
  const email = `erin.${tag}@example.test`;
  const phone = `+4915${randomInt(10_000_000, 99_999_999)}`;
  const ssn = `SSN-${tag}-secret`;
  const note = `NOTE-${tag}-allergic`;
  const orgId = await createOrg(owner, 'Coverage');
  const encryptedOrchestrationId = await createOrchestration(orgId, owner, {
    name: 'Claims (encrypted subject)',
  });
  const plainOrchestrationId = await createOrchestration(orgId, owner, {
    name: 'Visits (plaintext subject)',
    fields: PLAIN_SUBJECT_FIELDS,
  });
  const encryptedJob = await createJob(orgId, encryptedOrchestrationId, owner, {
    title: `keep-${tag}`,
    email,
    phone,
    ssn,
    amount: 42,
  });
  const plainJob = await createJob(orgId, plainOrchestrationId, owner, {
    title: `visit-${tag}`,
    contact: email,
    note,
    visits: 3,
  });
  const restrictedJob = await createJob(orgId, encryptedOrchestrationId, owner, {
    title: `disputed-${tag}`,
    email: email.toUpperCase(),
    ssn,
  });
  const restricted = await callRoute({
    route: jobRoutes.restrictJob,
    as: owner,
    params: { orgId, jobId: restrictedJob },
    body: { reason: 'Accuracy contested' },
  });
  expect(restricted.status).toBe(200);
  const otherJobId = await createJob(orgId, encryptedOrchestrationId, owner, {
    title: `other-${tag}`,
    email: `someone.else.${tag}@example.test`,
    ssn: 'not-erin',
  });

  // The ciphertexts and blind index as stored: after erasure not even these may remain.
  const stored = await partitionRaw('records', `ORG#${orgId}`);
  const subjectJobIds = [encryptedJob, plainJob, restrictedJob];
  const sealed = stored
    .filter((item) => subjectJobIds.some((id) => item.sk?.S === `JOB#${id}`))
    .flatMap((item) => [item.fields?.M?.email?.S, item.fields?.M?.ssn?.S, item.subjectIndex?.S])
    .filter((value): value is string => value !== undefined);
  expect(sealed.length).toBeGreaterThanOrEqual(6);
  return {
    orgId,
    encryptedOrchestrationId,
    plainOrchestrationId,
    subjectJobIds,
    otherJobId,
    email,
    traces: [email, email.toUpperCase(), phone, ssn, note, ...sealed],
  };
}

async function access(orgId: string, email: string, format: 'json' | 'csv' = 'json') {
  return callRoute({
    route: subjectRoutes.subjectAccess,
    as: owner,
    params: { orgId },
    body: { email, format },
  });
}

/** Every item of the organization in both tables, as stored, for a plain text search. */
async function rawOrganization(orgId: string): Promise<{ records: string; audit: string }> {
  const [records, audit] = await Promise.all([
    partitionRaw('records', `ORG#${orgId}`),
    partitionRaw('audit', `ORG#${orgId}`),
  ]);
  return { records: JSON.stringify(records), audit: JSON.stringify(audit) };
}

describe.each(['delete', 'anonymize'] as const)('erasure in %s mode', (mode) => {
  let world: Seeded;

  beforeAll(async () => {
    world = await seed();
  });

  test('access finds every job of the subject, in both orchestrations, decrypted, with where each datum lives', async () => {
    // Act (a differently spelt address finds the same subject: the blind index normalises it)
    const answer = await access(world.orgId, world.email.toUpperCase());
    // Assess
    expect(answer.status).toBe(200);
    const items = answer.body.items as {
      jobId: string;
      orchestration: string;
      restricted: boolean;
      fields: { fieldId: string; label: string; value: unknown }[];
    }[];
    expect(items.map((i) => i.jobId).sort()).toEqual([...world.subjectJobIds].sort());
    expect(items.map((i) => i.jobId)).not.toContain(world.otherJobId);
    const encrypted = items.find((i) => i.jobId === world.subjectJobIds[0])!;
    expect(encrypted).toMatchObject({
      orchestrationId: world.encryptedOrchestrationId,
      orchestration: 'Claims (encrypted subject)',
      stage: 'new',
      ownerId: owner.sub,
      restricted: false,
    });
    expect(encrypted.fields).toEqual(
      expect.arrayContaining([
        { fieldId: 'email', label: 'Customer email', type: 'email', personal: true, value: world.email },
        expect.objectContaining({ fieldId: 'ssn', label: 'SSN', value: world.traces[3] }),
        expect.objectContaining({ fieldId: 'phone', value: world.traces[2] }),
      ]),
    );
    const plain = items.find((i) => i.jobId === world.subjectJobIds[1])!;
    expect(plain.fields).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ fieldId: 'contact', label: 'Contact', value: world.email }),
        expect.objectContaining({ fieldId: 'note', value: world.traces[4] }),
      ]),
    );
    expect(items.find((i) => i.jobId === world.subjectJobIds[2])!.restricted).toBe(true);
  });

  test(`erasure (${mode}) answers the count and leaves no trace in either table`, async () => {
    // Act
    const answer = await callRoute({
      route: subjectRoutes.subjectErasure,
      as: owner,
      params: { orgId: world.orgId },
      body: { email: world.email, mode },
    });
    // Assess
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ jobsAffected: 3, jobsHeld: 0 });
    const raw = await rawOrganization(world.orgId);
    for (const trace of world.traces.slice(0, 5)) {
      expect(raw.records).not.toContain(trace);
      expect(raw.audit).not.toContain(trace);
    }
    // Sealed values and the blind index are gone from the records (the index stays only as the pseudonymous subject id of subject.* events).
    for (const trace of world.traces.slice(5)) expect(raw.records).not.toContain(trace);
    const records = await partitionRaw('records', `ORG#${world.orgId}`);
    const jobs = records.filter((item) => item.sk?.S?.startsWith('JOB#'));
    const kept = jobs.map((item) => item.sk!.S!.slice(4));
    expect(kept).toContain(world.otherJobId);
    const orchestrationCount = (id: string) =>
      Number(records.find((item) => item.sk?.S === `ORCH#${id}`)?.jobCount?.N);
    if (mode === 'delete') {
      for (const jobId of world.subjectJobIds) expect(kept).not.toContain(jobId);
      // The job counts moved with the deletes, so the orchestrations stay consistent.
      expect(orchestrationCount(world.encryptedOrchestrationId)).toBe(1);
      expect(orchestrationCount(world.plainOrchestrationId)).toBe(0);
    } else {
      for (const jobId of world.subjectJobIds) expect(kept).toContain(jobId);
      const anonymised = jobs.filter((item) => world.subjectJobIds.includes(item.sk!.S!.slice(4)));
      for (const item of anonymised) {
        expect(item.gsi2pk).toBeUndefined();
        expect(item.subjectIndex).toBeUndefined();
        expect(item.restriction).toBeUndefined();
        const fieldIds = Object.keys(item.fields?.M ?? {});
        for (const personal of ['email', 'contact', 'phone', 'ssn', 'note'])
          expect(fieldIds).not.toContain(personal);
      }
      // What is not personal stays for statistics.
      const plain = anonymised.find((item) => item.sk?.S === `JOB#${world.subjectJobIds[1]}`)!;
      expect(plain.fields?.M?.visits?.N).toBe('3');
      expect(orchestrationCount(world.encryptedOrchestrationId)).toBe(3);
    }
    const events = (await partitionRaw('audit', `ORG#${world.orgId}`)).filter(
      (item) => item.action?.S === 'subject.erase',
    );
    expect(events).toHaveLength(1);
    expect(events[0]!.detail?.M).toEqual({ mode: { S: mode }, jobsFound: { N: '3' }, jobsHeld: { N: '0' } });
  });

  test('afterwards access finds nothing, in JSON and in CSV, and erasing again affects nothing', async () => {
    const json = await access(world.orgId, world.email);
    expect(json.status).toBe(200);
    expect(json.body.items).toEqual([]);
    const csv = await access(world.orgId, world.email, 'csv');
    expect(csv.status).toBe(200);
    expect(
      csv.text
        .replace(/^\uFEFF/, '')
        .trim()
        .split('\r\n'),
    ).toHaveLength(1);
    const again = await callRoute({
      route: subjectRoutes.subjectErasure,
      as: owner,
      params: { orgId: world.orgId },
      body: { email: world.email, mode },
    });
    expect(again.body).toEqual({ jobsAffected: 0, jobsHeld: 0 });
    // The other subject is untouched and still found.
    const other = await callRoute({
      route: jobRoutes.getJob,
      as: owner,
      params: { orgId: world.orgId, jobId: world.otherJobId },
    });
    expect(other.status).toBe(200);
    expect(other.body.fields.ssn).toBe('not-erin');
  });
});
