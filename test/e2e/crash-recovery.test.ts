/**
 * `npm start` killed the hard way, as a closed laptop lid or an OOM kill does it: `kill -9` of its
 * whole process group while an XLSX export, a backup and an erasure by the clean-up cycle are under
 * way, then a start again on the same data folder. Afterwards exactly one DynamoDB Local serves
 * the folder (none is left over while nothing runs), everything written before the kill is there
 * byte for byte, the interrupted export and backup are rebuilt (same ids, a second attempt) within
 * the short lease, the erasure completes, and the audit chain verifies. The lease is shortened to
 * a few seconds (CUSTOS_QUEUE_LEASE_SECONDS) so the test waits seconds, not minutes.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, access } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, paginateQuery } from '@aws-sdk/client-dynamodb';
import { OWNER_FILE } from '../../infra/local/data-dir-lock.ts';
import { TABLES } from '../../infra/resources.ts';

const LEASE_SECONDS = 3;
const JOBS = 120;
/** Starting Java and the stack takes seconds on an idle machine and up to a minute on a loaded one. */
const START_TIMEOUT_MS = 150_000;

let dataDir: string;
let running: { child: ChildProcess; url: string; output: () => string } | undefined;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'custos-crash-'));
});

afterAll(async () => {
  if (running !== undefined) await stopGracefully(running.child);
  await rm(dataDir, { recursive: true, force: true });
}, 60_000);

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** `npm start` as a newcomer runs it (start.ts under tsx), leading a process group of its own. */
function startProcess(options: { fresh?: boolean } = {}): {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
} {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'infra/local/start.ts', ...(options.fresh === true ? ['--fresh'] : [])],
    {
      cwd: process.cwd(),
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        PORT: '0',
        CUSTOS_DATA_DIR: dataDir,
        CUSTOS_QUEUE_LEASE_SECONDS: String(LEASE_SECONDS),
      },
    },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function start(
  options: { fresh?: boolean } = {},
): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const started = startProcess(options);
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    const match = /API\s+(http:\/\/127\.0\.0\.1:\d+)\/v1/.exec(started.output());
    if (match !== null) return { child: started.child, url: match[1]!, output: started.output };
    if (started.child.exitCode !== null) throw new Error(`npm start exited: ${started.output()}`);
    if (Date.now() > deadline) throw new Error(`npm start did not come up: ${started.output()}`);
    await sleep(200);
  }
}

async function stopGracefully(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  process.kill(-child.pid!, 'SIGTERM');
  await exited;
}

/** DynamoDB Local processes serving this test's data folder, found by their command line. */
function dynamoProcesses(): number[] {
  const listing = execFileSync('ps', ['-ww', '-eo', 'pid=,args='], { encoding: 'utf8' });
  return listing
    .split('\n')
    .filter(
      (line) => line.includes('DynamoDBLocal') && line.includes(`-dbPath ${join(dataDir, 'dynamodb')} `),
    )
    .map((line) => Number(line.trim().split(/\s+/)[0]));
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(100);
  }
}

async function call<T>(
  url: string,
  method: string,
  path: string,
  token?: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: {
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: (text === '' ? undefined : JSON.parse(text)) as T };
}

async function ok<T>(answer: Promise<{ status: number; body: T }>, status: number): Promise<T> {
  const { status: got, body } = await answer;
  if (got !== status) throw new Error(`Expected ${status}, got ${got}: ${JSON.stringify(body)}`);
  return body;
}

/** The organization's records partition as stored, read around our adapters from the emulator itself. */
async function partition(orgId: string): Promise<Record<string, unknown>[]> {
  const ports = JSON.parse(await readFile(join(dataDir, 'ports.json'), 'utf8')) as { dynamodb: number };
  const client = new DynamoDBClient({
    endpoint: `http://127.0.0.1:${ports.dynamodb}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  const items: Record<string, unknown>[] = [];
  const pages = paginateQuery(
    { client },
    {
      TableName: TABLES.records.localName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': { S: `ORG#${orgId}` } },
      ConsistentRead: true,
    },
  );
  for await (const page of pages) items.push(...(page.Items ?? []));
  client.destroy();
  return items;
}

/** Counts and a checksum of what the kill must not touch: every item but the export and backup requests (they move on). */
async function snapshot(orgId: string): Promise<{ jobs: number; items: number; checksum: string }> {
  const kept = (await partition(orgId)).filter(
    (item) => !/^(EXPORT|BACKUP)#/.test(String((item.sk as { S?: string }).S)),
  );
  const canonical = kept.map((item) => JSON.stringify(item, Object.keys(item).sort())).sort();
  return {
    jobs: kept.filter((item) => String((item.sk as { S?: string }).S).startsWith('JOB#')).length,
    items: kept.length,
    checksum: createHash('sha256').update(canonical.join('\n')).digest('hex'),
  };
}

type Work = { status: string; attempt?: number; progressAt?: string };

