/**
 * Retention (Art. 5(1)(e), storage limitation): the clean-up cycle applies each orchestration's
 * rule, and the preview counts what the next cycle would take.
 *
 * The cycle finds the orchestrations that carry a rule and, for each, its due jobs through the
 * retention index (never a Scan; records-keys.ts). The rule is read at the start of each
 * orchestration's pass, so a changed rule takes effect at the next cycle and never sooner. Due
 * jobs are erased or anonymized through the plan subject erasure uses (job-erasure.ts), in
 * batched transactions, each job with its own audit event attributed to the system. Every
 * batch is conditional on the versions read: a job held, edited or anonymized meanwhile fails
 * its batch, is read again and planned again (and left alone when no longer due).
 *
 * Resumable without a checkpoint: a job leaves the index when it is erased or anonymized, so a
 * run cut short (budget, crash, throttling beyond the retries) leaves exactly the due jobs it did
 * not reach, and the next run finds them from the start of the index.
 */
import { NotFoundError, UnavailableError } from '../domain/errors.ts';
import type { RequestContext } from '../domain/principal.ts';
import { finalStageOf, isDue } from '../domain/retention.ts';
import { logger } from '../logger.ts';
import type { AuditActor, AuditDraft } from '../ports/audit.ts';
import type { Clock } from '../ports/clock.ts';
import { JobBatchConflict, type JobBatchChange, type JobStore, type StoredJob } from '../ports/jobs.ts';
import type { OrchestrationRecord, OrchestrationStore, RetentionTarget } from '../ports/orchestrations.ts';
import type { OrganizationRecord, OrganizationStore } from '../ports/organizations.ts';
import type { Budget } from '../ports/tenant-sweeper.ts';
import { erasureChange } from './job-erasure.ts';
import { authorize, cycleActor, resolveScope, successDraft } from './org-access.ts';
import { batchesOf } from './subject-jobs.ts';
import { pageReadsOf } from './pages.ts';
import { dispatchNotices, planNotices, type RecipientDeps } from './recipient-notices.ts';

/**
 * The share records and notice queue: extensions that received an erased job are told (Art. 19);
 * the organization is read (once per orchestration, and only when something is due) for its marker
 * of having ever shared.
 */
export interface RetentionDeps extends RecipientDeps {
  readonly orgs: Pick<OrganizationStore, 'get'>;
  readonly orchestrations: Pick<OrchestrationStore, 'get' | 'withRetention'>;
  readonly jobs: Pick<JobStore, 'findDue' | 'getMany' | 'writeBatch'>;
  readonly clock: Clock;
}

/** What one cycle's retention pass did (counts only: it is returned by POST /dev/cleanup and logged). */
export interface RetentionReport {
  /** Orchestrations with a rule that were visited. */
  orchestrations: number;
  deleted: number;
  anonymized: number;
  /** False when the budget ran out or an orchestration failed; the next cycle continues. */
  complete: boolean;
}

/** Index items read per query page: a few transactions' worth. */
const PAGE_SIZE = 200;
/** Attempts per batch: conflicts re-read and re-plan, throttling waits and tries again. */
const MAX_BATCH_ATTEMPTS = 6;

/** Retention acts for the organization, not for a person: its events name the system and the cycle's run. */
export const retentionActor = (cycleId: string): AuditActor => cycleActor('system:retention', cycleId);

export async function applyRetention(
  deps: RetentionDeps,
  run: { readonly cycleId: string },
  budget: Budget,
): Promise<RetentionReport> {
  const report: RetentionReport = { orchestrations: 0, deleted: 0, anonymized: 0, complete: true };
  const actor = retentionActor(run.cycleId);
  for await (const target of deps.orchestrations.withRetention()) {
    if (!budget.remaining()) {
      report.complete = false;
      break;
    }
    try {
      const finished = await applyToOrchestration(deps, target, actor, budget, report);
      if (!finished) report.complete = false;
    } catch (error) {
      // The organization closed meanwhile: its deletion erases everything anyway.
      if (error instanceof NotFoundError) continue;
      report.complete = false;
      logger.error('retention stopped for an orchestration; the next cycle resumes it', {
        error: error instanceof Error ? error.name : 'unknown',
      });
    }
  }
  return report;
}

