/**
 * Data key rotation through the real handlers against the emulators: only owners rotate; the new
 * version is appended with its audit event and seals every later write while old values keep
 * opening (lazy re-encryption); the blind index does not move; two rotations cannot both win;
 * the re-seal sweep (use case and `npm run reseal`) leaves no value under an older version,
 * restricted jobs included, and is idempotent.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { keyRoutes } from '../../shared/api/routes/keys.ts';
import { jobRoutes } from '../../shared/api/routes/jobs.ts';
import { subjectRoutes } from '../../shared/api/routes/subjects.ts';
import { ConflictError } from '../../shared/domain/errors.ts';
import { sealedKeyId } from '../../shared/domain/field-sealing.ts';
import { newKeyVersion } from '../../shared/domain/org-crypto.ts';
import * as services from '../../shared/services.ts';
import { resealOrganization } from '../../shared/use-cases/key-rotation.ts';
import { addMember, createJob, createOrchestration, createOrg } from './api/fixtures.ts';
import { callRoute, newUser } from './api/invoke-route.ts';
import { auditEvents, restrictDirectly, storedRecords } from './api/stored.ts';

const run = promisify(execFile);

const owner = newUser('owner');
const admin = newUser('admin');
const SUBJECT = 'Rotation.Subject@Example.test';
const SSN = 'SSN-ROT-4410-77';
const OPERATOR = {
  userId: 'operator:test',
  email: '',
  sourceIp: '',
  userAgent: 'custos-tests',
  requestId: 'reseal-test',
};

let orgId: string;
let orchestrationId: string;
/** Sealed under k1, before the rotation. */
const oldJobs: string[] = [];

interface RawJob {
  readonly jobId: string;
  readonly version: number;
  readonly fields: Record<string, unknown>;
  readonly gsi2pk?: string;
}

async function rawJob(jobId: string): Promise<RawJob> {
  const [item] = await storedRecords(orgId, `JOB#${jobId}`);
  if (item === undefined) throw new Error(`job ${jobId} is not stored`);
  return item as unknown as RawJob;
}

/** The key version each encrypted value of the job names. */
async function keyIdsOf(jobId: string): Promise<Record<string, string>> {
  const { fields } = await rawJob(jobId);
  return { email: sealedKeyId(String(fields.email)), ssn: sealedKeyId(String(fields.ssn)) };
}

/** Every key version named by any sealed value of the organization's jobs. */
async function keyIdsInUse(): Promise<Set<string>> {
  const used = new Set<string>();
  for (const item of await storedRecords(orgId, 'JOB#')) {
    for (const value of Object.values(item.fields as Record<string, unknown>)) {
      if (typeof value === 'string' && value.startsWith('v1.')) used.add(sealedKeyId(value));
    }
  }
  return used;
}

async function storedKeyIds(org: string): Promise<string[]> {
  const [item] = await storedRecords(org, 'ORG');
  return (item!.wrappedKeys as { keyId: string }[]).map((k) => k.keyId);
}

const rotate = (as = owner, org = orgId) =>
  callRoute({ route: keyRoutes.rotateKey, as, params: { orgId: org } });
const getJob = (jobId: string) => callRoute({ route: jobRoutes.getJob, as: owner, params: { orgId, jobId } });

beforeAll(async () => {
  orgId = await createOrg(owner, 'Rotation Ltd');
  await addMember(orgId, owner, admin, 'admin');
  orchestrationId = await createOrchestration(orgId, owner);
  // Enough jobs for several pages and batches of the sweep.
  for (let i = 0; i < 5; i += 1)
    oldJobs.push(
      await createJob(orgId, orchestrationId, owner, {
        title: `Old ${i}`,
        email: SUBJECT,
        ssn: `${SSN}-${i}`,
      }),
    );
});