describe('kill -9 of npm start during an export, a backup and an erasure', () => {
  test('a restart resumes everything: one DynamoDB Local, data intact, the work done within the lease, the audit chain valid', async () => {
    // Prepare: an organization with jobs, and a second one to be erased.
    running = await start({ fresh: true });
    let { url } = running;
    expect(dynamoProcesses()).toHaveLength(1);
    const { access_token: token } = await ok(
      call<{ access_token: string }>(url, 'POST', '/dev/token', undefined, {
        sub: 'crash-owner',
        email: 'crash-owner@example.com',
      }),
      200,
    );
    const { orgId } = await ok(
      call<{ orgId: string }>(url, 'POST', '/v1/orgs', token, { name: 'Kept Ltd' }),
      201,
    );
    const { orgId: doomedId } = await ok(
      call<{ orgId: string }>(url, 'POST', '/v1/orgs', token, { name: 'Doomed Ltd' }),
      201,
    );
    const fields = [
      {
        id: 'customer',
        label: 'Customer email',
        type: 'email',
        personal: true,
        encrypted: true,
        subject: true,
      },
      { id: 'note', label: 'Note', type: 'text' },
    ];
    for (const org of [orgId, doomedId]) {
      const { orchestrationId } = await ok(
        call<{ orchestrationId: string }>(url, 'POST', `/v1/orgs/${org}/orchestrations`, token, {
          name: 'Repairs',
          stages: ['new', 'done'],
          fields,
        }),
        201,
      );
      const count = org === orgId ? JOBS : 30;
      for (let i = 0; i < count; i += 8) {
        await Promise.all(
          Array.from({ length: Math.min(8, count - i) }, (_, k) =>
            ok(
              call(url, 'POST', `/v1/orgs/${org}/orchestrations/${orchestrationId}/jobs`, token, {
                fields: { customer: `c${i + k}@example.com`, note: `job ${i + k}` },
              }),
              201,
            ),
          ),
        );
      }
    }
    const before = await snapshot(orgId);
    expect(before.jobs).toBe(JOBS);

    // Act: the work starts, and the whole group is killed while it runs.
    const { exportId } = await ok(
      call<{ exportId: string }>(url, 'POST', `/v1/orgs/${orgId}/exports`, token, { format: 'xlsx' }),
      202,
    );
    const { backupId } = await ok(
      call<{ backupId: string }>(url, 'POST', `/v1/orgs/${orgId}/backups`, token, {
        password: 'correct horse battery',
      }),
      202,
    );
    await ok(call(url, 'DELETE', `/v1/orgs/${doomedId}`, token), 202);
    void call(url, 'POST', '/dev/cleanup').catch(() => undefined); // answered only when the cycle ends: never, here
    const exportPath = `/v1/orgs/${orgId}/exports/${exportId}`;
    const backupPath = `/v1/orgs/${orgId}/backups/${backupId}`;
    const caught = await until(
      'the export or the backup to run',
      async () => {
        const [exp, bak] = await Promise.all([
          call<Work>(url, 'GET', exportPath, token),
          call<Work>(url, 'GET', backupPath, token),
        ]);
        return exp.body.status === 'running' || bak.body.status === 'running'
          ? { export: exp.body.status, backup: bak.body.status }
          : undefined;
      },
      60_000,
    );
    process.kill(-running.child.pid!, 'SIGKILL');
    running = undefined;

    // Assess: the watchdog stops DynamoDB Local although its parent could do nothing.
    await until(
      'DynamoDB Local to stop with its parent',
      async () => (dynamoProcesses().length === 0 ? true : undefined),
      15_000,
    );

    // Act: start again on the same folder.
    running = await start();
    url = running.url;
    const restartedAt = Date.now();

    // Assess: one emulator, the data as it was, the interrupted work done (again, as the same request) within the lease.
    expect(dynamoProcesses()).toHaveLength(1);
    expect(await snapshot(orgId)).toEqual(before);
    const done = async (path: string): Promise<Work> =>
      until(
        `${path} to be ready`,
        async () => {
          const { body } = await call<Work>(url, 'GET', path, token);
          return body.status === 'ready' ? body : undefined;
        },
        (LEASE_SECONDS + 60) * 1000,
      );
    const [exported, backedUp] = await Promise.all([done(exportPath), done(backupPath)]);
    const recoveredInMs = Date.now() - restartedAt;
    expect(recoveredInMs).toBeLessThan((LEASE_SECONDS + 60) * 1000);
    // Seen `running` just before the kill does not prove the kill interrupted it: the worker may
    // finish between that read and the signal (seen once in CI-like runs). Interrupted work runs again (2).
    if (caught.export === 'running') expect([1, 2]).toContain(exported.attempt);
    if (caught.backup === 'running') expect([1, 2]).toContain(backedUp.attempt);
    expect(exported.progressAt).toEqual(expect.any(String));

    // The erasure: its message is back within the lease, and the organization's claim has lapsed too.
    // Both were last renewed before the kill, so one lease (and some slack) after the restart is
    // enough; the export and the backup have usually taken longer than that already.
    await sleep(restartedAt + LEASE_SECONDS * 1000 + 500 - Date.now());
    await ok(call(url, 'POST', '/dev/cleanup'), 200);
    expect((await call(url, 'GET', `/v1/orgs/${doomedId}`, token)).status).toBe(404);
    expect(await partition(doomedId)).toEqual([]);

    const verification = await ok(
      call<{ valid: boolean; events: number }>(url, 'GET', `/v1/orgs/${orgId}/audit/verify`, token),
      200,
    );
    expect(verification).toMatchObject({ valid: true });
    expect(verification.events).toBeGreaterThan(JOBS);
  }, 600_000);

  test('a second start on a folder in use refuses in one sentence, and leaves the running one alone', async () => {
    // Prepare: the start of the previous test still runs.
    expect(running).toBeDefined();

    // Act
    const second = startProcess();
    const code = await second.exited;

    // Assess
    expect(code).toBe(1);
    expect(second.output()).toMatch(/Another `npm start` \(pid \d+\) is using .*; stop it first/);
    expect(dynamoProcesses()).toHaveLength(1);
    expect((await call(running!.url, 'GET', '/v1/openapi.json')).status).toBe(200);
  }, 60_000);

  test('a normal stop leaves no emulator and gives the folder up', async () => {
    // Act
    await stopGracefully(running!.child);
    running = undefined;

    // Assess
    expect(dynamoProcesses()).toEqual([]);
    await expect(access(join(dataDir, OWNER_FILE))).rejects.toThrow();
  }, 60_000);
});
