/**
 * Audit log benchmark (measurements, not pass/fail), against DynamoDB Local started here, with the
 * sequencer fed by the audit table's stream through the local stream poller, as in `npm start`:
 * - `bare_write_wcu` / `audited_write_wcu`: write capacity consumed per change, as DynamoDB reports
 *   it (ReturnConsumedCapacity TOTAL, added to every request by an SDK middleware): a bare PutItem
 *   of a record vs the same Put committed through AuditedWriter (one transaction with its event;
 *   transactions bill 2 WCU per KB per item).
 * - `audit_wcu_per_event`: what auditing writes per event, amortised: the event in the change's
 *   transaction (and the transaction's doubling of the change) plus the sequencer's writes (the
 *   batch, the head, the checkpoints), over the concurrent runs below; all as DynamoDB reports them.
 * - `bare_write_ms_p50` / `audited_write_ms_p50` (and p95): sequential latency per change.
 * - `audit_ratio_<n>_writers`: audited writes/s ÷ bare writes/s with n concurrent writers in one
 *   organization, measured side by side in this run, alternating in rounds (goal ≥ 0.8).
 *   Beside it, to see where the time goes: `txn_writes_per_s_<n>_writers`, a TransactWriteItems of
 *   the change and one unrelated record (two items, no audit at all; `txn_ratio_<n>_writers` is it
 *   ÷ bare), and `audited_quiet_writes_per_s_<n>_writers`, the audited writes again with the stream
 *   poller and the sequencer held (`audit_ratio_quiet_<n>_writers` ÷ bare), after which
 *   `sequencer_catch_up_ms_<n>_writers` is how long the sequencer took to chain what waited.
 * - `sequencer_lag_ms_<n>_writers`: from the last audited write to the whole run sequenced (both
 *   this and the catch-up include the poller's 1.5 s wait to see the stream idle).
 * - `audit_checkpoint_lag_ms`: the oldest an audited write (with the sequencer running) got before
 *   a KMS-signed checkpoint covered it, the quiet tail after the last write included (the
 *   sequencer asks for a checkpoint when the signing interval since the last one ends, 7 s for the
 *   10 s maximum age, through the checkpoint queue and the audit-checkpoint consumer, run here by
 *   the local SQS poller; docs/decisions/0021);
 *   `audit_checkpoints_per_interval`: signatures per organization per signing interval of writing
 *   (the tail's included); `audit_max_signatures_per_interval`: the most of one organization in
 *   any signing interval (KMS's bound: ≤ 1);
 *   `audit_sequenced_to_signed_ms`: the same from when the sequencer chained the write (so without
 *   the sequencer's own lag behind the writers, which the machine's load sets);
 *   `audit_write_to_sequenced_ms`: that lag itself, the longest an audited write waited for the
 *   delivery that chained it (the stream's delay and the mapping's batching window included).
 * - `audit_rcu_per_event`: the read capacity auditing adds per event (the sequencer's look-ups).
 * - `emulator_cpu_ms_per_write.<kind>`: CPU time DynamoDB Local's JVM spent per write of each kind
 *   in the concurrent runs (`bare`, `txn`, `audited`, `audited_held`; the audited kinds include the
 *   sequencer's catching up after the writes), from Linux's /proc. With the emulator's CPU the
 *   bottleneck on two cores, these set the rates' ceiling; they move far less with the machine's
 *   load than the rates do.
 * - `audit_bench_load_avg_min` / `_max`: the machine's 1-minute load average around the run.
 * DynamoDB Local is not DynamoDB: latencies and contention are indicative only; WCU are exact.
 * Run alone with `npx tsx bench/audit.bench.ts`.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { KMSClient } from '@aws-sdk/client-kms';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBStreamEvent, SQSEvent } from 'aws-lambda';
import { startEmulators } from '../infra/local/emulators.ts';
import { provisionResources } from '../infra/local/provision.ts';
import { AUDIT_SIGNING_KEY_ALIAS } from '../infra/local/kms-server.ts';
import { startPoller } from '../infra/local/poller.ts';
import { startStreamPoller } from '../infra/local/stream-poller.ts';
import { functionNamed } from '../infra/manifest.ts';
import { AuditedWriter } from '../shared/adapters/aws/audited-writer.ts';
import { DynamoAuditLog } from '../shared/adapters/aws/dynamo-audit-log.ts';
import { DynamoAuditSequencerStore } from '../shared/adapters/aws/dynamo-audit-sequencer.ts';
import { DynamoCheckpointClaims } from '../shared/adapters/aws/dynamo-checkpoint-claims.ts';
import { KmsDigestSigner } from '../shared/adapters/aws/kms-signer.ts';
import { SqsCheckpointQueue } from '../shared/adapters/aws/sqs-checkpoint-queue.ts';
import { orgPk } from '../shared/adapters/aws/records-keys.ts';
import { checkpointIntervalMs } from '../shared/domain/audit-checkpoint.ts';
import { newId } from '../shared/domain/ids.ts';
import type { AppendedEvent } from '../shared/ports/audit.ts';
import { systemClock } from '../shared/ports/clock.ts';
import { checkpointIfDue, checkpointOrSchedule, TailSchedule } from '../shared/use-cases/audit-digests.ts';
import { sequenceEvents } from '../shared/use-cases/audit-sequence.ts';
import { percentile } from './stats.ts';

const WRITES = 200;
/** Enough writes that a run outlasts a few checkpoint intervals. */
const CONCURRENT_WRITES = 3_200;
/**
 * Bare and audited writes alternate in this many rounds (each half of the writes): the load of a
 * shared machine drifts within minutes, and alternating keeps it from favouring either side.
 */
