/**
 * Retention benchmark (measurements, not pass/fail), against DynamoDB Local and the local KMS it
 * starts itself (infra/local/emulators.ts + provision.ts): one orchestration with a rule
 * `{days: 30, from: created, action: delete}` and `records` jobs created 31 days ago, applied by
 * the clean-up cycle's retention pass over the real adapters (one audit event per job).
 * - `retention_items_s`: jobs erased per second of the pass.
 * - `retention_requests_per_item`: DynamoDB requests sent during the pass (an SDK middleware counts
 *   each one, retries included) per job; the goal is ≤ 0.06: one TransactWriteItems per 40 jobs
 *   (jobs, their events, the chain head, the job count) plus one index Query page per 200.
 * - `retention_peak_mb`: peak resident memory of this process during the pass (sampled every 20 ms).
 * Run alone with `npx tsx bench/retention.bench.ts [records]`.
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BatchWriteCommand, DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { startEmulators } from '../infra/local/emulators.ts';
import { BENCH_OWNER, benchActor, createBenchOrg } from './bench-org.ts';
import { countedDynamoDb, LOCAL, measurePass } from './counted-dynamodb.ts';
import { provisionResources } from '../infra/local/provision.ts';
import { AuditedWriter } from '../shared/adapters/aws/audited-writer.ts';
import { DynamoJobs } from '../shared/adapters/aws/dynamo-jobs.ts';
import { DynamoShares } from '../shared/adapters/aws/dynamo-shares.ts';
import { SqsNoticeQueue } from '../shared/adapters/aws/sqs-notice-queue.ts';
import { DynamoOrchestrations } from '../shared/adapters/aws/dynamo-orchestrations.ts';
import { DynamoOrganizations } from '../shared/adapters/aws/dynamo-organizations.ts';
import {
  orchestrationGsiPk,
  orchestrationSk,
  orgPk,
  retentionGsiSk,
} from '../shared/adapters/aws/records-keys.ts';
import { newId } from '../shared/domain/ids.ts';
import { systemClock } from '../shared/ports/clock.ts';
import { applyRetention } from '../shared/use-cases/retention.ts';

const SEED_BATCHES_IN_FLIGHT = 16;
const DAY_MS = 24 * 60 * 60 * 1000;

/** Jobs as the jobs adapter writes them (keys of the orchestration and retention indexes included). */
async function seed(
  documents: DynamoDBDocumentClient,
  table: string,
  orgId: string,
  orchestrationId: string,
  records: number,
): Promise<void> {
  const createdAt = new Date(Date.now() - 31 * DAY_MS).toISOString();
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const start = next;
      next += 25;
      if (start >= records) return;
      const items = Array.from({ length: Math.min(25, records - start) }, (_, i) => {
        const jobId = `${String(start + i).padStart(8, '0')}-${randomUUID()}`;
        return {
          PutRequest: {
            Item: {
              pk: orgPk(orgId),
              sk: `JOB#${jobId}`,
              kind: 'job',
              gsi3pk: orchestrationGsiPk(orgId, orchestrationId),
              gsi3sk: `JOB#${jobId}`,
              gsi4pk: orchestrationGsiPk(orgId, orchestrationId),
              gsi4sk: retentionGsiSk(createdAt, jobId),
              orgId,
              jobId,
              orchestrationId,
              ownerId: 'bench-owner',
              stage: 'new',
              fields: { title: 'x'.repeat(120), amount: start + i },
              version: 1,
              createdAt,
              updatedAt: createdAt,
              stageEnteredAt: createdAt,
            },
          },
        };
      });
      let pending: typeof items | undefined = items;
      while (pending !== undefined && pending.length > 0) {
        const out = await documents.send(new BatchWriteCommand({ RequestItems: { [table]: pending } }));
        pending = out.UnprocessedItems?.[table] as typeof items | undefined;
      }
    }
  };
  await Promise.all(Array.from({ length: SEED_BATCHES_IN_FLIGHT }, worker));
  await documents.send(
    new UpdateCommand({
      TableName: table,
      Key: { pk: orgPk(orgId), sk: orchestrationSk(orchestrationId) },
      UpdateExpression: 'SET jobCount = :n',
      ExpressionAttributeValues: { ':n': records },
    }),
  );
}

export async function runRetentionBench(records: number): Promise<Record<string, number>> {
  const dataDir = await mkdtemp(join(tmpdir(), 'custos-retention-bench-'));
  // In memory: the figures are about the pass, not DynamoDB Local's disk.
  const emulators = await startEmulators({ dataDir, dynamoInMemory: true });
  try {
    const resources = await provisionResources(emulators.endpoints);
    const { dynamo, documents, requests } = countedDynamoDb(emulators.endpoints.dynamodb);
    const { records: recordsTable, audit: auditTable } = resources.tables;
    const writer = new AuditedWriter(documents, auditTable, systemClock);
    const orchestrations = new DynamoOrchestrations(documents, recordsTable, writer);

    // Prepare: an organization with one orchestration under a rule and `records` due jobs.
    const orgId = newId();
    const orchestrationId = newId();
    const ownerId = BENCH_OWNER;
    const now = new Date().toISOString();
    const actor = benchActor;
    await createBenchOrg(new DynamoOrganizations(documents, recordsTable, writer), orgId, now);
    await orchestrations.create(
      {
        orgId,
        orchestrationId,
        name: 'Bench',
        stages: ['new', 'done'],
        fields: [
          { id: 'title', label: 'Title', type: 'text', personal: false, encrypted: false, subject: false },
          {
            id: 'amount',
            label: 'Amount',
            type: 'number',
            personal: false,
            encrypted: false,
            subject: false,
          },
        ],
        retention: { days: 30, from: 'created', action: 'delete' },
        createdAt: now,
        updatedAt: now,
        createdBy: ownerId,
      },
      {
        draft: {
          orgId,
          action: 'orchestration.create',
          resource: { type: 'orchestration', id: orchestrationId },
          outcome: 'success',
        },
        actor,
      },
    );
    await seed(documents, recordsTable, orgId, orchestrationId, records);

    // Act: one retention pass, measured.
    // Art. 19: each erased batch reads its jobs' share records (none here), so the figures include that cost.
    const sqs = new SQSClient({ ...LOCAL, endpoint: emulators.endpoints.sqs });
    const deps = {
      orchestrations,
      jobs: new DynamoJobs(documents, recordsTable, writer),
      clock: systemClock,
      shares: new DynamoShares(documents, recordsTable, writer),
      notices: new SqsNoticeQueue(sqs, resources.queues.notices.url),
      orgs: new DynamoOrganizations(documents, recordsTable, writer),
    };
    const { result: report, cost } = await measurePass(requests, () =>
      applyRetention(deps, { cycleId: 'bench' }, { remaining: () => true }),
    );

    if (!report.complete || report.deleted !== records)
      throw new Error(`The pass erased ${report.deleted} of ${records} jobs`);
    dynamo.destroy();
    return {
      retention_items_s: Math.round(records / cost.seconds),
      retention_requests_per_item: Number((cost.requests / records).toFixed(4)),
      retention_peak_mb: cost.peakMb,
    };
  } finally {
    await emulators.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  console.log(JSON.stringify(await runRetentionBench(Number(process.argv[2] ?? 10_000)), null, 2));
}
