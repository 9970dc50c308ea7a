/**
 * Faults injected into the real SDK clients (test/support/fault-injection.ts) while the real
 * handlers and workers run against the emulators:
 *   - the API answers a throttled or timed-out DynamoDB call with 429/503 and Retry-After, never a
 *     500, and leaves no partial write (the organization's partitions, read raw, are unchanged; a
 *     timeout whose request did land leaves the change and its audit event together);
 *   - one throttled attempt inside the SDK's own retries is absorbed (the caller sees success);
 *   - the clean-up cycle retries UnprocessedItems with backoff and finishes in the same run, and
 *     after a throttle that stops a run the next run resumes and finishes the erasure;
 *   - the portability worker reports a throttled export as a batch item failure, the redelivered
 *     message finishes it, and delivering the same message again changes nothing.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import type { SQSBatchResponse } from 'aws-lambda';
import { FunctionRuntime } from '../../infra/local/invoke.ts';
import { sqsEvent } from '../../infra/local/lambda-events.ts';
import { functionNamed } from '../../infra/manifest.ts';
import { AuditedWriter } from '../../shared/adapters/aws/audited-writer.ts';
import { dynamoDocumentClient } from '../../shared/adapters/aws/clients.ts';
import { DynamoAuditLog } from '../../shared/adapters/aws/dynamo-audit-log.ts';
import { DynamoOrganizations } from '../../shared/adapters/aws/dynamo-organizations.ts';
import { DynamoTenantSweeper } from '../../shared/adapters/aws/dynamo-tenant-sweeper.ts';
import { S3Files } from '../../shared/adapters/aws/s3-files.ts';
import { jobRoutes } from '../../shared/api/routes/jobs.ts';
import { orgRoutes } from '../../shared/api/routes/orgs.ts';
import { portabilityRoutes } from '../../shared/api/routes/portability.ts';
import type { DeletionQueue } from '../../shared/ports/deletion-queue.ts';
import type { TenantSweeper } from '../../shared/ports/tenant-sweeper.ts';
import {
  runCleanupCycle,
  type CleanupDeps,
  type CleanupReport,
} from '../../shared/use-cases/cleanup-cycle.ts';
import { createJob, createOrchestration, createOrg } from '../integration/api/fixtures.ts';
import { callRoute, newUser, type TestUser } from '../integration/api/invoke-route.ts';
import {
  injectFault,
  type FaultKind,
  type InstalledFault,
  type MiddlewareHost,
} from '../support/fault-injection.ts';
import { testEnv } from '../support/test-stack.ts';
import { attribute, changes, partitionState } from './partition-state.ts';
import { NO_REMINDERS, NO_RETENTION } from '../support/no-retention.ts';

const shared = (): MiddlewareHost => dynamoDocumentClient() as unknown as MiddlewareHost;

let owner: TestUser;
let orgId: string;
let orchestrationId: string;
let jobId: string;
const installed: InstalledFault[] = [];

function inject(client: MiddlewareHost, spec: Parameters<typeof injectFault>[1]): InstalledFault {
  const fault = injectFault(client, spec);
  installed.push(fault);
  return fault;
}

afterEach(() => {
  for (const fault of installed.splice(0)) fault.remove();
});

beforeAll(async () => {
  owner = newUser('faults-owner');
  orgId = await createOrg(owner, 'Faults org');
  orchestrationId = await createOrchestration(orgId, owner);
  jobId = await createJob(orgId, orchestrationId, owner, { title: 'Steady' });
});

describe('the API under DynamoDB faults', () => {
  const WRITES: readonly [string, () => ReturnType<typeof callRoute>][] = [
    [
      'create job',
      () =>
        callRoute({
          route: jobRoutes.createJob,
          as: owner,
          params: { orgId, orchestrationId },
          body: { fields: { title: 'Under fault' } },
        }),
    ],
    [
      'update job',
      () =>
        callRoute({
          route: jobRoutes.updateJob,
          as: owner,
          params: { orgId, jobId },
          body: { fields: { title: 'Changed under fault' } },
        }),
    ],
    [
      'rename org',
      () =>
        callRoute({
          route: orgRoutes.updateOrg,
          as: owner,
          params: { orgId },
          body: { name: `Renamed ${randomUUID()}` },
        }),
    ],
  ];
  const KINDS: readonly [FaultKind, number][] = [
    ['throughput', 429],
    ['throttling', 429],
    ['timeout', 503],
  ];
  const CASES = WRITES.flatMap(([name, call]) =>
    KINDS.map(([kind, status]) => [name, kind, status, call] as const),
  );

  test.each(CASES)(
    '%s: %s on TransactWriteItems → %i with Retry-After, nothing written',
    async (_name, kind, status, call) => {
      const before = await partitionState(orgId);
      const fault = inject(shared(), { command: 'TransactWriteItems', nth: 1, kind });
      const answer = await call();
      expect(fault.fired).toBe(1);
      expect(answer.status).toBe(status);
      expect(answer.headers['content-type']).toBe('application/problem+json');
      expect(Number(answer.headers['retry-after'])).toBeGreaterThan(0);
      const after = await partitionState(orgId);
      expect(changes(before.records, after.records)).toEqual({ added: [], removed: [], changed: [] });
      expect(changes(before.audit, after.audit)).toEqual({ added: [], removed: [], changed: [] });
    },
  );

  const READS: readonly [string, string, () => ReturnType<typeof callRoute>][] = [
    // A job read is one BatchGetItem of what its decision needs (issue 18).
    [
      'get job',
      'BatchGetItem',
      () => callRoute({ route: jobRoutes.getJob, as: owner, params: { orgId, jobId } }),
    ],
    [
      'list jobs',
      'Query',
      () => callRoute({ route: jobRoutes.listJobs, as: owner, params: { orgId, orchestrationId } }),
    ],
  ];

  test.each(READS)('%s: throughput exceeded on %s → 429 with Retry-After', async (_name, command, call) => {
    const fault = inject(shared(), { command, nth: 1, kind: 'throughput' });
    const answer = await call();
    expect(fault.fired).toBe(1);
    expect(answer.status).toBe(429);
    expect(Number(answer.headers['retry-after'])).toBeGreaterThan(0);
  });

  test('a timeout after the write landed answers 503 and leaves the job and its audit event together', async () => {
    const before = await partitionState(orgId);
    inject(shared(), { command: 'TransactWriteItems', nth: 1, kind: 'timeout', timeoutWhen: 'after' });
    const answer = await callRoute({
      route: jobRoutes.createJob,
      as: owner,
      params: { orgId, orchestrationId },
      body: { fields: { title: 'Landed' } },
    });
    expect(answer.status).toBe(503);
    const after = await partitionState(orgId);
    const records = changes(before.records, after.records);
    const audit = changes(before.audit, after.audit);
    expect(records.added).toHaveLength(1);
    expect(records.added[0]).toMatch(/^JOB#/);
    expect(audit.added).toHaveLength(1);
    expect(attribute(after.audit.get(audit.added[0]!), 'action')).toBe('job.create');
    // The transaction appends the event and touches nothing else of the log: its place in the
    // chain (and the head) is the sequencer's, later (docs/decisions/0011).
    expect(audit.changed).toEqual([]);
  });

  test('one throttled attempt inside the SDK retries is absorbed: the caller sees 201', async () => {
    const fault = inject(shared(), {
      command: 'TransactWriteItems',
      nth: 1,
      kind: 'throughput',
      mode: 'attempt',
    });
    const answer = await callRoute({
      route: jobRoutes.createJob,
      as: owner,
      params: { orgId, orchestrationId },
      body: { fields: { title: 'Retried' } },
    });
    expect(fault.fired).toBe(1);
    expect(fault.calls).toBeGreaterThanOrEqual(2);
    expect(answer.status).toBe(201);
  });
});

test('a read whose audit PutItem landed but timed out is retried by the SDK and answered, with its one event', async () => {
  // Prepare: a job whose read decrypts a personal field, so the read appends its event. The first
  // attempt of that PutItem writes the event, then times out; the SDK sends the same PutItem again.
  const readJobId = await createJob(orgId, orchestrationId, owner, {
    title: 'Read under fault',
    email: 'subject@example.test',
  });
  const before = await partitionState(orgId);
  const fault = inject(shared(), {
    command: 'PutItem',
    nth: 1,
    kind: 'timeout',
    timeoutWhen: 'after',
    mode: 'attempt',
  });
  // Act
  const answer = await callRoute({ route: jobRoutes.getJob, as: owner, params: { orgId, jobId: readJobId } });
  // Assess: the retry finds this very event (not a collision): success, one event, nothing else.
  expect(fault.fired).toBe(1);
  expect(fault.calls).toBeGreaterThanOrEqual(2);
  expect(answer.status).toBe(200);
  const after = await partitionState(orgId);
  const audit = changes(before.audit, after.audit);
  expect(audit.added).toHaveLength(1);
  expect(attribute(after.audit.get(audit.added[0]!), 'action')).toBe('job.read');
});

describe('the clean-up cycle under DynamoDB faults', () => {
  /**
   * The shared deletion queue belongs to every test file; this cycle finds its organization
   * through the deletion marker instead (the path a lost message takes), so its queue is empty.
   */
  const noMessages: DeletionQueue = {
    send: async () => undefined,
    receive: async () => [],
    acknowledge: async () => undefined,
    releaseHeld: () => undefined,
  };

  /** Real adapters over a client of this test; the cycle sees only `target` among pending deletions. */
  function cycle(target: string): { client: MiddlewareHost; run(): Promise<CleanupReport> } {
    const dynamo = new DynamoDBClient({});
    const documents = DynamoDBDocumentClient.from(dynamo, {
      marshallOptions: { removeUndefinedValues: true },
    });
    const real = new DynamoTenantSweeper(documents, testEnv('RECORDS_TABLE'), testEnv('AUDIT_TABLE'));
    const sweeper: TenantSweeper = Object.assign(Object.create(real) as DynamoTenantSweeper, {
      pending: async () => (await real.pending()).filter((p) => p.kind === 'org' && p.orgId === target),
    });
    const clock = { now: () => new Date() };
    const deps: CleanupDeps = {
      queue: noMessages,
      sweeper,
      files: new S3Files(new S3Client({ forcePathStyle: true }), testEnv('FILES_BUCKET')),
      audit: new DynamoAuditLog(
        documents,
        testEnv('AUDIT_TABLE'),
        new AuditedWriter(documents, testEnv('AUDIT_TABLE'), clock),
      ),
      // Expired exports and links belong to every test file; not this cycle's business.
      expired: { scanExpired: async () => ({ complete: true }), deleteExpired: async () => undefined },
      clock,
      ...NO_RETENTION,
      ...NO_REMINDERS,
    };
    return {
      client: dynamo as unknown as MiddlewareHost,
      run: () => {
        const now = Date.now();
        return runCleanupCycle(deps, {
          cycleId: randomUUID(),
          deadline: now + 60_000,
          hardDeadline: now + 90_000,
        });
      },
    };
  }

  /** An organization with 30 jobs (two batches of deletes per table) whose deletion is requested (status and marker, no queue message). */
  async function doomedOrg(): Promise<string> {
    const doomedOwner = newUser('doomed-owner');
    const id = await createOrg(doomedOwner, 'Doomed org');
    const orchestration = await createOrchestration(id, doomedOwner);
    for (let i = 0; i < 30; i += 10)
      await Promise.all(
        Array.from({ length: 10 }, (_, j) =>
          createJob(id, orchestration, doomedOwner, { title: `Job ${i + j}` }),
        ),
      );
    const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}), {
      marshallOptions: { removeUndefinedValues: true },
    });
    const orgs = new DynamoOrganizations(
      documents,
      testEnv('RECORDS_TABLE'),
      new AuditedWriter(documents, testEnv('AUDIT_TABLE'), { now: () => new Date() }),
    );
    const actor = {
      userId: doomedOwner.sub,
      email: doomedOwner.email,
      sourceIp: '192.0.2.1',
      userAgent: 'security-tests',
      requestId: randomUUID(),
    };
    await orgs.requestDeletion(id, doomedOwner.sub, new Date().toISOString(), {
      draft: { orgId: id, action: 'org.delete', resource: { type: 'org', id }, outcome: 'success' },
      actor,
    });
    return id;
  }

  async function expectErased(id: string): Promise<void> {
    const state = await partitionState(id);
    expect([...state.records.keys()].filter((sk) => /^(JOB|ORCH|MEMBER|ROLE)#/.test(sk))).toEqual([]);
    expect([...state.audit.keys()].filter((sk) => sk.startsWith('EVT#'))).toEqual([]);
  }

  test('UnprocessedItems on three BatchWriteItem calls are retried with backoff; the run finishes the erasure', async () => {
    const id = await doomedOrg();
    const { client, run } = cycle(id);
    const fault = inject(client, { command: 'BatchWriteItem', nth: 1, times: 3, kind: 'unprocessed' });
    const report = await run();
    expect(fault.fired).toBe(3);
    expect(report.organizations).toEqual([expect.objectContaining({ done: true })]);
    await expectErased(id);
  }, 60_000);

  test('a throttle that outlasts the SDK retries stops the run; the next run resumes and finishes', async () => {
    const id = await doomedOrg();
    const first = cycle(id);
    const fault = inject(first.client, { command: 'BatchWriteItem', nth: 2, kind: 'throughput' });
    const stopped = await first.run().then(
      (report) => report.organizations.every((o) => !o.done),
      () => true,
    );
    expect(fault.fired).toBe(1);
    expect(stopped).toBe(true);
    const partial = await partitionState(id);
    expect([...partial.records.keys()].some((sk) => sk.startsWith('JOB#'))).toBe(true);

    const second = cycle(id);
    const report = await second.run();
    expect(report.organizations).toEqual([expect.objectContaining({ done: true })]);
    await expectErased(id);
  }, 60_000);
});

