/**
 * Backups under faults injected into the real SDK clients (test/support/fault-injection.ts) while
 * the real portability worker runs against the emulators:
 *   - SES fails to send the email: the backup stays ready and stored, the status says the email
 *     failed, the message is a batch item failure (so SQS redelivers it), and the redelivery sends
 *     exactly one email (without rebuilding the file) whose link opens the download page;
 *   - S3 fails partway through the multipart upload: the backup is not ready, no object sits
 *     under its key (the multipart upload is aborted), and the redelivery builds it completely:
 *     the ZIP opens with the password in 7-Zip and exactly one email goes out.
 *
 * The backup is requested through the real use case with a queue that keeps the message here:
 * the work queue is shared by every test file of the run, and a worker of another file draining
 * it would build this backup without the fault. The message is then delivered to the manifest's
 * worker exactly as the SQS event source would, as often as the test needs.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GetObjectCommand, HeadObjectCommand, NotFound, S3Client } from '@aws-sdk/client-s3';
import type { SQSBatchResponse } from 'aws-lambda';
import { FunctionRuntime } from '../../infra/local/invoke.ts';
import { sqsEvent } from '../../infra/local/lambda-events.ts';
import { functionNamed } from '../../infra/manifest.ts';
import { s3 } from '../../shared/adapters/aws/s3-client.ts';
import { ses } from '../../shared/adapters/aws/ses-client.ts';
import { downloadRoutes } from '../../shared/api/routes/download.ts';
import { portabilityRoutes } from '../../shared/api/routes/portability.ts';
import type { WorkMessage } from '../../shared/ports/work-queue.ts';
import { filesAtColdStart } from '../../shared/files-at-cold-start.ts';
import { mailerOnFirstUse } from '../../shared/mailer-on-first-use.ts';
import * as services from '../../shared/services.ts';
import { requestBackup, type BackupDeps } from '../../shared/use-cases/backups.ts';
import { createJob, createOrchestration, createOrg } from '../integration/api/fixtures.ts';
import { callRoute, newUser, type TestUser } from '../integration/api/invoke-route.ts';
import { auditEvents } from '../integration/api/stored.ts';
import { emailsTo } from '../support/mailbox.ts';
import {
  injectFault,
  observeCommands,
  type CommandLog,
  type InstalledFault,
  type MiddlewareHost,
} from '../support/fault-injection.ts';
import { testEnv } from '../support/test-stack.ts';

const run = promisify(execFile);
const r = portabilityRoutes;
const PASSWORD = 'an entirely adequate passphrase';
const runtime = new FunctionRuntime();
const worker = functionNamed('portability-worker');
/** Reads of our own, outside the shared client the faults and the observer sit on. */
const reader = new S3Client({ forcePathStyle: true });
const installed: (InstalledFault | CommandLog)[] = [];
let workDir: string;

function track<T extends InstalledFault | CommandLog>(installation: T): T {
  installed.push(installation);
  return installation;
}

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'custos-backup-faults-'));
});

afterEach(() => {
  for (const installation of installed.splice(0)) installation.remove();
});

afterAll(async () => {
  reader.destroy();
  await rm(workDir, { recursive: true, force: true });
});

/** Requests a backup as `owner` through the use case and returns the work message it would queue. */
async function requestOwnBackup(
  owner: TestUser,
  orgId: string,
): Promise<{ backupId: string; message: WorkMessage }> {
  const queued: WorkMessage[] = [];
  const deps: BackupDeps = {
    orgs: services.orgs(),
    roles: services.roles(),
    requests: services.subjectRequests(),
    orchestrations: services.orchestrations(),
    jobs: services.jobs(),
    keys: services.keys(),
    clock: services.clock(),
    audit: services.writer(),
    portability: services.portability(),
    queue: { send: async (message) => void queued.push(message) },
    files: filesAtColdStart(),
    mailer: mailerOnFirstUse(),
    publicBaseUrl: services.publicBaseUrl(),
  };
  const ctx = {
    principal: { userId: owner.sub, email: owner.email },
    requestId: randomUUID(),
    sourceIp: '192.0.2.30',
    userAgent: 'security-tests',
  };
  const { backupId } = await requestBackup(deps, ctx, orgId, { password: PASSWORD });
  expect(queued).toHaveLength(1);
  return { backupId, message: queued[0]! };
}

