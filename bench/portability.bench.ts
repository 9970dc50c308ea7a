/**
 * Portability benchmark (measurements, not pass/fail): a CSV export, an XLSX export and a backup
 * of an organization of `jobs` jobs (an email field sealed, text, number, date), each requested
 * through the API handler and built by the portability worker, against the emulators.
 * The emulators run in a child process (the test stack's), so this process's RSS is the API and
 * the worker alone: `<case>_peak_rss_mb` is its peak while the case ran (sampled every 25 ms),
 * `<case>_rss_growth_mb` that peak minus the RSS before the case. Goal: flat from 10k to 100k.
 * `<case>_rows_s` is rows written per second of wall time, request to ready.
 * Run alone with `npx tsx bench/portability.bench.ts [jobs] [--full]` (--full: 10k and 100k).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { StackMessage } from '../test/support/test-stack.ts';

const REPO_ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const SAMPLE_MS = 25;
const BATCH = 25;
const WRITERS = 8;

interface EmulatorChild {
  readonly env: Record<string, string>;
  stop(): Promise<void>;
}

async function startEmulators(dataDir: string): Promise<EmulatorChild> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', join('test', 'support', 'stack-process.ts'), dataDir],
    {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  const message = await new Promise<StackMessage>((resolveMessage, reject) => {
    child.once('message', (m) => resolveMessage(m as StackMessage));
    child.once('exit', (code) => reject(new Error(`The emulators exited during startup (code ${code})`)));
  });
  if (message.type === 'failed') throw new Error(message.message);
  return {
    env: message.env,
    stop: () =>
      new Promise((done) => {
        child.once('exit', () => done());
        child.kill('SIGTERM');
      }),
  };
}

/** Peak RSS while `work` runs, and its duration. */
async function measured<T>(
  work: () => Promise<T>,
): Promise<{ value: T; seconds: number; peakMb: number; growthMb: number }> {
  globalThis.gc?.();
  const before = process.memoryUsage.rss();
  let peak = before;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), SAMPLE_MS);
  const started = performance.now();
  try {
    const value = await work();
    peak = Math.max(peak, process.memoryUsage.rss());
    return {
      value,
      seconds: (performance.now() - started) / 1000,
      peakMb: peak / 2 ** 20,
      growthMb: (peak - before) / 2 ** 20,
    };
  } finally {
    clearInterval(timer);
  }
}

const round = (value: number, digits = 1): number => Number(value.toFixed(digits));