describe('the portability worker under DynamoDB faults', () => {
  test('a throttled export is a batch item failure; the redelivery finishes it; a duplicate delivery changes nothing', async () => {
    const created = await callRoute({
      route: portabilityRoutes.createExport,
      as: owner,
      params: { orgId },
      body: { format: 'csv' },
    });
    expect(created.status).toBe(202);
    const exportId = created.body.exportId as string;
    const runtime = new FunctionRuntime();
    const worker = functionNamed('portability-worker');
    const message = {
      MessageId: randomUUID(),
      ReceiptHandle: 'r',
      Body: JSON.stringify({ kind: 'export', orgId, exportId }),
    };
    const deliver = async (): Promise<SQSBatchResponse> =>
      (await runtime.invoke(
        worker,
        sqsEvent('arn:aws:sqs:us-east-1:000000000000:custos-work', [message]),
      )) as SQSBatchResponse;
    const status = async (): Promise<string | undefined> =>
      attribute((await partitionState(orgId)).records.get(`EXPORT#${exportId}`), 'status');

    const fault = inject(shared(), { command: 'Query', nth: 1, times: 20, kind: 'throughput' });
    const failed = await deliver();
    expect(fault.fired).toBeGreaterThan(0);
    expect({
      failure: attribute((await partitionState(orgId)).records.get(`EXPORT#${exportId}`), 'failure'),
      batchItemFailures: failed.batchItemFailures,
    }).toEqual({
      failure: expect.stringContaining('retried'),
      batchItemFailures: [{ itemIdentifier: message.MessageId }],
    });
    expect(await status()).not.toBe('ready');
    fault.remove();

    expect((await deliver()).batchItemFailures).toEqual([]);
    expect(await status()).toBe('ready');
    const settled = await partitionState(orgId);

    expect((await deliver()).batchItemFailures).toEqual([]);
    const again = await partitionState(orgId);
    expect(changes(settled.records, again.records)).toEqual({ added: [], removed: [], changed: [] });
    expect(changes(settled.audit, again.audit)).toEqual({ added: [], removed: [], changed: [] });
  }, 60_000);
});
