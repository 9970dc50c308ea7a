/**
 * Retention rules and legal holds against the emulators: rules set and changed through the real
 * handlers, the cycle's retention pass run with the real adapters and a clock moved past the
 * rule, and what is left read from the tables as stored.
 *
 * The pass is scoped to this file's organization: the tables are shared with every other test
 * file, whose orchestrations (and clocks) are not this file's business. Only the list of
 * retention targets is filtered; everything else is the adapters as deployed.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { AuditedWriter } from '../../shared/adapters/aws/audited-writer.ts';
import { DynamoJobs } from '../../shared/adapters/aws/dynamo-jobs.ts';
import { DynamoShares } from '../../shared/adapters/aws/dynamo-shares.ts';
import { SqsNoticeQueue } from '../../shared/adapters/aws/sqs-notice-queue.ts';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoOrganizations } from '../../shared/adapters/aws/dynamo-organizations.ts';
import { DynamoOrchestrations } from '../../shared/adapters/aws/dynamo-orchestrations.ts';
import { jobRoutes } from '../../shared/api/routes/jobs.ts';
import { orchestrationRoutes } from '../../shared/api/routes/orchestrations.ts';
import { subjectRoutes } from '../../shared/api/routes/subjects.ts';
import { advanceDomainClock, domainClock, type Clock } from '../../shared/ports/clock.ts';
import type { RetentionTarget } from '../../shared/ports/orchestrations.ts';
import {
  applyRetention,
  type RetentionDeps,
  type RetentionReport,
} from '../../shared/use-cases/retention.ts';
import { injectFault, type FaultSpec, type MiddlewareHost } from '../support/fault-injection.ts';
import { testEnv } from '../support/test-stack.ts';
import { createJob, createOrchestration, createOrg } from './api/fixtures.ts';
import { callRoute, newUser } from './api/invoke-route.ts';
import { auditEvents, storedRecords } from './api/stored.ts';

const DAY_S = 24 * 60 * 60;
const owner = newUser('owner');
let orgId: string;

/** The cycle's retention pass, scoped to `orgIds`, with a clock `days` ahead of the service's and an optional fault. */
function retentionPass(days: number, options: { fault?: FaultSpec; orgIds?: readonly string[] } = {}) {
  const dynamo = new DynamoDBClient({});
  const fault =
    options.fault === undefined ? undefined : injectFault(dynamo as unknown as MiddlewareHost, options.fault);
  const documents = DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } });
  const clock: Clock = { now: () => new Date(domainClock.now().getTime() + days * DAY_S * 1000) };
  const writer = new AuditedWriter(documents, testEnv('AUDIT_TABLE'), clock);
  const table = testEnv('RECORDS_TABLE');
  const orchestrations = new DynamoOrchestrations(documents, table, writer);
  const scope = new Set(options.orgIds ?? [orgId]);
  const deps: RetentionDeps = {
    orchestrations: {
      get: (org, id) => orchestrations.get(org, id),
      withRetention: async function* (): AsyncIterable<RetentionTarget> {
        for await (const target of orchestrations.withRetention()) if (scope.has(target.orgId)) yield target;
      },
    },
    jobs: new DynamoJobs(documents, table, writer),
    clock,
    // Real records and queue: these jobs were never shared, so no notice is sent.
    shares: new DynamoShares(documents, table, writer),
    notices: new SqsNoticeQueue(new SQSClient({}), testEnv('NOTICE_QUEUE_URL')),
    orgs: new DynamoOrganizations(documents, table, writer),
  };
  return {
    fault,
    run: (): Promise<RetentionReport> =>
      applyRetention(deps, { cycleId: `retention-test-${Date.now()}` }, { remaining: () => true }),
  };
}

const RULE_DELETE = { days: 30, from: 'created', action: 'delete' } as const;
const RULE_ANONYMIZE = { days: 30, from: 'created', action: 'anonymize' } as const;

async function jobsOf(org: string, orchestrationId: string): Promise<Record<string, unknown>[]> {
  return (await storedRecords(org, 'JOB#')).filter((item) => item.orchestrationId === orchestrationId);
}

async function hold(org: string, jobId: string, reason = 'Litigation pending'): Promise<void> {
  const answer = await callRoute({
    route: jobRoutes.placeHold,
    as: owner,
    params: { orgId: org, jobId },
    body: { reason },
  });
  expect(answer.status).toBe(200);
}

