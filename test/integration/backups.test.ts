/**
 * Backups through the real handlers and the worker against the emulators: owners only, the ZIP
 * opens with the password in 7-Zip (AES-256) and not without it, holds the organization's data
 * decrypted (its data subject requests with the subject's details opened), the owner gets the
 * email with the link, and the password is stored nowhere.
 */
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { portabilityRoutes } from '../../shared/api/routes/portability.ts';
import { requestRoutes } from '../../shared/api/routes/requests.ts';
import { addMember, createJob, createOrchestration, createOrg } from './api/fixtures.ts';
import { callRoute, newUser } from './api/invoke-route.ts';
import { codeFor, freshSourceIp } from './api/subject-requests.ts';
import { auditEvents, storedRecords } from './api/stored.ts';
import { stopWorkQueue, workUntil } from './portability-worker-support.ts';
import { emailsTo } from '../support/mailbox.ts';
import { testEnv } from '../support/test-stack.ts';

const run = promisify(execFile);
const r = portabilityRoutes;
const owner = newUser('owner');
const admin = newUser('admin');
const PASSWORD = 'correct horse battery staple';
let orgId: string;
let orchestrationId: string;
let backupId: string;
let workDir: string;
let zipPath: string;
let requestId: string;
const SUBJECT = 'cleo.backup@example.test';
const s3 = new S3Client({ forcePathStyle: true });

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'custos-backup-'));
  orgId = await createOrg(owner, 'Backup & Sons');
  await addMember(orgId, owner, admin, 'admin');
  orchestrationId = await createOrchestration(orgId, owner);
  await createJob(orgId, orchestrationId, owner, {
    title: 'First claim',
    email: 'ann@example.test',
    ssn: '123-45-6789',
    amount: 42,
  });
  await createJob(orgId, orchestrationId, admin, { title: 'Second claim', email: 'bob@example.test' });
  const submitted = await callRoute({
    route: requestRoutes.submitRequest,
    params: { orgId },
    body: { type: 'erasure', email: SUBJECT, name: 'Cleo Backup', details: 'Every claim, please' },
    sourceIp: freshSourceIp(),
  });
  requestId = submitted.body.requestId as string;
  await callRoute({
    route: requestRoutes.verifyRequest,
    params: { requestId },
    body: { code: await codeFor(SUBJECT) },
  });

  const created = await callRoute({
    route: r.createBackup,
    as: owner,
    params: { orgId },
    body: { password: PASSWORD },
  });
  expect(created.status).toBe(202);
  backupId = created.body.backupId as string;
  await workUntil(async () => {
    const status = (await callRoute({ route: r.getBackup, as: owner, params: { orgId, backupId } })).body;
    return status.status === 'failed' || (status.status === 'ready' && status.email !== 'pending');
  });
  const object = await s3.send(
    new GetObjectCommand({ Bucket: testEnv('FILES_BUCKET'), Key: `orgs/${orgId}/backups/${backupId}.zip` }),
  );
  zipPath = join(workDir, 'backup.zip');
  await writeFile(zipPath, Buffer.from(await object.Body!.transformToByteArray()));
}, 60_000);

afterAll(async () => {
  stopWorkQueue();
  s3.destroy();
  await rm(workDir, { recursive: true, force: true });
});

test('only owners may back up, with a password of 12+ characters', async () => {
  expect(
    (await callRoute({ route: r.createBackup, as: admin, params: { orgId }, body: { password: PASSWORD } }))
      .status,
  ).toBe(403);
  expect(
    (
      await callRoute({
        route: r.createBackup,
        as: owner,
        params: { orgId },
        body: { password: 'short-pass' },
      })
    ).status,
  ).toBe(400);
  expect((await callRoute({ route: r.getBackup, as: admin, params: { orgId, backupId } })).status).toBe(403);
  expect(
    (await callRoute({ route: r.getBackup, as: newUser('stranger'), params: { orgId, backupId } })).status,
  ).toBe(404);
});

test('the status says ready, emailed, how many rows, and when it expires (7 days)', async () => {
  const status = await callRoute({ route: r.getBackup, as: owner, params: { orgId, backupId } });
  expect(status.status).toBe(200);
  expect(status.body).toMatchObject({ status: 'ready', email: 'sent', backupId });
  expect(status.body.rowsWritten).toBeGreaterThanOrEqual(2 + 2);
  const days = (Date.parse(status.body.expiresAt) - Date.now()) / 86_400_000;
  expect(days).toBeGreaterThan(6.99);
  expect(days).toBeLessThanOrEqual(7.01);
});

