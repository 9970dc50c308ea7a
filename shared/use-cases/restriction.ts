/**
 * Restriction of processing (GDPR Art. 18). A restricted job is stored and readable by those
 * allowed to read it, but not processed. This module is the one place that says what that means:
 *
 * - `PROCESSING_OPERATIONS` registers every processing operation of the product. A use case that
 *   processes jobs calls `assertProcessable(job, operation, actor)` (or `mayProcess` where the
 *   rule is to skip instead of refusing); the restriction test iterates this registry and drives
 *   each operation against a restricted job, so a new processing path registers here and is then
 *   tested.
 * - The rule is strict by default (no one may process a restricted job); the registry only names
 *   the exemption API.md grants: owners may still export (their copy is not processing by others).
 * - The records adapter backs the guard up in its write conditions (`attribute_not_exists(restriction)`),
 *   so a restriction set between a use case's read and its write still wins.
 *
 * Restricting and lifting one job (`records.restrict`) are here too; the lift is audited with the
 * reason when one is given (it is optional: a DELETE without a body must work). Reasons are kept
 * in the audit log, which is append-only and hash-chained, so they may not carry an email address
 * (the schema refuses one).
 */
import type { Actor } from '../domain/authorization.ts';
import { isOwner } from '../domain/authorization.ts';
import { ConflictError, RestrictedError } from '../domain/errors.ts';
import type { Job, Restriction } from '../domain/orchestration.ts';
import type { RequestContext } from '../domain/principal.ts';
import type { Clock } from '../ports/clock.ts';
import { JobBatchConflict, type JobStore, type StoredJob } from '../ports/jobs.ts';
import type { OrchestrationStore } from '../ports/orchestrations.ts';
import type { OrganizationStore } from '../ports/organizations.ts';
import { auditEntry } from './org-access.ts';
import { authorizedJob } from './job-access.ts';
import { dispatchNotices, planNotices, type RecipientDeps } from './recipient-notices.ts';

/** Every operation that processes a job, with what it is (for the test's names and the docs). */
export const PROCESSING_OPERATIONS = {
  'job.update': 'Rectifying fields of one job (PATCH)',
  'job.transition': 'Moving a job to another stage',
  'job.delete': 'Deleting one job on its own',
  'job.share': 'Sharing a job with a marketplace extension',
  'job.export': 'Putting a job in an export or backup file (owners still may)',
  'subject.rectify': "Rectifying the subject's email across their jobs",
} as const;

export type ProcessingOperation = keyof typeof PROCESSING_OPERATIONS;

/** Operations an owner may still perform on a restricted job (API.md: exports made by anyone but an owner). */
const OWNERS_MAY: ReadonlySet<ProcessingOperation> = new Set(['job.export']);

/** Whether `actor` may run `operation` on `job`; without an operation or actor, only unrestricted jobs pass. */
export function mayProcess(
  job: Pick<Job, 'restriction'>,
  operation?: ProcessingOperation,
  actor?: Actor,
): boolean {
  if (job.restriction === undefined) return true;
  return operation !== undefined && actor !== undefined && OWNERS_MAY.has(operation) && isOwner(actor);
}

/** The guard every processing path passes through: 409 `/restricted` when the job may not be processed. */
export function assertProcessable(
  job: Pick<Job, 'restriction'>,
  operation?: ProcessingOperation,
  actor?: Actor,
): void {
  if (!mayProcess(job, operation, actor)) throw new RestrictedError();
}

export interface RestrictionDeps extends RecipientDeps {
  readonly orgs: OrganizationStore;
  readonly orchestrations: OrchestrationStore;
  readonly jobs: JobStore;
  readonly clock: Clock;
}

export interface RestrictionView {
  readonly jobId: string;
  readonly restricted: boolean;
  readonly restriction?: Restriction;
  readonly version: number;
}

const MAX_ATTEMPTS = 3;

const viewOf = (job: StoredJob): RestrictionView => ({
  jobId: job.jobId,
  restricted: job.restriction !== undefined,
  ...(job.restriction === undefined ? {} : { restriction: job.restriction }),
  version: job.version,
});

/**
 * Sets (`reason`) or lifts the restriction of one job, conditionally on the version read (a lost
 * race re-reads and retries; no If-Match: restricting protects, whatever version it lands on). Restricting a restricted job replaces its reason; lifting an
 * unrestricted one is a 409 (`not-restricted`), so every successful call changed something and
 * wrote its event.
 */
async function changeRestriction(
  deps: RestrictionDeps,
  ctx: RequestContext,
  orgId: string,
  jobId: string,
  change:
    | { readonly restrict: true; readonly reason: string }
    | { readonly restrict: false; readonly reason?: string | undefined },
): Promise<RestrictionView> {
  const { restrict, reason } = change;
  for (let attempt = 1; ; attempt += 1) {
    const { scope, job } = await authorizedJob(deps, ctx, orgId, jobId, 'records.restrict');
    if (!restrict && job.restriction === undefined)
      throw new ConflictError('The job is not restricted', 'not-restricted');
    const at = deps.clock.now().toISOString();
    const { restriction: _previous, ...rest } = job;
    const next: StoredJob = {
      ...rest,
      ...(change.restrict ? { restriction: { reason: change.reason, at, by: ctx.principal.userId } } : {}),
      version: job.version + 1,
      updatedAt: at,
    };
    // Restricting is an Art. 19 event (lifting is not): the notices commit with the change.
    const outbox = restrict
      ? await planNotices(deps, scope.org, { event: 'job.restricted', orgId, jobIds: [jobId] })
      : undefined;
    try {
      await deps.jobs.writeBatch(
        orgId,
        [{ kind: 'replace', next, allowRestricted: true }],
        auditEntry(ctx, {
          orgId,
          action: restrict ? 'job.restrict' : 'job.restriction_lift',
          resource: { type: 'job', id: jobId },
          changes: { fields: ['restriction'] },
          ...(reason === undefined ? {} : { detail: { reason } }),
        }),
        outbox,
      );
    } catch (error) {
      if (!(error instanceof JobBatchConflict)) throw error;
      if (attempt >= MAX_ATTEMPTS) throw new ConflictError('The job is being changed by others; retry');
      continue;
    }
    await dispatchNotices(deps, outbox);
    return viewOf(next);
  }
}

/** Restricts one job; the extensions that received it are told (Art. 19). */
export function restrictJob(
  deps: RestrictionDeps,
  ctx: RequestContext,
  orgId: string,
  jobId: string,
  input: { reason: string },
): Promise<RestrictionView> {
  return changeRestriction(deps, ctx, orgId, jobId, { restrict: true, reason: input.reason });
}

/** The reason is optional: a DELETE without a body lifts the restriction too (API.md). */
export const liftRestriction = (
  deps: RestrictionDeps,
  ctx: RequestContext,
  orgId: string,
  jobId: string,
  input: { reason?: string | undefined } | undefined,
) => changeRestriction(deps, ctx, orgId, jobId, { restrict: false, reason: input?.reason });