/** True when every due job of the orchestration was handled. */
async function applyToOrchestration(
  deps: RetentionDeps,
  target: RetentionTarget,
  actor: AuditActor,
  budget: Budget,
  report: RetentionReport,
): Promise<boolean> {
  // The index is eventually consistent: the orchestration and its rule are read from the table.
  const orchestration = await deps.orchestrations.get(target.orgId, target.orchestrationId);
  const rule = orchestration?.retention;
  if (orchestration === undefined || rule === undefined) return true;
  report.orchestrations += 1;
  const now = deps.clock.now();
  let org: Promise<OrganizationRecord | undefined> | undefined;
  const orgOnce = () => (org ??= deps.orgs.get(target.orgId));
  if (!budget.remaining()) return false;
  const pages = pageReadsOf((after) =>
    deps.jobs.findDue(target.orgId, target.orchestrationId, {
      rule,
      finalStage: finalStageOf(orchestration),
      now,
      limit: PAGE_SIZE,
      ...after,
    }),
  );
  for await (const page of pages) {
    const due = page.items.filter((job) => isDue(job, orchestration, now));
    for (const batch of batchesOf(due.map((job) => erasureChange(orchestration, job, rule.action, now)))) {
      if (!budget.remaining()) return false;
      const sharing = await orgOnce();
      // Closed meanwhile: its deletion erases everything anyway (and notifies the recipients).
      if (sharing === undefined) throw new NotFoundError('organization');
      await applyBatch(deps, orchestration, sharing, batch, actor, now, report);
    }
    // The next page is read only within the budget.
    if (!page.last && !budget.remaining()) return false;
  }
  return true;
}

const jobOf = (change: JobBatchChange): StoredJob => (change.kind === 'delete' ? change.job : change.next);

function draftOf(orchestration: OrchestrationRecord, change: JobBatchChange): AuditDraft {
  const rule = orchestration.retention!;
  const job = jobOf(change);
  return successDraft({
    orgId: orchestration.orgId,
    action: 'job.retention',
    resource: { type: 'job', id: job.jobId },
    detail: {
      mode: rule.action,
      days: rule.days,
      from: rule.from,
      orchestrationId: orchestration.orchestrationId,
    },
  });
}

async function applyBatch(
  deps: RetentionDeps,
  orchestration: OrchestrationRecord,
  org: Pick<OrganizationRecord, 'firstShareAt'>,
  initial: JobBatchChange[],
  actor: AuditActor,
  now: Date,
  report: RetentionReport,
): Promise<void> {
  let changes = initial;
  for (let attempt = 1; changes.length > 0; attempt += 1) {
    try {
      const outbox = await planNotices(deps, org, {
        event: 'job.erased',
        orgId: orchestration.orgId,
        jobIds: changes.map((change) => jobOf(change).jobId),
      });
      await deps.jobs.writeBatch(
        orchestration.orgId,
        changes,
        { drafts: changes.map((change) => draftOf(orchestration, change)), actor },
        outbox,
      );
      if (orchestration.retention!.action === 'delete') report.deleted += changes.length;
      else report.anonymized += changes.length;
      await dispatchNotices(deps, outbox);
      return;
    } catch (error) {
      const retryable = error instanceof JobBatchConflict || error instanceof UnavailableError;
      if (!retryable || attempt >= MAX_BATCH_ATTEMPTS) throw error;
      if (error instanceof UnavailableError)
        await new Promise((resolve) => setTimeout(resolve, Math.min(2000, 50 * 2 ** attempt)));
      // Read the batch again from the table: a job changed, held or gone meanwhile is planned again or left out.
      const current = await deps.jobs.getMany(
        orchestration.orgId,
        changes.map((change) => jobOf(change).jobId),
      );
      changes = current
        .filter((job) => isDue(job, orchestration, now))
        .map((job) => erasureChange(orchestration, job, orchestration.retention!.action, now));
    }
  }
}

/** GET …/retention/preview: how many jobs the next cycle would take now (held ones never count). */
export async function previewRetention(
  deps: {
    readonly orgs: OrganizationStore;
    readonly orchestrations: Pick<OrchestrationStore, 'get'>;
    readonly jobs: Pick<JobStore, 'countDue'>;
    readonly clock: Clock;
  },
  ctx: RequestContext,
  orgId: string,
  orchestrationId: string,
): Promise<{ due: number }> {
  const { actor } = await resolveScope(deps.orgs, ctx, orgId);
  const orchestration = await deps.orchestrations.get(orgId, orchestrationId);
  if (orchestration === undefined) throw new NotFoundError('orchestration');
  authorize(actor, 'orchestrations.manage', { kind: 'orchestration', orchestration });
  const rule = orchestration.retention;
  if (rule === undefined) return { due: 0 };
  return {
    due: await deps.jobs.countDue(orgId, orchestrationId, {
      rule,
      finalStage: finalStageOf(orchestration),
      now: deps.clock.now(),
    }),
  };
}