const preview = async (org: string, orchestrationId: string): Promise<unknown> =>
  (
    await callRoute({
      route: orchestrationRoutes.previewRetention,
      as: owner,
      params: { orgId: org, orchestrationId },
    })
  ).body;

beforeAll(async () => {
  orgId = await createOrg(owner, 'Retention');
});

describe('retention rules', () => {
  test('a rule is validated, shown on the orchestration, and its change is audited with its values', async () => {
    // Prepare
    const orchestrationId = await createOrchestration(orgId, owner);
    // Act
    const invalid = await callRoute({
      route: orchestrationRoutes.updateOrchestration,
      as: owner,
      params: { orgId, orchestrationId },
      body: { retention: { days: 0, from: 'sometime', action: 'shred' } },
    });
    const changed = await callRoute({
      route: orchestrationRoutes.updateOrchestration,
      as: owner,
      params: { orgId, orchestrationId },
      body: { retention: RULE_ANONYMIZE },
    });
    const removed = await callRoute({
      route: orchestrationRoutes.updateOrchestration,
      as: owner,
      params: { orgId, orchestrationId },
      body: { retention: null },
    });
    // Assess
    expect(invalid.status).toBe(400);
    expect(invalid.body.errors.map((e: { path: string }) => e.path).sort()).toEqual([
      'body.retention.action',
      'body.retention.days',
      'body.retention.from',
    ]);
    expect(changed.body.retention).toEqual(RULE_ANONYMIZE);
    expect(removed.status).toBe(200);
    expect(removed.body.retention).toBeUndefined();
    const updates = (await auditEvents(orgId)).filter(
      (e) => e.action === 'orchestration.update' && (e.resource as { id: string }).id === orchestrationId,
    );
    expect(updates.map((e) => (e.changes as { values: unknown }).values)).toEqual([
      { retentionDays: 30, retentionFrom: 'created', retentionAction: 'anonymize' },
      { retention: null },
    ]);
  });

  test('setting a rule erases nothing at once; the preview counts what the next cycle takes, held jobs excluded', async () => {
    // Prepare
    const orchestrationId = await createOrchestration(orgId, owner);
    const jobs = [
      await createJob(orgId, orchestrationId, owner, { title: 'One' }),
      await createJob(orgId, orchestrationId, owner, { title: 'Two' }),
      await createJob(orgId, orchestrationId, owner, { title: 'Three' }),
    ];
    await hold(orgId, jobs[2]!);
    // Act: a rule of one day, then the domain clock two days on.
    await callRoute({
      route: orchestrationRoutes.updateOrchestration,
      as: owner,
      params: { orgId, orchestrationId },
      body: { retention: { days: 1, from: 'created', action: 'delete' } },
    });
    const before = await preview(orgId, orchestrationId);
    const storedAfterRuleChange = (await jobsOf(orgId, orchestrationId)).length;
    advanceDomainClock(2 * DAY_S);
    const after = await preview(orgId, orchestrationId);
    // Assess
    expect(storedAfterRuleChange).toBe(3);
    expect(before).toEqual({ due: 0 });
    expect(after).toEqual({ due: 2 });
  });
});