test('7-Zip lists every entry as AES-256 and opens them with the password only', async () => {
  const listing = (await run('7z', ['l', '-slt', `-p${PASSWORD}`, zipPath])).stdout;
  for (const entry of [
    'README.txt',
    'organization.json',
    'members.json',
    'members.csv',
    'roles.json',
    'orchestrations.json',
    `jobs/${orchestrationId}.jsonl`,
    `jobs/${orchestrationId}.csv`,
    'requests.json',
    'audit-log.jsonl',
  ]) {
    expect(listing).toContain(`Path = ${entry}`);
  }
  const methods = [...listing.matchAll(/^Method = (.*)$/gm)].map((m) => m[1]);
  expect(methods.length).toBeGreaterThan(0);
  for (const method of methods) expect(method).toMatch(/AES-256/);
  expect(listing).toMatch(/Encrypted = \+/);

  await expect(run('7z', ['t', '-pnot-the-password', zipPath])).rejects.toThrow();
  await expect(run('7z', ['t', '-p', zipPath])).rejects.toThrow();
  await run('7z', ['t', `-p${PASSWORD}`, zipPath]);
});

test('the archive holds the organization, its members, its jobs decrypted and its audit log', async () => {
  const out = join(workDir, 'out');
  await run('7z', ['x', `-p${PASSWORD}`, `-o${out}`, zipPath]);
  const organization = JSON.parse(await readFile(join(out, 'organization.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  expect(organization).toMatchObject({ orgId, name: 'Backup & Sons' });
  expect(organization).not.toHaveProperty('wrappedKeys');
  const members = JSON.parse(await readFile(join(out, 'members.json'), 'utf8')) as { email: string }[];
  expect(members.map((m) => m.email).sort()).toEqual([admin.email, owner.email].sort());
  const jobs = (await readFile(join(out, 'jobs', `${orchestrationId}.jsonl`), 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { fields: Record<string, unknown> });
  expect(jobs.map((j) => j.fields.email).sort()).toEqual(['ann@example.test', 'bob@example.test']);
  expect(jobs.find((j) => j.fields.email === 'ann@example.test')?.fields.ssn).toBe('123-45-6789');
  expect(await readFile(join(out, 'jobs', `${orchestrationId}.csv`), 'utf8')).toContain('123-45-6789');
  const audit = (await readFile(join(out, 'audit-log.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { action: string });
  expect(audit.map((e) => e.action)).toEqual(
    expect.arrayContaining(['org.create', 'job.create', 'backup.create']),
  );
});

test("the archive holds the data subject requests with the subject's details opened, and none of their secrets", async () => {
  const out = join(workDir, 'out-requests');
  await run('7z', ['x', `-p${PASSWORD}`, `-o${out}`, zipPath, 'requests.json']);
  const text = await readFile(join(out, 'requests.json'), 'utf8');
  const requests = JSON.parse(text) as Record<string, unknown>[];
  expect(requests).toEqual([
    expect.objectContaining({
      requestId,
      type: 'erasure',
      status: 'open',
      email: SUBJECT,
      name: 'Cleo Backup',
      details: 'Every claim, please',
      dueAt: expect.any(String),
      timeline: [
        expect.objectContaining({ action: 'request.create' }),
        expect.objectContaining({ action: 'request.verify' }),
      ],
    }),
  ]);
  for (const secret of ['sealedEmail', 'subjectIndex', 'codeHash', 'codeTries'])
    expect(text).not.toContain(secret);
});

test('the owner who asked gets the email with a link to our page, never to S3', async () => {
  const mail = (await emailsTo(owner.email)).find((m) => (m.body.text ?? '').includes(backupId));
  expect(mail?.subject).toBe('Your backup of Backup & Sons is ready');
  expect(mail?.body.text).toMatch(new RegExp(`/v1/backups/${backupId}/download\\?token=[A-Za-z0-9_-]{43}`));
  expect(mail?.body.html).toContain(`/v1/backups/${backupId}/download?token=`);
  expect(`${mail?.body.text}${mail?.body.html}`).not.toMatch(/X-Amz-Signature/i);
  expect(await emailsTo(admin.email)).toEqual([]);
});

test("the password is stored nowhere: only its scrypt hash, and only the token's hash; both actions audited", async () => {
  const [item] = await storedRecords(orgId, `BACKUP#${backupId}`);
  const stored = JSON.stringify(item);
  expect(stored).not.toContain(PASSWORD);
  expect(item?.passwordHash).toMatch(/^scrypt\$/);
  expect(item?.linkHash).toMatch(/^[0-9a-f]{64}$/);
  expect(item?.expiresAt).toEqual(expect.any(Number));
  expect(item?.fileKey).toBe(`orgs/${orgId}/backups/${backupId}.zip`);
  const events = await auditEvents(orgId);
  expect(JSON.stringify(events)).not.toContain(PASSWORD);
  const actions = events.filter((e) => (e.resource as { id: string }).id === backupId).map((e) => e.action);
  expect(actions).toEqual(['backup.create', 'backup.complete', 'backup.email']);
});
