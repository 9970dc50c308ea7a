/**
 * Incident scope benchmark (measurements, not pass/fail), against DynamoDB Local started here: one
 * organization with 200k audit events spread over 200 days (1,000 a day), and the scope of the
 * day in the middle of it through the real use case and adapters (DynamoAuditLog.window on the
 * audit table's time index, DynamoJobs for the disclosed jobs).
 * - `incident_scope_ms`: the scope call, end to end (median of 3).
 * - `incident_scope_audit_items_read`: audit items DynamoDB evaluated for it (ScannedCount of
 *   every Query on the audit table, counted by an SDK middleware): the window's events, not the log's.
 * - `incident_scope_events_in_window`: events the window holds (what an ideal read reads).
 * - `incident_scope_actor_ms` / `incident_scope_actor_audit_items_read`: the same window scoped to
 *   one actor (a filter on the key range: it reads the window, answers the actor's events).
 * `npx tsx bench/incident-scope.bench.ts 20000` runs it on a smaller log (same 1,000 events a day).
 * Seeded events are stored items of the writer's shape written with BatchWrite (their hashes do not
 * chain: the scope reads events, it does not verify them). Run alone with
 * `npx tsx bench/incident-scope.bench.ts`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { startEmulators } from '../infra/local/emulators.ts';
import { provisionResources } from '../infra/local/provision.ts';
import { AuditedWriter } from '../shared/adapters/aws/audited-writer.ts';
import { auditEventSk } from '../shared/adapters/aws/audit-keys.ts';
import { DynamoAuditLog } from '../shared/adapters/aws/dynamo-audit-log.ts';
import { DynamoJobs } from '../shared/adapters/aws/dynamo-jobs.ts';
import { DynamoOrchestrations } from '../shared/adapters/aws/dynamo-orchestrations.ts';
import { DynamoOrganizations } from '../shared/adapters/aws/dynamo-organizations.ts';
import { DynamoPortability } from '../shared/adapters/aws/dynamo-portability.ts';
import { newId } from '../shared/domain/ids.ts';
import { systemClock } from '../shared/ports/clock.ts';
import { scopeIncident } from '../shared/use-cases/incident-scope.ts';
import { percentile } from './stats.ts';
import { Cursors, cursorScope } from '../shared/domain/cursor.ts';

const LOCAL = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
} as const;
/** Events a day: the window of one day holds this many whatever the size of the log. */
const EVENTS_PER_DAY = 1000;
const JOBS = 500;
const ACTORS = 10;
const SEED_BATCHES_IN_FLIGHT = 16;
const RUNS = 3;
const DAY_MS = 24 * 60 * 60 * 1000;

interface Meter {
  auditItemsRead: number;
}

/** A document client that adds up what every Query on `auditTable` evaluated. */
function meteredClient(
  endpoint: string,
  auditTable: string,
  meter: Meter,
): { client: DynamoDBDocumentClient; destroy: () => void } {
  const raw = new DynamoDBClient({ endpoint, ...LOCAL });
  raw.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      const input = args.input as { TableName?: string };
      if (context.commandName === 'QueryCommand' && input.TableName === auditTable)
        meter.auditItemsRead += (result.output as { ScannedCount?: number }).ScannedCount ?? 0;
      return result;
    },
    { step: 'initialize', name: 'auditReadMeter' },
  );
  return {
    client: DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } }),
    destroy: () => raw.destroy(),
  };
}

async function batchWrite(
  client: DynamoDBDocumentClient,
  table: string,
  items: readonly Record<string, unknown>[],
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const start = next;
      next += 25;
      let pending: { PutRequest: { Item: Record<string, unknown> } }[] | undefined = items
        .slice(start, start + 25)
        .map((Item) => ({ PutRequest: { Item } }));
      while (pending !== undefined && pending.length > 0) {
        const out = await client.send(new BatchWriteCommand({ RequestItems: { [table]: pending } }));
        pending = out.UnprocessedItems?.[table] as typeof pending | undefined;
      }
    }
  };
  await Promise.all(Array.from({ length: SEED_BATCHES_IN_FLIGHT }, worker));
}