describe('the cycle applies the rules', () => {
  let org: string;
  let deleting: string;
  let anonymizing: string;
  let finalStage: string;
  const due: string[] = [];
  const anonymized: string[] = [];
  let held: string;
  let heldAnonymizing: string;
  let inFinalStage: string;
  let notInFinalStage: string;
  const subject = `pat.${Date.now()}@example.test`;

  beforeAll(async () => {
    org = await createOrg(owner, 'Retention cycle');
    deleting = await createOrchestration(org, owner, { retention: RULE_DELETE });
    anonymizing = await createOrchestration(org, owner, { retention: RULE_ANONYMIZE });
    finalStage = await createOrchestration(org, owner, {
      retention: { days: 30, from: 'final_stage', action: 'delete' },
    });
    for (let i = 0; i < 3; i += 1)
      due.push(
        await createJob(org, deleting, owner, {
          title: `Due ${i}`,
          email: subject,
          phone: '+4930123456',
          ssn: `SSN-${i}`,
        }),
      );
    held = await createJob(org, deleting, owner, { title: 'Held', email: subject });
    await hold(org, held);
    for (let i = 0; i < 2; i += 1)
      anonymized.push(
        await createJob(org, anonymizing, owner, {
          title: `Kept ${i}`,
          email: subject,
          phone: '+4930654321',
          amount: 42,
          ssn: `SSN-A${i}`,
        }),
      );
    heldAnonymizing = await createJob(org, anonymizing, owner, {
      title: 'Held too',
      email: subject,
      phone: '+4930999999',
    });
    await hold(org, heldAnonymizing);
    inFinalStage = await createJob(org, finalStage, owner, { title: 'Done' });
    notInFinalStage = await createJob(org, finalStage, owner, { title: 'Still open' });
    const moved = await callRoute({
      route: jobRoutes.transitionJob,
      as: owner,
      params: { orgId: org, jobId: inFinalStage },
      body: { stage: 'done' },
    });
    expect(moved.status).toBe(200);
  });

  test('before the rule is due, the cycle leaves every job alone', async () => {
    const report = await retentionPass(29, { orgIds: [org] }).run();
    expect(report).toMatchObject({ deleted: 0, anonymized: 0, complete: true });
    expect((await jobsOf(org, deleting)).length).toBe(4);
  });

  test('a fault mid-batch stops the pass; the next pass resumes and ends where an unbroken one would', async () => {
    // Prepare: the first batch lands, every transaction after it fails past the retries (a crash as far as this pass goes).
    const broken = retentionPass(31, {
      orgIds: [org],
      fault: { command: 'TransactWriteItems', nth: 2, times: 100, kind: 'timeout' },
    });
    // Act
    const first = await broken.run();
    const second = await retentionPass(31, { orgIds: [org] }).run();
    // Assess
    expect(broken.fault!.fired).toBeGreaterThan(0);
    expect(first.complete).toBe(false);
    expect(first.deleted + first.anonymized).toBeGreaterThan(0);
    expect(second.complete).toBe(true);
    expect({
      deleted: first.deleted + second.deleted,
      anonymized: first.anonymized + second.anonymized,
    }).toEqual({ deleted: 4, anonymized: 2 });
    const left = new Set((await storedRecords(org, 'JOB#')).map((item) => item.jobId));
    for (const jobId of [...due, inFinalStage]) expect(left.has(jobId)).toBe(false);
    for (const jobId of [held, heldAnonymizing, notInFinalStage, ...anonymized])
      expect(left.has(jobId)).toBe(true);
  });

  test('anonymized jobs keep only their non-personal fields, no subject link and no place in the retention index', async () => {
    for (const jobId of anonymized) {
      const [stored] = await storedRecords(org, `JOB#${jobId}`);
      expect(Object.keys(stored!.fields as object).sort()).toEqual(['amount', 'title']);
      expect(stored).not.toHaveProperty('gsi2pk');
      expect(stored).not.toHaveProperty('subjectIndex');
      expect(stored).not.toHaveProperty('gsi4pk');
      expect(stored).toHaveProperty('anonymizedAt');
    }
    const [keptHeld] = await storedRecords(org, `JOB#${heldAnonymizing}`);
    expect(Object.keys(keptHeld!.fields as object).sort()).toEqual(['email', 'phone', 'title']);
  });

  test('each job erased or anonymized has one audit event, attributed to the system', async () => {
    const events = (await auditEvents(org)).filter((e) => e.action === 'job.retention');
    const byJob = new Map<string, number>();
    for (const event of events)
      byJob.set(
        (event.resource as { id: string }).id,
        (byJob.get((event.resource as { id: string }).id) ?? 0) + 1,
      );
    expect(Object.fromEntries(byJob)).toEqual(
      Object.fromEntries([...due, inFinalStage, ...anonymized].map((jobId) => [jobId, 1])),
    );
    expect(new Set(events.map((e) => e.actor))).toEqual(new Set(['system:retention']));
  });

  test('a second pass finds nothing more: anonymized and held jobs are never taken again', async () => {
    const report = await retentionPass(400, { orgIds: [org] }).run();
    expect(report).toMatchObject({ deleted: 0, anonymized: 0, complete: true });
    expect((await storedRecords(org, `JOB#${held}`)).length).toBe(1);
  });

  test('a throttled batch is retried within the pass', async () => {
    // Prepare
    const orchestrationId = await createOrchestration(org, owner, { retention: RULE_DELETE });
    const jobId = await createJob(org, orchestrationId, owner, { title: 'Throttled' });
    const pass = retentionPass(31, {
      orgIds: [org],
      fault: { command: 'TransactWriteItems', nth: 1, kind: 'throttling' },
    });
    // Act
    const report = await pass.run();
    // Assess
    expect(pass.fault!.fired).toBe(1);
    expect(report).toMatchObject({ deleted: 1, complete: true });
    expect(await storedRecords(org, `JOB#${jobId}`)).toEqual([]);
  });

  test('subject erasure keeps the held jobs and says so', async () => {
    // Act
    const answer = await callRoute({
      route: subjectRoutes.subjectErasure,
      as: owner,
      params: { orgId: org },
      body: { email: subject, mode: 'delete' },
    });
    // Assess
    expect(answer.body).toEqual({ jobsAffected: 0, jobsHeld: 2 });
    const access = await callRoute({
      route: subjectRoutes.subjectAccess,
      as: owner,
      params: { orgId: org },
      body: { email: subject },
    });
    expect(
      access.body.items
        .map((i: { jobId: string; legalHold?: { reason: string } }) => [i.jobId, i.legalHold?.reason])
        .sort(),
    ).toEqual(
      [
        [held, 'Litigation pending'],
        [heldAnonymizing, 'Litigation pending'],
      ].sort(),
    );
  });
});