const ROUNDS = 2;
/** The maximum checkpoint age (AUDIT_CHECKPOINT_SECONDS' default) and the signing interval it gives. */
const CHECKPOINT_MAX_AGE_SECONDS = 10;
const CHECKPOINT_INTERVAL_MS = checkpointIntervalMs(CHECKPOINT_MAX_AGE_SECONDS);
const WRITER_COUNTS = [16, 64] as const;
/** How long the run waits for the quiet tail's checkpoint beyond the maximum age before calling it missing. */
const TAIL_GRACE_MS = 15_000;

interface Meter {
  wcu: number;
  rcu: number;
  requests: number;
}

/** Requests whose consumed capacity is write capacity; every other request's is read capacity. */
const WRITE_COMMANDS = new Set([
  'PutItemCommand',
  'UpdateItemCommand',
  'DeleteItemCommand',
  'BatchWriteItemCommand',
  'TransactWriteItemsCommand',
]);

interface ConsumedCapacityShape {
  readonly CapacityUnits?: number;
}

/** A document client that asks for and sums the consumed capacity of every request it sends. */
function meteredClient(
  endpoint: string,
  meter: Meter,
): { client: DynamoDBDocumentClient; destroy: () => void } {
  const raw = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  raw.middlewareStack.add(
    (next, context) => async (args) => {
      (args.input as { ReturnConsumedCapacity?: string }).ReturnConsumedCapacity = 'TOTAL';
      // Counted before the answer: lost head races fail, and they are requests too.
      meter.requests += 1;
      const result = await next(args);
      const consumed = (
        result.output as { ConsumedCapacity?: ConsumedCapacityShape | ConsumedCapacityShape[] }
      ).ConsumedCapacity;
      // DynamoDB reports TOTAL capacity as CapacityUnits: the command says whether it was written or read.
      const writes = WRITE_COMMANDS.has(context.commandName ?? '');
      for (const entry of Array.isArray(consumed) ? consumed : consumed === undefined ? [] : [consumed]) {
        const units = entry.CapacityUnits ?? 0;
        if (writes) meter.wcu += units;
        else meter.rcu += units;
      }
      return result;
    },
    { step: 'initialize', name: 'consumedCapacityMeter' },
  );
  return {
    client: DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } }),
    destroy: () => raw.destroy(),
  };
}

const actor = (userId: string) => ({
  userId,
  email: `${userId}@example.test`,
  sourceIp: '192.0.2.1',
  userAgent: 'bench',
  requestId: newId(),
});

async function timed(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await run();
  return performance.now() - started;
}

