/**
 * Audit log benchmark (measurements, not pass/fail), against DynamoDB Local started here:
 * - `bare_write_wcu` / `audited_write_wcu`: write capacity consumed per change, as DynamoDB reports
 *   it (ReturnConsumedCapacity TOTAL, added to every request by an SDK middleware): a bare PutItem
 *   of a record vs the same Put committed through AuditedWriter (transaction with the event and
 *   the chain head; transactions bill 2 WCU per KB per item). `audit_extra_wcu` is the difference.
 * - `bare_write_ms_p50` / `audited_write_ms_p50` (and p95): sequential latency per change.
 * - `chain_events_per_s_<n>_writers`: events per second one organization's chain takes with n
 *   concurrent writers (separate AuditedWriter instances, as separate Lambdas); `chain_rejected_429_<n>_writers`:
 *   appends that ran out of turns (429, retried by the caller) and
 *   `chain_requests_per_event_<n>_writers`: DynamoDB requests per event (1 when no race is lost; head reads and lost races add to it).
 * DynamoDB Local is not DynamoDB: latencies and contention are indicative only; WCU are exact.
 * Run alone with `npx tsx bench/audit.bench.ts`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { startEmulators } from '../infra/local/emulators.ts';
import { provisionResources } from '../infra/local/provision.ts';
import { AuditedWriter } from '../shared/adapters/aws/audited-writer.ts';
import { orgPk } from '../shared/adapters/aws/records-keys.ts';
import { UnavailableError } from '../shared/domain/errors.ts';
import { newId } from '../shared/domain/ids.ts';
import { systemClock } from '../shared/ports/clock.ts';
import { percentile } from './stats.ts';

const WRITES = 200;
const CHAIN_EVENTS = 320;
const WRITER_COUNTS = [1, 4, 16] as const;

interface Meter {
  wcu: number;
  requests: number;
}

interface ConsumedCapacityShape {
  readonly CapacityUnits?: number;
  readonly WriteCapacityUnits?: number;
}

/** A document client that asks for and sums the consumed capacity of every request it sends. */
function meteredClient(endpoint: string, meter: Meter): { client: DynamoDBDocumentClient; destroy: () => void } {
  const raw = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  raw.middlewareStack.add(
    (next) => async (args) => {
      (args.input as { ReturnConsumedCapacity?: string }).ReturnConsumedCapacity = 'TOTAL';
      // Counted before the answer: lost head races fail, and they are requests too.
      meter.requests += 1;
      const result = await next(args);
      const consumed = (result.output as { ConsumedCapacity?: ConsumedCapacityShape | ConsumedCapacityShape[] }).ConsumedCapacity;
      for (const entry of Array.isArray(consumed) ? consumed : consumed === undefined ? [] : [consumed]) {
        meter.wcu += entry.WriteCapacityUnits ?? entry.CapacityUnits ?? 0;
      }
      return result;
    },
    { step: 'initialize', name: 'consumedCapacityMeter' },
  );
  return { client: DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } }), destroy: () => raw.destroy() };
}

const actor = (userId: string) => ({ userId, email: `${userId}@example.test`, sourceIp: '192.0.2.1', userAgent: 'bench', requestId: newId() });

async function timed(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await run();
  return performance.now() - started;
}

export async function runAuditBench(): Promise<Record<string, number>> {
  const dataDir = await mkdtemp(join(tmpdir(), 'custos-audit-bench-'));
  const emulators = await startEmulators({ dataDir });
  try {
    const { tables } = await provisionResources(emulators.endpoints);
    const meter: Meter = { wcu: 0, requests: 0 };
    const { client, destroy } = meteredClient(emulators.endpoints.dynamodb, meter);
    try {
      const record = (orgId: string, i: number) => ({ pk: orgPk(orgId), sk: `JOB#${String(i).padStart(6, '0')}`, kind: 'job', title: 'x'.repeat(200), stage: 'new' });

      // Bare writes.
      const bareOrg = newId();
      meter.wcu = 0;
      const bareMs: number[] = [];
      for (let i = 0; i < WRITES; i += 1) bareMs.push(await timed(() => client.send(new PutCommand({ TableName: tables.records, Item: record(bareOrg, i) }))));
      const bareWcu = meter.wcu / WRITES;

      // The same writes with their audit event (warm writer: the head is cached after the first).
      const auditedOrg = newId();
      const writer = new AuditedWriter(client, tables.audit, systemClock);
      meter.wcu = 0;
      const auditedMs: number[] = [];
      for (let i = 0; i < WRITES; i += 1) {
        auditedMs.push(
          await timed(() =>
            writer.commit([{ Put: { TableName: tables.records, Item: record(auditedOrg, i) } }], { orgId: auditedOrg, action: 'job.update', resource: { type: 'job', id: newId() }, outcome: 'success', changes: { fields: ['stage'], values: { stage: 'new' } } }, actor('bench')),
          ),
        );
      }
      const auditedWcu = meter.wcu / WRITES;

      const results: Record<string, number> = {
        bare_write_wcu: round(bareWcu),
        audited_write_wcu: round(auditedWcu),
        audit_extra_wcu: round(auditedWcu - bareWcu),
        bare_write_ms_p50: round(percentile(bareMs, 50)),
        bare_write_ms_p95: round(percentile(bareMs, 95)),
        audited_write_ms_p50: round(percentile(auditedMs, 50)),
        audited_write_ms_p95: round(percentile(auditedMs, 95)),
      };

      // Chain throughput of one organization with n concurrent writers.
      for (const writers of WRITER_COUNTS) {
        const orgId = newId();
        const perWriter = Math.ceil(CHAIN_EVENTS / writers);
        meter.requests = 0;
        let rejected = 0;
        const started = performance.now();
        await Promise.all(
          Array.from({ length: writers }, async (_, w) => {
            const own = new AuditedWriter(client, tables.audit, systemClock);
            for (let i = 0; i < perWriter; i += 1) {
              // A writer out of turns answers 429; its client retries, as an API client would.
              for (;;) {
                try {
                  await own.append({ orgId, action: 'job.read', resource: { type: 'job', id: newId() }, outcome: 'success' }, actor(`writer-${w}`));
                  break;
                } catch (error) {
                  if (!(error instanceof UnavailableError)) throw error;
                  rejected += 1;
                }
              }
            }
          }),
        );
        const seconds = (performance.now() - started) / 1000;
        const events = perWriter * writers;
        results[`chain_events_per_s_${writers}_writers`] = round(events / seconds);
        results[`chain_requests_per_event_${writers}_writers`] = round(meter.requests / events);
        results[`chain_rejected_429_${writers}_writers`] = rejected;
      }
      return results;
    } finally {
      destroy();
    }
  } finally {
    await emulators.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

function round(value: number): number {
  return Number(value.toFixed(2));
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  console.log(JSON.stringify(await runAuditBench(), null, 2));
}