describe('legal holds', () => {
  test('a held job shows its hold, refuses its own deletion, and its orchestration refuses deletion naming it', async () => {
    // Prepare
    const orchestrationId = await createOrchestration(orgId, owner);
    const jobId = await createJob(orgId, orchestrationId, owner, { title: 'Evidence' });
    await hold(orgId, jobId);
    // Act
    const read = await callRoute({ route: jobRoutes.getJob, as: owner, params: { orgId, jobId } });
    const deleteJob = await callRoute({ route: jobRoutes.deleteJob, as: owner, params: { orgId, jobId } });
    const deleteOrchestration = await callRoute({
      route: orchestrationRoutes.deleteOrchestration,
      as: owner,
      params: { orgId, orchestrationId },
    });
    // Assess
    expect(read.body.legalHold).toMatchObject({ reason: 'Litigation pending', by: owner.sub });
    expect([deleteJob.status, deleteJob.body.type]).toEqual([409, expect.stringMatching(/\/held$/)]);
    expect([deleteOrchestration.status, deleteOrchestration.body.type]).toEqual([
      409,
      expect.stringMatching(/\/jobs-held$/),
    ]);
    expect(deleteOrchestration.body.detail).toContain(jobId);
    expect(await storedRecords(orgId, `JOB#${jobId}`)).toHaveLength(1);
  });

  test('lifting the hold (without a body) lets the orchestration go; lifting twice is a 409', async () => {
    // Prepare
    const orchestrationId = await createOrchestration(orgId, owner);
    const jobId = await createJob(orgId, orchestrationId, owner, { title: 'Evidence' });
    await hold(orgId, jobId);
    // Act
    const lifted = await callRoute({ route: jobRoutes.liftHold, as: owner, params: { orgId, jobId } });
    const again = await callRoute({ route: jobRoutes.liftHold, as: owner, params: { orgId, jobId } });
    const deleted = await callRoute({
      route: orchestrationRoutes.deleteOrchestration,
      as: owner,
      params: { orgId, orchestrationId },
    });
    // Assess
    expect(lifted.body).toMatchObject({ jobId, held: false });
    expect([again.status, again.body.type]).toEqual([409, expect.stringMatching(/\/not-held$/)]);
    expect(deleted.body).toEqual({ jobsErased: 1 });
    expect(await storedRecords(orgId, `JOB#${jobId}`)).toEqual([]);
  });

  test('a reason with an email address is refused (it would stay in the audit log)', async () => {
    const orchestrationId = await createOrchestration(orgId, owner);
    const jobId = await createJob(orgId, orchestrationId, owner, { title: 'Evidence' });
    const answer = await callRoute({
      route: jobRoutes.placeHold,
      as: owner,
      params: { orgId, jobId },
      body: { reason: 'asked by someone@example.test' },
    });
    expect(answer.status).toBe(400);
  });
});