/** The events of a stream batch, as the sequencer function reads them. */
function appendedOf(event: unknown): AppendedEvent[] {
  return (event as DynamoDBStreamEvent).Records.flatMap((record) => {
    if (record.eventName !== 'INSERT' || record.dynamodb?.NewImage === undefined) return [];
    const item = unmarshall(record.dynamodb.NewImage as Parameters<typeof unmarshall>[0]);
    return item.kind === 'event' ? [item as AppendedEvent] : [];
  });
}

export async function runAuditBench(): Promise<Record<string, number>> {
  const dataDir = await mkdtemp(join(tmpdir(), 'custos-audit-bench-'));
  const emulators = await startEmulators({ dataDir });
  try {
    const resources = await provisionResources(emulators.endpoints);
    const { tables } = resources;
    const meter: Meter = { wcu: 0, rcu: 0, requests: 0 };
    const { client, destroy } = meteredClient(emulators.endpoints.dynamodb, meter);
    // The sequencer's own writes, metered apart: the stream poller feeds it as in `npm start`.
    const sequencerMeter: Meter = { wcu: 0, rcu: 0, requests: 0 };
    const sequencerClient = meteredClient(emulators.endpoints.dynamodb, sequencerMeter);
    const local = {
      endpoint: emulators.endpoints.dynamodb,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    };
    const dynamodb = new DynamoDBClient(local);
    const streams = new DynamoDBStreamsClient(local);
    const store = new DynamoAuditSequencerStore(sequencerClient.client, tables.audit);
    const kms = new KMSClient({ ...local, endpoint: emulators.endpoints.kms });
    const sqs = new SQSClient({ ...local, endpoint: emulators.endpoints.sqs });
    const loads = [loadavg()[0]!];
    /** The emulator's CPU per write of each kind, summed over the concurrent runs. */
    const emulatorCpu = new Map<string, { ms: number; writes: number }>();
    const jvm = emulators.processes.find((p) => p.name === 'DynamoDB Local')?.pid;
    const cpuSpent = async (kind: string, writes: number, run: () => Promise<number>): Promise<number> => {
      const before = jvm === undefined ? undefined : processCpuMs(jvm);
      const seconds = await run();
      const after = jvm === undefined ? undefined : processCpuMs(jvm);
      if (before !== undefined && after !== undefined) {
        const sum = emulatorCpu.get(kind) ?? { ms: 0, writes: 0 };
        emulatorCpu.set(kind, { ms: sum.ms + after - before, writes: sum.writes + writes });
      }
      return seconds;
    };
    const checkpoints = {
      store: new DynamoAuditLog(
        sequencerClient.client,
        tables.audit,
        new AuditedWriter(sequencerClient.client, tables.audit, systemClock),
      ),
      signer: new KmsDigestSigner(AUDIT_SIGNING_KEY_ALIAS, kms),
      clock: systemClock,
      claims: new DynamoCheckpointClaims(sequencerClient.client, tables.audit),
      queue: new SqsCheckpointQueue(sqs, resources.queues.checkpoints.url),
      scheduled: new TailSchedule(),
    };
    /** Per organization: when each write completed (in completion order) and each checkpoint signed. */
    const completed = new Map<string, number[]>();
    const signed = new Map<
      string,
      Array<{ readonly at: number; readonly headSeq: number; readonly createdAt: number }>
    >();
    const noteSigned = (
      orgId: string,
      digest: { readonly headSeq: number; readonly createdAt: string } | undefined,
    ): void => {
      if (digest !== undefined)
        signed.set(orgId, [
          ...(signed.get(orgId) ?? []),
          { at: performance.now(), headSeq: digest.headSeq, createdAt: Date.parse(digest.createdAt) },
        ]);
    };
    /** Per organization: when the sequencer finished each delivery, and how many events it then held. */
    const sequencedAt = new Map<string, Array<{ readonly at: number; readonly count: number }>>();
    /**
     * While set, the sequencer's invocation waits, and with it the stream poller (one batch per
     * shard at a time): nothing reads the stream or chains until it is released.
     */
    let held: Promise<void> | undefined;
    // What the sequencer function does with a batch (functions/audit-sequencer).
    const sequence = async (event: unknown): Promise<void> => {
      await held;
      const events = appendedOf(event);
      await sequenceEvents(store, events);
      const done = performance.now();
      for (const orgId of new Set(events.map((e) => e.orgId))) {
        const list = sequencedAt.get(orgId) ?? [];
        const own = new Set(events.filter((e) => e.orgId === orgId).map((e) => e.eventId)).size;
        list.push({ at: done, count: (list.at(-1)?.count ?? 0) + own });
        sequencedAt.set(orgId, list);
      }
      for (const orgId of new Set(events.map((e) => e.orgId)))
        await checkpointOrSchedule(checkpoints, orgId, CHECKPOINT_INTERVAL_MS);
    };
    // What the audit-checkpoint function does with the requests the sequencer scheduled.
    const checkpoint = async (event: unknown): Promise<void> => {
      const orgIds = new Set(
        (event as SQSEvent).Records.map((r) => (JSON.parse(r.body) as { orgId: string }).orgId),
      );
      for (const orgId of orgIds)
        noteSigned(orgId, await checkpointIfDue(checkpoints, orgId, CHECKPOINT_INTERVAL_MS));
    };
    const poller = startStreamPoller({
      runtime: { invoke: (_fn, event) => sequence(event) },
      dynamodb,
      streams,
      tableNames: tables,
    });
    const queuePoller = startPoller({
      runtime: { invoke: (_fn, event) => checkpoint(event) },
      sqs,
      queueUrls: Object.fromEntries(
        Object.entries(resources.queues).map(([name, queue]) => [name, queue.url]),
      ) as Record<keyof typeof resources.queues, string>,
      functions: [functionNamed('audit-checkpoint')],
    });
    try {
      const record = (orgId: string, i: number) => ({
        pk: orgPk(orgId),
        sk: `JOB#${String(i).padStart(6, '0')}`,
        kind: 'job',
        title: 'x'.repeat(200),
        stage: 'new',
      });
      const draft = (orgId: string) => ({
        orgId,
        action: 'job.update',
        resource: { type: 'job', id: newId() },
        outcome: 'success' as const,
        changes: { fields: ['stage'], values: { stage: 'new' } },
      });

      // Bare writes.
      const bareOrg = newId();
      meter.wcu = 0;
      const bareMs: number[] = [];
      for (let i = 0; i < WRITES; i += 1)
        bareMs.push(
          await timed(() =>
            client.send(new PutCommand({ TableName: tables.records, Item: record(bareOrg, i) })),
          ),
        );
      const bareWcu = meter.wcu / WRITES;

      // The same writes with their audit event.
      const auditedOrg = newId();
      const writer = new AuditedWriter(client, tables.audit, systemClock);
      meter.wcu = 0;
      const auditedMs: number[] = [];
      for (let i = 0; i < WRITES; i += 1) {
        auditedMs.push(
          await timed(() =>
            writer.commit(
              [{ Put: { TableName: tables.records, Item: record(auditedOrg, i) } }],
              draft(auditedOrg),
              actor('bench'),
            ),
          ),
        );
      }
      const auditedWcu = meter.wcu / WRITES;

      const results: Record<string, number> = {
        bare_write_wcu: round(bareWcu),
        audited_write_wcu: round(auditedWcu),
        bare_write_ms_p50: round(percentile(bareMs, 50)),
        bare_write_ms_p95: round(percentile(bareMs, 95)),
        audited_write_ms_p50: round(percentile(auditedMs, 50)),
        audited_write_ms_p95: round(percentile(auditedMs, 95)),
      };
      await poller.caughtUp();

      // n concurrent writers in one organization: bare, then audited, side by side.
      // The writers' share is metered per audited run; the sequencer's and the checkpoints' from
      // here to the last tail checkpoint, whenever they run.
      let auditEventWcu = 0;
      let auditEventRcu = 0;
      let auditedEvents = 0;
      const sequencerWcuBefore = sequencerMeter.wcu;
      const sequencerRcuBefore = sequencerMeter.rcu;
      for (const writers of WRITER_COUNTS) {
        const perWriter = Math.ceil(CONCURRENT_WRITES / writers / ROUNDS);
        /** Seconds the n writers took for their writes, in a fresh organization. */
        const timedRun = async (
          write: (orgId: string, w: number, i: number) => Promise<unknown>,
        ): Promise<number> => {
          const orgId = newId();
          const started = performance.now();
          await Promise.all(
            Array.from({ length: writers }, async (_, w) => {
              for (let i = 0; i < perWriter; i += 1) await write(orgId, w, i);
            }),
          );
          return (performance.now() - started) / 1000;
        };
        const writersOwn = Array.from(
          { length: writers },
          () => new AuditedWriter(client, tables.audit, systemClock),
        );
        /** An audited write; `live` ones (the sequencer running) count for the checkpoint lag. */
        const auditedWrite =
          (live: boolean) =>
          async (orgId: string, w: number, i: number): Promise<void> => {
            await writersOwn[w]!.commit(
              [{ Put: { TableName: tables.records, Item: record(orgId, w * perWriter + i) } }],
              draft(orgId),
              actor(`writer-${w}`),
            );
            if (!live) return;
            const times = completed.get(orgId) ?? [];
            times.push(performance.now());
            completed.set(orgId, times);
          };
        /** Audited writes, metered: the change's own share (a bare Put costs bareWcu) is not auditing. */
        const meteredRun = async (live: boolean): Promise<number> => {
          const [wcu, rcu] = [meter.wcu, meter.rcu];
          const seconds = await timedRun(auditedWrite(live));
          auditEventWcu += meter.wcu - wcu - bareWcu * perWriter * writers;
          auditEventRcu += meter.rcu - rcu;
          auditedEvents += perWriter * writers;
          return seconds;
        };
        let bareSeconds = 0;
        let txnSeconds = 0;
        let auditedSeconds = 0;
        let quietSeconds = 0;
        let catchUpMs = 0;
        let lagMs = 0;
        for (let round = 0; round < ROUNDS; round += 1) {
          loads.push(loadavg()[0]!);
          // The same change items, the same concurrency: only what rides with the change differs.
          bareSeconds += await cpuSpent('bare', perWriter * writers, () =>
            timedRun((orgId, w, i) =>
              client.send(
                new PutCommand({ TableName: tables.records, Item: record(orgId, w * perWriter + i) }),
              ),
            ),
          );
          // A transaction of two unrelated items, as many as the audited write's, and no audit.
          txnSeconds += await cpuSpent('txn', perWriter * writers, () =>
            timedRun((orgId, w, i) =>
              client.send(
                new TransactWriteCommand({
                  TransactItems: [
                    { Put: { TableName: tables.records, Item: record(orgId, w * perWriter + i) } },
                    {
                      Put: {
                        TableName: tables.records,
                        Item: { ...record(orgId, w * perWriter + i), sk: `NOTE#${newId()}` },
                      },
                    },
                  ],
                }),
              ),
            ),
          );
          auditedSeconds += await cpuSpent('audited', perWriter * writers, () => meteredRun(true));
          const lastWrite = performance.now();
          // The sequencer's tail after the last write is the audited writes' cost too.
          await cpuSpent('audited', 0, async () => (await poller.caughtUp(), 0));
          lagMs = Math.max(lagMs, performance.now() - lastWrite);
          // The same audited writes with the stream poller and the sequencer held: do they take
          // CPU the writers need? Then the time the sequencer takes to catch up.
          let release = (): void => {};
          held = new Promise((resolve) => (release = resolve));
          quietSeconds += await cpuSpent('audited_held', perWriter * writers, () => meteredRun(false));
          const released = performance.now();
          held = undefined;
          release();
          await cpuSpent('audited_held', 0, async () => (await poller.caughtUp(), 0));
          catchUpMs = Math.max(catchUpMs, performance.now() - released);
        }
        const rate = (seconds: number): number => (ROUNDS * perWriter * writers) / seconds;
        const bare = rate(bareSeconds);
        const audited = rate(auditedSeconds);
        loads.push(loadavg()[0]!);
        results[`audit_ratio_${writers}_writers`] = round(audited / bare);
        results[`bare_writes_per_s_${writers}_writers`] = round(bare);
        results[`audited_writes_per_s_${writers}_writers`] = round(audited);
        results[`txn_writes_per_s_${writers}_writers`] = round(rate(txnSeconds));
        results[`txn_ratio_${writers}_writers`] = round(rate(txnSeconds) / bare);
        results[`audited_quiet_writes_per_s_${writers}_writers`] = round(rate(quietSeconds));
        results[`audit_ratio_quiet_${writers}_writers`] = round(rate(quietSeconds) / bare);
        results[`sequencer_catch_up_ms_${writers}_writers`] = round(catchUpMs);
        results[`sequencer_lag_ms_${writers}_writers`] = round(lagMs);
      }
      // The quiet tail: the last checkpoint of each run comes from the delayed request, within the
      // interval; wait for it (a bounded wait: a missing one shows as a lag past the interval).
      const waitUntil = performance.now() + CHECKPOINT_MAX_AGE_SECONDS * 1000 + TAIL_GRACE_MS;
      const covered = () =>
        [...completed].every(([orgId, times]) => (signed.get(orgId)?.at(-1)?.headSeq ?? 0) >= times.length);
      while (!covered() && performance.now() < waitUntil) await new Promise((r) => setTimeout(r, 200));
      results.audit_wcu_per_event = round(
        (auditEventWcu + sequencerMeter.wcu - sequencerWcuBefore) / auditedEvents,
      );
      results.audit_rcu_per_event = round(
        (auditEventRcu + sequencerMeter.rcu - sequencerRcuBefore) / auditedEvents,
      );
      // A checkpoint covering head n covers the first n writes to complete (chain order follows
      // stream order, which follows completion closely): each write waited from its completion to
      // the first signature whose head reaches it; one never covered waited until now.
      const end = performance.now();
      let lag = 0;
      let signLag = 0;
      let sequenceLag = 0;
      let signatures = 0;
      let intervals = 0;
      for (const [orgId, times] of completed) {
        const list = signed.get(orgId) ?? [];
        const deliveries = sequencedAt.get(orgId) ?? [];
        let next = 0;
        let delivery = 0;
        times.forEach((done, k) => {
          while (next < list.length && list[next]!.headSeq < k + 1) next += 1;
          while (delivery < deliveries.length && deliveries[delivery]!.count < k + 1) delivery += 1;
          const signedAt = list[next]?.at ?? end;
          lag = Math.max(lag, signedAt - done);
          sequenceLag = Math.max(sequenceLag, (deliveries[delivery]?.at ?? end) - done);
          signLag = Math.max(signLag, signedAt - (deliveries[delivery]?.at ?? end));
        });
        signatures += list.length;
        intervals += Math.max(1, Math.ceil((times.at(-1)! - times[0]!) / CHECKPOINT_INTERVAL_MS));
      }
      results.audit_checkpoint_lag_ms = round(lag);
      results.audit_sequenced_to_signed_ms = round(signLag);
      results.audit_write_to_sequenced_ms = round(sequenceLag);
      results.audit_checkpoints_per_interval = round(signatures / intervals);
      // The KMS bound itself: the most signatures of one organization within any one interval, by
      // the time each was decided (the digest's createdAt, just before its KMS Sign).
      results.audit_max_signatures_per_interval = Math.max(
        0,
        ...[...signed.values()].map((list) =>
          Math.max(
            ...list.map(
              (s) =>
                list.filter(
                  (t) => t.createdAt >= s.createdAt && t.createdAt < s.createdAt + CHECKPOINT_INTERVAL_MS,
                ).length,
            ),
          ),
        ),
      );
      for (const [kind, { ms, writes }] of emulatorCpu)
        results[`emulator_cpu_ms_per_write.${kind}`] = round(ms / writes);
      loads.push(loadavg()[0]!);
      results.audit_bench_load_avg_min = round(Math.min(...loads));
      results.audit_bench_load_avg_max = round(Math.max(...loads));
      return results;
    } finally {
      await queuePoller.stop();
      sqs.destroy();
      await poller.stop();
      kms.destroy();
      dynamodb.destroy();
      streams.destroy();
      sequencerClient.destroy();
      destroy();
    }
  } finally {
    await emulators.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** CPU time a process has used, user and system, from Linux's /proc; undefined elsewhere. */
function processCpuMs(pid: number): number | undefined {
  try {
    // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th, in ticks.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** Linux's USER_HZ, the unit of /proc's CPU times (100 on every architecture Node runs on). */
const CLOCK_TICKS_PER_SECOND = 100;

function round(value: number): number {
  return Number(value.toFixed(2));
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  console.log(JSON.stringify(await runAuditBench(), null, 2));
}