/** One SQS delivery of `message` to the worker (the same message id each time, as a redelivery has). */
function deliverer(message: WorkMessage): () => Promise<SQSBatchResponse> {
  const record = { MessageId: randomUUID(), ReceiptHandle: 'r', Body: JSON.stringify(message) };
  return async () =>
    (await runtime.invoke(
      worker,
      sqsEvent('arn:aws:sqs:us-east-1:000000000000:custos-work', [record]),
    )) as SQSBatchResponse;
}

const itemFailures = (response: SQSBatchResponse): string[] =>
  response.batchItemFailures.map((f) => f.itemIdentifier);

async function statusOf(owner: TestUser, orgId: string, backupId: string): Promise<Record<string, unknown>> {
  const answer = await callRoute({ route: r.getBackup, as: owner, params: { orgId, backupId } });
  expect(answer.status).toBe(200);
  return answer.body as Record<string, unknown>;
}

/** The stored object's ETag, or undefined when no object exists under the key. */
async function etagOf(key: string): Promise<string | undefined> {
  try {
    return (await reader.send(new HeadObjectCommand({ Bucket: testEnv('FILES_BUCKET'), Key: key }))).ETag;
  } catch (error) {
    if (error instanceof NotFound || (error as { name?: string }).name === 'NotFound') return undefined;
    throw error;
  }
}

const backupKey = (orgId: string, backupId: string): string => `orgs/${orgId}/backups/${backupId}.zip`;

/** The backup emails `owner` received, and the token of each one's link. */
async function backupEmails(
  owner: TestUser,
  backupId: string,
): Promise<{ token: string | undefined; subject: string }[]> {
  const mails = (await emailsTo(owner.email)).filter((m) => (m.body.text ?? '').includes(backupId));
  return mails.map((m) => ({
    subject: m.subject,
    token: new RegExp(`/v1/backups/${backupId}/download\\?token=([A-Za-z0-9_-]{43})`).exec(
      m.body.text ?? '',
    )?.[1],
  }));
}

test('SES failing to send leaves the backup ready and stored, says so, and the redelivery sends exactly one working link', async () => {
  const owner = newUser('ses-fault-owner');
  const orgId = await createOrg(owner, 'Mailless Ltd');
  const orchestrationId = await createOrchestration(orgId, owner);
  await createJob(orgId, orchestrationId, owner, { title: 'Kept', email: 'kim@example.test' });
  const { backupId, message } = await requestOwnBackup(owner, orgId);
  const deliver = deliverer(message);

  // A timeout is what the SDK raises when SES does not answer; the mailer calls it retryable.
  const fault = track(
    injectFault(ses() as unknown as MiddlewareHost, { command: 'SendEmail', nth: 1, kind: 'timeout' }),
  );
  const failed = await deliver();
  expect(fault.fired).toBe(1);
  expect(itemFailures(failed)).toHaveLength(1);
  expect(await statusOf(owner, orgId, backupId)).toMatchObject({ status: 'ready', email: 'failed' });
  const etag = await etagOf(backupKey(orgId, backupId));
  expect(etag).toEqual(expect.any(String));
  expect(await backupEmails(owner, backupId)).toEqual([]);
  fault.remove();

  const redelivered = await deliver();
  expect(itemFailures(redelivered)).toEqual([]);
  expect(await statusOf(owner, orgId, backupId)).toMatchObject({ status: 'ready', email: 'sent' });
  // Only the email was sent again: the stored file is the one the first delivery built.
  expect(await etagOf(backupKey(orgId, backupId))).toBe(etag);
  const mails = await backupEmails(owner, backupId);
  expect(mails).toHaveLength(1);
  expect(mails[0]!.subject).toBe('Your backup of Mailless Ltd is ready');
  expect(mails[0]!.token).toEqual(expect.any(String));

  const page = await callRoute({
    route: downloadRoutes.downloadPage,
    params: { backupId },
    query: { token: mails[0]!.token! },
  });
  expect(page.status).toBe(200);
  expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
  expect(page.text).toContain('Download the backup of Mailless Ltd');

  const trail = (await auditEvents(orgId))
    .filter((e) => (e.resource as { id: string }).id === backupId)
    .map((e) => `${String(e.action)}:${String(e.outcome)}`);
  expect(trail).toEqual([
    'backup.create:success',
    'backup.complete:success',
    'backup.email:failure',
    'backup.email:success',
  ]);
}, 60_000);