describe('rotating', () => {
  test('an admin may not rotate (owners only), and nothing changes', async () => {
    const answer = await rotate(admin);

    expect(answer.status).toBe(403);
    expect(await storedKeyIds(orgId)).toEqual(['k1']);
  });

  test('the owner rotates: k2 is appended with one audit event that carries no key material', async () => {
    // Prepare
    const before = (await auditEvents(orgId)).length;
    // Act
    const answer = await rotate();
    // Assess
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ keyId: 'k2', versions: 2 });
    const [org] = await storedRecords(orgId, 'ORG');
    const wrapped = org!.wrappedKeys as { keyId: string; ciphertext: string }[];
    expect(wrapped.map((k) => k.keyId)).toEqual(['k1', 'k2']);
    const added = (await auditEvents(orgId)).slice(before);
    expect(added).toHaveLength(1);
    expect(added[0]).toMatchObject({
      action: 'org.key.rotate',
      actor: owner.sub,
      resource: { type: 'org', id: orgId },
      detail: { keyId: 'k2', versions: 2 },
    });
    const rawAudit = JSON.stringify(added);
    for (const key of wrapped) expect(rawAudit).not.toContain(key.ciphertext);
  });

  test('values sealed under k1 still open', async () => {
    const answer = await getJob(oldJobs[0]!);

    expect(answer.status).toBe(200);
    expect(answer.body.fields).toMatchObject({ email: SUBJECT, ssn: `${SSN}-0` });
    expect(await keyIdsOf(oldJobs[0]!)).toEqual({ email: 'k1', ssn: 'k1' });
  });

  test('a new job is sealed with k2', async () => {
    const jobId = await createJob(orgId, orchestrationId, owner, {
      title: 'New',
      email: SUBJECT,
      ssn: `${SSN}-new`,
    });

    expect(await keyIdsOf(jobId)).toEqual({ email: 'k2', ssn: 'k2' });
    expect((await getJob(jobId)).body.fields).toMatchObject({ email: SUBJECT, ssn: `${SSN}-new` });
  });

  test('an update re-seals what it writes with k2; what it does not touch stays k1 until the sweep (lazy)', async () => {
    const jobId = oldJobs[1]!;
    const answer = await callRoute({
      route: jobRoutes.updateJob,
      as: owner,
      params: { orgId, jobId },
      body: { fields: { ssn: `${SSN}-1-updated` } },
    });

    expect(answer.status).toBe(200);
    expect(answer.body.fields).toMatchObject({ email: SUBJECT, ssn: `${SSN}-1-updated` });
    expect(await keyIdsOf(jobId)).toEqual({ email: 'k1', ssn: 'k2' });
  });

  test('blind-index look-ups still find jobs sealed before and after the rotation', async () => {
    // Prepare: the index key comes from k1, so a job written under k2 gets the same index.
    const after = await createJob(orgId, orchestrationId, owner, { email: ` ${SUBJECT.toUpperCase()} ` });
    // Act
    const answer = await callRoute({
      route: subjectRoutes.subjectAccess,
      as: owner,
      params: { orgId },
      body: { email: SUBJECT },
    });
    // Assess
    expect((await rawJob(after)).gsi2pk).toBe((await rawJob(oldJobs[0]!)).gsi2pk);
    expect(answer.status).toBe(200);
    const found = (answer.body.items as { jobId: string }[]).map((item) => item.jobId);
    expect(found).toEqual(expect.arrayContaining([...oldJobs, after]));
  });
});

describe('concurrent rotations', () => {
  test('of two appends that read the same list, exactly one wins; the other is a conflict', async () => {
    // Prepare
    const org = await createOrg(owner, 'Race Ltd');
    const orgs = services.orgs();
    const existing = (await orgs.get(org))!.wrappedKeys;
    const candidates = await Promise.all([
      newKeyVersion(services.keys(), org, existing),
      newKeyVersion(services.keys(), org, existing),
    ]);
    const audit = {
      draft: {
        orgId: org,
        action: 'org.key.rotate',
        resource: { type: 'org', id: org },
        outcome: 'success' as const,
      },
      actor: OPERATOR,
    };
    // Act
    const results = await Promise.allSettled(
      candidates.map((wrapped) => orgs.appendKey(org, existing.length, wrapped, audit)),
    );
    // Assess
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const lost = results.find((r) => r.status === 'rejected');
    expect(lost?.status === 'rejected' ? lost.reason : undefined).toBeInstanceOf(ConflictError);
    expect(await storedKeyIds(org)).toEqual(['k1', 'k2']);
  });

  test('through the API two rotations at once never leave a duplicate or a gap', async () => {
    const org = await createOrg(owner, 'Race API Ltd');

    const answers = await Promise.all([rotate(owner, org), rotate(owner, org)]);

    const statuses = answers.map((a) => a.status).sort();
    expect([
      [200, 200],
      [200, 409],
    ]).toContainEqual(statuses);
    const expected = [
      'k1',
      ...answers
        .filter((a) => a.status === 200)
        .map((a) => a.body.keyId as string)
        .sort(),
    ];
    expect(await storedKeyIds(org)).toEqual(expected);
  });
});

