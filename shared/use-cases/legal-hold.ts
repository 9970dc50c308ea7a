/**
 * Legal holds (Art. 17(3)(e)): data needed for the establishment, exercise or defence of legal
 * claims is kept although it would otherwise go. A held job is never erased by retention, by a
 * subject's erasure request (which counts it as held), by deleting it, or by deleting its
 * orchestration (409 naming the held jobs). Deleting the organization still erases everything:
 * that is the owner's act ending the organization, not processing within it.
 *
 * Placing a hold on a held job replaces its reason; lifting takes an optional reason. Both are
 * audited with the reason given, and both leave the job otherwise as it is (a restricted job
 * stays restricted). The job's orchestration counts its held jobs in the same transaction, so
 * its deletion can require that none are held without reading its jobs.
 */
import { ConflictError, NotFoundError } from '../domain/errors.ts';
import type { LegalHold } from '../domain/orchestration.ts';
import type { RequestContext } from '../domain/principal.ts';
import type { Clock } from '../ports/clock.ts';
import { JobWriteConflict, type JobStore, type StoredJob } from '../ports/jobs.ts';
import type { OrchestrationStore } from '../ports/orchestrations.ts';
import type { OrganizationStore } from '../ports/organizations.ts';
import { auditEntry } from './org-access.ts';
import { authorizedJob } from './job-access.ts';

export interface HoldDeps {
  readonly orgs: OrganizationStore;
  readonly orchestrations: OrchestrationStore;
  readonly jobs: JobStore;
  readonly clock: Clock;
}

export interface HoldView {
  readonly jobId: string;
  readonly held: boolean;
  readonly legalHold?: LegalHold;
  readonly version: number;
}

const MAX_ATTEMPTS = 3;

const viewOf = (job: StoredJob): HoldView => ({
  jobId: job.jobId,
  held: job.legalHold !== undefined,
  ...(job.legalHold === undefined ? {} : { legalHold: job.legalHold }),
  version: job.version,
});

async function changeHold(
  deps: HoldDeps,
  ctx: RequestContext,
  orgId: string,
  jobId: string,
  reason: string | undefined,
  hold: boolean,
): Promise<HoldView> {
  for (let attempt = 1; ; attempt += 1) {
    const { job } = await authorizedJob(deps, ctx, orgId, jobId, 'records.hold');
    if (!hold && job.legalHold === undefined)
      throw new ConflictError('The job is not under legal hold', 'not-held');
    const at = deps.clock.now().toISOString();
    const { legalHold: previous, ...rest } = job;
    const next: StoredJob = {
      ...rest,
      ...(hold ? { legalHold: { reason: reason ?? '', at, by: ctx.principal.userId } } : {}),
      version: job.version + 1,
      updatedAt: at,
    };
    try {
      await deps.jobs.writeHold(
        next,
        hold ? (previous === undefined ? 'place' : 'replace') : 'lift',
        auditEntry(ctx, {
          orgId,
          action: hold ? 'job.hold' : 'job.hold_lift',
          resource: { type: 'job', id: jobId },
          changes: { fields: ['legalHold'] },
          ...(reason === undefined ? {} : { detail: { reason } }),
        }),
      );
    } catch (error) {
      if (!(error instanceof JobWriteConflict)) throw error;
      if (error.reason === 'orchestration-changed') throw new NotFoundError('job');
      if (attempt >= MAX_ATTEMPTS) throw new ConflictError('The job is being changed by others; retry');
      continue;
    }
    return viewOf(next);
  }
}

export const placeHold = (
  deps: HoldDeps,
  ctx: RequestContext,
  orgId: string,
  jobId: string,
  input: { reason: string },
): Promise<HoldView> => changeHold(deps, ctx, orgId, jobId, input.reason, true);

export const liftHold = (
  deps: HoldDeps,
  ctx: RequestContext,
  orgId: string,
  jobId: string,
  input: { reason?: string | undefined } | undefined,
): Promise<HoldView> => changeHold(deps, ctx, orgId, jobId, input?.reason, false);