/** Text fields on a job are at most 10,000 characters; random base64 barely deflates. */
const WIDE_FIELDS = Array.from({ length: 25 }, (_, i) => ({
  id: `note${i}`,
  label: `Note ${i}`,
  type: 'text',
}));
const JOBS = 48;
const noise = (): string => randomBytes(7_500).toString('base64');

test('S3 failing partway through the multipart upload leaves no backup; the redelivery completes it', async () => {
  const owner = newUser('s3-fault-owner');
  const orgId = await createOrg(owner, 'Bulky Ltd');
  const orchestrationId = await createOrchestration(orgId, owner, { fields: WIDE_FIELDS });
  // ~250 KB of fields per job, written twice (JSON lines and CSV): an archive of ~18 MiB, three 8 MiB parts.
  for (let i = 0; i < JOBS; i += 8) {
    await Promise.all(
      Array.from({ length: 8 }, () =>
        createJob(orgId, orchestrationId, owner, Object.fromEntries(WIDE_FIELDS.map((f) => [f.id, noise()]))),
      ),
    );
  }
  const { backupId, message } = await requestOwnBackup(owner, orgId);
  const deliver = deliverer(message);
  const key = backupKey(orgId, backupId);

  const fault = track(
    injectFault(s3() as unknown as MiddlewareHost, { command: 'UploadPart', nth: 2, kind: 'timeout' }),
  );
  const observed = track(observeCommands(s3() as unknown as MiddlewareHost));
  const failed = await deliver();
  expect(fault.fired).toBe(1);
  expect(itemFailures(failed)).toHaveLength(1);
  const status = await statusOf(owner, orgId, backupId);
  expect(status.status).not.toBe('ready');
  expect(status).toMatchObject({ status: 'failed', failure: expect.stringContaining('retried') });
  // The upload was multipart and got under way; it was aborted, never completed: no object, no parts kept.
  const succeeded = (command: string): number =>
    observed.calls.filter((c) => c.command === command && c.succeeded).length;
  expect(succeeded('CreateMultipartUpload')).toBe(1);
  expect(succeeded('AbortMultipartUpload')).toBe(1);
  expect(
    observed.calls.filter((c) => c.command === 'CompleteMultipartUpload' || c.command === 'PutObject'),
  ).toEqual([]);
  expect(await etagOf(key)).toBeUndefined();
  expect(await backupEmails(owner, backupId)).toEqual([]);
  fault.remove();
  observed.remove();

  const redelivered = await deliver();
  expect(itemFailures(redelivered)).toEqual([]);
  expect(await statusOf(owner, orgId, backupId)).toMatchObject({ status: 'ready', email: 'sent' });
  expect(await backupEmails(owner, backupId)).toHaveLength(1);

  const object = await reader.send(new GetObjectCommand({ Bucket: testEnv('FILES_BUCKET'), Key: key }));
  const zipPath = join(workDir, `${backupId}.zip`);
  const bytes = Buffer.from(await object.Body!.transformToByteArray());
  expect(bytes.length).toBeGreaterThan(16 * 1024 * 1024);
  await writeFile(zipPath, bytes);
  await run('7z', ['t', `-p${PASSWORD}`, zipPath]);
  await expect(run('7z', ['t', '-pnot-the-password', zipPath])).rejects.toThrow();
  const listing = (await run('7z', ['l', '-slt', `-p${PASSWORD}`, zipPath], { maxBuffer: 16 * 1024 * 1024 }))
    .stdout;
  for (const entry of [
    'organization.json',
    `jobs/${orchestrationId}.jsonl`,
    `jobs/${orchestrationId}.csv`,
    'audit-log.jsonl',
  ])
    expect(listing).toContain(`Path = ${entry}`);
  const out = join(workDir, 'out');
  await run('7z', ['x', `-p${PASSWORD}`, `-o${out}`, zipPath, `jobs/${orchestrationId}.jsonl`]);
  const lines = (await readFile(join(out, 'jobs', `${orchestrationId}.jsonl`), 'utf8')).trim().split('\n');
  expect(lines).toHaveLength(JOBS);
}, 180_000);