describe('the re-seal sweep', () => {
  test('leaves no value under k1, restricted jobs included, in audited batches', async () => {
    // Prepare
    await restrictDirectly(orgId, oldJobs[2]!);
    const versionsBefore = new Map(
      await Promise.all(oldJobs.map(async (jobId) => [jobId, (await rawJob(jobId)).version] as const)),
    );
    const eventsBefore = (await auditEvents(orgId)).length;
    expect(await keyIdsInUse()).toEqual(new Set(['k1', 'k2']));
    // Act: pages of 2 and batches of 2 over 7 jobs walk several pages.
    const report = await resealOrganization(
      {
        orgs: services.orgs(),
        orchestrations: services.orchestrations(),
        jobs: services.jobs(),
        keys: services.keys(),
      },
      orgId,
      { actor: OPERATOR, pageSize: 2, batchSize: 2 },
    );
    // Assess
    expect(report).toMatchObject({
      keyId: 'k2',
      jobsScanned: 7,
      jobsResealed: 5,
      valuesResealed: 9,
      jobsSkipped: [],
      jobsFailed: [],
    });
    expect(await keyIdsInUse()).toEqual(new Set(['k2']));
    for (const [i, jobId] of oldJobs.entries()) {
      const answer = await getJob(jobId);
      expect(answer.status).toBe(200);
      expect(answer.body.fields).toMatchObject({
        email: SUBJECT,
        ssn: i === 1 ? `${SSN}-1-updated` : `${SSN}-${i}`,
      });
      expect((await rawJob(jobId)).version).toBe(versionsBefore.get(jobId)! + 1);
    }
    const resealEvents = (await auditEvents(orgId))
      .slice(eventsBefore)
      .filter((e) => e.action === 'org.key.reseal');
    expect(resealEvents.reduce((sum, e) => sum + Number((e.detail as { jobs: number }).jobs), 0)).toBe(5);
    for (const event of resealEvents)
      expect(event).toMatchObject({
        actor: OPERATOR.userId,
        detail: { keyId: 'k2' },
        changes: { fields: expect.any(Array) },
      });
    expect(JSON.stringify(resealEvents)).not.toContain(SSN);
  });

  test('is idempotent: a second run re-seals nothing and writes no event', async () => {
    const eventsBefore = (await auditEvents(orgId)).length;

    const report = await resealOrganization(
      {
        orgs: services.orgs(),
        orchestrations: services.orchestrations(),
        jobs: services.jobs(),
        keys: services.keys(),
      },
      orgId,
      { actor: OPERATOR },
    );

    expect(report).toMatchObject({ jobsScanned: 7, jobsResealed: 0, valuesResealed: 0 });
    expect(await auditEvents(orgId)).toHaveLength(eventsBefore);
  });

  test('`npm run reseal -- --org <id>` sweeps after the next rotation and says what it did', async () => {
    // Prepare
    expect((await rotate()).body).toEqual({ keyId: 'k3', versions: 3 });
    // Act
    const { stdout } = await run(
      'npm',
      ['run', '--silent', 'reseal', '--', '--org', orgId, '--operator', 'tester', '--page-size', '3'],
      { env: process.env, timeout: 60_000 },
    );
    // Assess
    expect(stdout).toContain(`organization ${orgId}: 7 jobs scanned, 7 jobs (13 values) re-sealed under k3`);
    expect(stdout).not.toContain(SSN);
    expect(await keyIdsInUse()).toEqual(new Set(['k3']));
    const last = (await auditEvents(orgId)).at(-1);
    expect(last).toMatchObject({ action: 'org.key.reseal', actor: 'operator:tester' });
  }, 90_000);

  test('the command refuses bad usage and unknown organizations with exit code 2', async () => {
    const usage = run('npm', ['run', '--silent', 'reseal', '--', '--page-size', '3'], {
      env: process.env,
      timeout: 60_000,
    });
    await expect(usage).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('usage: reseal --org'),
    });
    const unknown = run('npm', ['run', '--silent', 'reseal', '--', '--org', '01J0000000000000000000NONE'], {
      env: process.env,
      timeout: 60_000,
    });
    await expect(unknown).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('no active organization'),
    });
  }, 90_000);
});
