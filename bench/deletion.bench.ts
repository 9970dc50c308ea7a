/**
 * Organization erasure benchmark (measurements, not pass/fail), against DynamoDB Local, fauxqs and
 * the local KMS it starts itself (infra/local/emulators.ts + provision.ts): one organization of
 * `records` job items (plus members, audit events and files) is queued for deletion and erased by
 * one run of the clean-up cycle over the real adapters.
 * - `delete_items_s`: records-table items erased per second of the cycle run.
 * - `delete_requests_per_item`: DynamoDB requests sent during the run (an SDK middleware counts
 *   each one, retries included) per item; the goal is ≈ 1/25 (BatchWriteItem) plus the reads and
 *   checkpoints (one Query page and one UpdateItem per ≤ 1000 items).
 * - `delete_peak_mb`: peak resident memory of this process during the run (sampled every 20 ms).
 * Run alone with `npx tsx bench/deletion.bench.ts [records]`.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { startEmulators } from '../infra/local/emulators.ts';
import { QUEUES } from '../infra/resources.ts';
import { BENCH_OWNER, benchActor, createBenchOrg } from './bench-org.ts';
import { countedDynamoDb, LOCAL, measurePass } from './counted-dynamodb.ts';
import { provisionResources } from '../infra/local/provision.ts';
import { AuditedWriter } from '../shared/adapters/aws/audited-writer.ts';
import { DynamoAuditLog } from '../shared/adapters/aws/dynamo-audit-log.ts';
import { DynamoExpiredItems } from '../shared/adapters/aws/dynamo-expired-items.ts';
import { DynamoJobs } from '../shared/adapters/aws/dynamo-jobs.ts';
import { DynamoShares } from '../shared/adapters/aws/dynamo-shares.ts';
import { SqsNoticeQueue } from '../shared/adapters/aws/sqs-notice-queue.ts';
import { DynamoOrchestrations } from '../shared/adapters/aws/dynamo-orchestrations.ts';
import { DynamoOrganizations } from '../shared/adapters/aws/dynamo-organizations.ts';
import { DynamoSubjectRequests } from '../shared/adapters/aws/dynamo-subject-requests.ts';
import { DynamoTenantSweeper } from '../shared/adapters/aws/dynamo-tenant-sweeper.ts';
import { S3Files } from '../shared/adapters/aws/s3-files.ts';
import { SqsDeletionQueue } from '../shared/adapters/aws/sqs-deletion-queue.ts';
import { newId } from '../shared/domain/ids.ts';
import { systemClock } from '../shared/ports/clock.ts';
import { runCleanupCycle } from '../shared/use-cases/cleanup-cycle.ts';

const SEED_BATCHES_IN_FLIGHT = 16;
const AUDIT_EVENTS = 20;
const FILES = 10;

async function seed(
  documents: DynamoDBDocumentClient,
  table: string,
  orgId: string,
  records: number,
): Promise<void> {
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
              pk: `ORG#${orgId}`,
              sk: `JOB#${jobId}`,
              kind: 'job',
              gsi2pk: `ORG#${orgId}#SUBJ#${jobId}`,
              gsi2sk: `JOB#${jobId}`,
              fields: { title: 'x'.repeat(120), amount: start + i },
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
}

export async function runDeletionBench(records: number): Promise<Record<string, number>> {
  // The deletion queue adapter reads its consumer lease from the environment, as the cleanup function does.
  process.env[QUEUES.deletion.leaseEnvVar] ??= String(QUEUES.deletion.leaseSeconds);
  const dataDir = await mkdtemp(join(tmpdir(), 'custos-deletion-bench-'));
  // In memory: the figures are about the cycle, not DynamoDB Local's disk.
  const emulators = await startEmulators({ dataDir, dynamoInMemory: true });
  try {
    const resources = await provisionResources(emulators.endpoints);
    const { dynamo, documents, requests } = countedDynamoDb(emulators.endpoints.dynamodb);
    const s3 = new S3Client({ ...LOCAL, endpoint: emulators.endpoints.s3, forcePathStyle: true });
    const sqs = new SQSClient({ ...LOCAL, endpoint: emulators.endpoints.sqs });
    const { records: recordsTable, audit: auditTable } = resources.tables;
    const writer = new AuditedWriter(documents, auditTable, systemClock);
    const orgs = new DynamoOrganizations(documents, recordsTable, writer);

    // Prepare: an organization with `records` jobs, audit events and files, queued for deletion.
    const orgId = newId();
    const ownerId = BENCH_OWNER;
    const now = new Date().toISOString();
    const actor = benchActor;
    await createBenchOrg(orgs, orgId, now);
    await seed(documents, recordsTable, orgId, records);
    for (let i = 0; i < AUDIT_EVENTS; i += 1)
      await writer.append(
        { orgId, action: 'bench.event', resource: { type: 'org', id: orgId }, outcome: 'success' },
        actor,
      );
    for (let i = 0; i < FILES; i += 1)
      await s3.send(
        new PutObjectCommand({
          Bucket: resources.buckets.files,
          Key: `orgs/${orgId}/exports/${i}.csv`,
          Body: 'x',
        }),
      );
    await orgs.requestDeletion(orgId, ownerId, now, {
      draft: { orgId, action: 'org.delete', resource: { type: 'org', id: orgId }, outcome: 'success' },
      actor,
    });
    const queue = new SqsDeletionQueue(sqs, resources.queues.deletion.url);
    await queue.send({ kind: 'org', orgId, requestedBy: ownerId, requestedAt: now });

    // Act: one cycle, measured.
    const deps = {
      queue,
      sweeper: new DynamoTenantSweeper(documents, recordsTable, auditTable),
      files: new S3Files(s3, resources.buckets.files),
      audit: new DynamoAuditLog(documents, auditTable, writer),
      expired: new DynamoExpiredItems(documents, recordsTable),
      clock: systemClock,
      orchestrations: new DynamoOrchestrations(documents, recordsTable, writer),
      jobs: new DynamoJobs(documents, recordsTable, writer),
      shares: new DynamoShares(documents, recordsTable, writer),
      notices: new SqsNoticeQueue(sqs, resources.queues.notices.url),
      orgs,
      // The cycle's reminder pass reads the (empty) due index: its one Query counts like in production.
      reminders: {
        requests: new DynamoSubjectRequests(documents, recordsTable, writer),
        orgs,
        mailer: {
          send: () => Promise.reject(new Error('The bench holds no data subject requests to remind of')),
        },
        clock: systemClock,
      },
    };
    const { result: report, cost } = await measurePass(requests, () =>
      runCleanupCycle(deps, {
        cycleId: 'bench',
        deadline: Date.now() + 3_600_000,
        hardDeadline: Date.now() + 3_600_000,
      }),
    );

    const erased = report.organizations.find((o) => o.done);
    if (erased === undefined) throw new Error('The organization was not erased in one run');
    const items = Object.entries(erased.counts)
      .filter(([kind]) => kind !== 'files' && kind !== 'audit')
      .reduce((sum, [, n]) => sum + n, 0);
    dynamo.destroy();
    s3.destroy();
    sqs.destroy();
    return {
      delete_items_s: Math.round(items / cost.seconds),
      delete_requests_per_item: Number((cost.requests / items).toFixed(4)),
      delete_peak_mb: cost.peakMb,
    };
  } finally {
    await emulators.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  console.log(JSON.stringify(await runDeletionBench(Number(process.argv[2] ?? 10_000)), null, 2));
}