export async function runIncidentScopeBench(logEvents = 200_000): Promise<Record<string, number>> {
  const days = Math.ceil(logEvents / EVENTS_PER_DAY);
  const dataDir = await mkdtemp(join(tmpdir(), 'custos-incident-bench-'));
  const emulators = await startEmulators({ dataDir });
  try {
    const { tables } = await provisionResources(emulators.endpoints);
    const meter: Meter = { auditItemsRead: 0 };
    const { client, destroy } = meteredClient(emulators.endpoints.dynamodb, tables.audit, meter);
    try {
      const writer = new AuditedWriter(client, tables.audit, systemClock);
      const orgs = new DynamoOrganizations(client, tables.records, writer);
      const audit = new DynamoAuditLog(client, tables.audit, writer);
      const orgId = newId();
      const ownerId = 'owner';
      const actor = {
        userId: ownerId,
        email: 'owner@example.test',
        sourceIp: '192.0.2.1',
        userAgent: 'bench',
        requestId: newId(),
      };
      const start = Date.now() - days * DAY_MS;
      const createdAt = new Date(start - DAY_MS).toISOString();
      await orgs.create(
        {
          orgId,
          name: 'Bench',
          status: 'active',
          createdAt,
          updatedAt: createdAt,
          createdBy: ownerId,
          wrappedKeys: [{ keyId: 'k1', ciphertext: 'AAAA' }],
          ownerCount: 1,
        },
        { orgId, userId: ownerId, email: actor.email, role: 'owner', addedAt: createdAt, addedBy: ownerId },
        {
          draft: { orgId, action: 'org.create', resource: { type: 'org', id: orgId }, outcome: 'success' },
          actor,
        },
      );
      // Jobs the events read, each of one of 100 subjects.
      const orchestrationId = newId();
      const jobIds = Array.from({ length: JOBS }, () => newId());
      await batchWrite(
        client,
        tables.records,
        jobIds.map((jobId, i) => ({
          pk: `ORG#${orgId}`,
          sk: `JOB#${jobId}`,
          kind: 'job',
          orgId,
          jobId,
          orchestrationId,
          ownerId,
          stage: 'new',
          fields: {},
          version: 1,
          createdAt,
          updatedAt: createdAt,
          subjectIndex: `subject-${i % 100}`,
        })),
      );
      // 200k events, evenly over 200 days, as the writers append them (the scope does not need
      // their place in the chain).
      const events = Array.from({ length: logEvents }, (_, i) => {
        const at = new Date(start + Math.floor((i * days * DAY_MS) / logEvents)).toISOString();
        const eventId = newId();
        return {
          pk: `ORG#${orgId}`,
          sk: auditEventSk(`${at}#${eventId}`),
          kind: 'event',
          eventId,
          orgId,
          at,
          actor: `user-${i % ACTORS}`,
          action: 'job.read',
          resource: { type: 'job', id: jobIds[i % JOBS]! },
          outcome: 'success',
          detail: { decryptedFields: 'email' },
          requestId: newId(),
          ip: `192.0.2.${i % ACTORS}`,
          userAgent: 'bench',
        };
      });
      const seedStarted = performance.now();
      await batchWrite(client, tables.audit, events);
      const seedSeconds = (performance.now() - seedStarted) / 1000;
      process.stderr.write(`seeded ${logEvents} events in ${seedSeconds.toFixed(0)} s\n`);

      const deps = {
        orgs,
        orchestrations: new DynamoOrchestrations(client, tables.records, writer),
        jobs: new DynamoJobs(client, tables.records, writer),
        portability: new DynamoPortability(client, tables.records, tables.audit, writer),
        audit,
        cursors: new Cursors('x'.repeat(32)),
      };
      const ctx = {
        principal: { userId: ownerId, email: actor.email },
        requestId: newId(),
        sourceIp: '192.0.2.1',
        userAgent: 'bench',
      };
      const dayStart = start + Math.floor(days / 2) * DAY_MS;
      const window = {
        from: new Date(dayStart).toISOString(),
        to: new Date(dayStart + DAY_MS - 1).toISOString(),
      };
      const inWindow = events.filter((e) => e.at >= window.from && e.at <= window.to).length;

      const measure = async (extra: {
        actor?: string;
      }): Promise<{ ms: number; read: number; events: number }> => {
        const times: number[] = [];
        let read = 0;
        let answered = 0;
        for (let run = 0; run < RUNS; run += 1) {
          meter.auditItemsRead = 0;
          const started = performance.now();
          const scope = await scopeIncident(deps, ctx, orgId, {
            ...window,
            ...extra,
            limit: 100,
            scope: cursorScope('bench'),
          });
          times.push(performance.now() - started);
          read = meter.auditItemsRead;
          answered = scope.events.count;
        }
        return { ms: percentile(times, 50), read, events: answered };
      };
      const all = await measure({});
      const one = await measure({ actor: 'user-3' });
      return {
        incident_scope_log_events: logEvents + 1,
        incident_scope_events_in_window: inWindow,
        incident_scope_ms: round(all.ms),
        incident_scope_audit_items_read: all.read,
        incident_scope_events_answered: all.events,
        incident_scope_actor_ms: round(one.ms),
        incident_scope_actor_audit_items_read: one.read,
        incident_scope_actor_events_answered: one.events,
        incident_scope_seed_s: round(seedSeconds),
      };
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
  const logEvents = process.argv[2] === undefined ? undefined : Number(process.argv[2]);
  console.log(JSON.stringify(await runIncidentScopeBench(logEvents), null, 2));
}