export async function runPortabilityBench(jobs: number): Promise<Record<string, number>> {
  const dataDir = await mkdtemp(join(tmpdir(), 'custos-bench-portability-'));
  const emulators = await startEmulators(dataDir);
  Object.assign(process.env, emulators.env, { LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' });
  // Imported once the environment is set: the handlers read their configuration on first use.
  const { callRoute } = await import('../test/integration/api/invoke-route.ts');
  const { stopWorkQueue, workUntil } = await import('../test/integration/portability-worker-support.ts');
  const { portabilityRoutes: r } = await import('../shared/api/routes/portability.ts');
  const { orgRoutes } = await import('../shared/api/routes/orgs.ts');
  const { orchestrationRoutes } = await import('../shared/api/routes/orchestrations.ts');
  const services = await import('../shared/services.ts');
  const { OrgCrypto } = await import('../shared/domain/org-crypto.ts');
  const { newId } = await import('../shared/domain/ids.ts');
  const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));
  const results: Record<string, number> = { jobs };
  try {
    const owner = { sub: 'bench-owner', email: 'owner@bench.test' };
    const orgId = (await callRoute({ route: orgRoutes.createOrg, as: owner, body: { name: 'Bench Org' } }))
      .body.orgId as string;
    const orchestrationId = (
      await callRoute({
        route: orchestrationRoutes.createOrchestration,
        as: owner,
        params: { orgId },
        body: {
          name: 'Claims',
          stages: ['new', 'done'],
          fields: [
            { id: 'title', label: 'Title', type: 'text' },
            {
              id: 'email',
              label: 'Customer email',
              type: 'email',
              personal: true,
              encrypted: true,
              subject: true,
            },
            { id: 'amount', label: 'Amount', type: 'number' },
            { id: 'due', label: 'Due', type: 'date' },
          ],
        },
      })
    ).body.orchestrationId as string;

    // Seeding writes the job items as DynamoJobs stores them, in batches: creating 100k jobs one
    // audited transaction at a time would measure seeding, not portability.
    const org = (await services.orgs().get(orgId))!;
    const crypto = new OrgCrypto(services.keys(), orgId, org.wrappedKeys);
    const table = emulators.env.RECORDS_TABLE!;
    const now = new Date().toISOString();
    let next = 0;
    const writer = async (): Promise<void> => {
      while (next < jobs) {
        const from = next;
        next = Math.min(jobs, next + BATCH);
        const items = await Promise.all(
          Array.from({ length: next - from }, async (_, i) => {
            const jobId = newId();
            return {
              PutRequest: {
                Item: {
                  pk: `ORG#${orgId}`,
                  sk: `JOB#${jobId}`,
                  kind: 'job',
                  gsi3pk: `ORG#${orgId}#ORCH#${orchestrationId}`,
                  gsi3sk: `JOB#${jobId}`,
                  orgId,
                  jobId,
                  orchestrationId,
                  ownerId: owner.sub,
                  stage: 'new',
                  fields: {
                    title: `Claim ${from + i}`,
                    email: await crypto.seal(jobId, 'email', `customer${from + i}@example.test`),
                    amount: from + i,
                    due: '2026-12-01',
                  },
                  version: 1,
                  createdAt: now,
                  updatedAt: now,
                },
              },
            };
          }),
        );
        await documents.send(new BatchWriteCommand({ RequestItems: { [table]: items } }));
      }
    };
    await Promise.all(Array.from({ length: WRITERS }, writer));

    for (const format of ['csv', 'xlsx'] as const) {
      const run = await measured(async () => {
        const exportId = (
          await callRoute({ route: r.createExport, as: owner, params: { orgId }, body: { format } })
        ).body.exportId as string;
        let status: Record<string, unknown> = {};
        await workUntil(async () => {
          status = (await callRoute({ route: r.getExport, as: owner, params: { orgId, exportId } })).body;
          return status.status === 'ready' || status.status === 'failed';
        }, 3_600_000);
        if (status.status !== 'ready') throw new Error(`The ${format} export ${String(status.status)}`);
        return Number(status.rowsWritten);
      });
      results[`export_${format}_rows_s`] = Math.round(run.value / run.seconds);
      results[`export_${format}_seconds`] = round(run.seconds);
      results[`export_${format}_peak_rss_mb`] = round(run.peakMb);
      results[`export_${format}_rss_growth_mb`] = round(run.growthMb);
    }

    const backup = await measured(async () => {
      const backupId = (
        await callRoute({
          route: r.createBackup,
          as: owner,
          params: { orgId },
          body: { password: 'benchmark-password-1' },
        })
      ).body.backupId as string;
      let status: Record<string, unknown> = {};
      await workUntil(async () => {
        status = (await callRoute({ route: r.getBackup, as: owner, params: { orgId, backupId } })).body;
        return status.status === 'failed' || (status.status === 'ready' && status.email !== 'pending');
      }, 3_600_000);
      if (status.status !== 'ready') throw new Error(`The backup ${String(status.status)}`);
      return Number(status.rowsWritten);
    });
    results.backup_rows_s = Math.round(backup.value / backup.seconds);
    results.backup_seconds = round(backup.seconds);
    results.backup_peak_rss_mb = round(backup.peakMb);
    results.backup_rss_growth_mb = round(backup.growthMb);
    return results;
  } finally {
    stopWorkQueue();
    documents.destroy();
    await emulators.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const sizes = args.includes('--full')
    ? [10_000, 100_000]
    : [Number(args.find((a) => /^\d+$/.test(a)) ?? 10_000)];
  for (const size of sizes) console.log(JSON.stringify(await runPortabilityBench(size), null, 2));
}
