/**
 * Right to erasure (GDPR Art. 17): every job of a data subject, found through the blind index of
 * their email, is deleted (`delete`) or kept for statistics without anything personal
 * (`anonymize`; job-erasure.ts says exactly what goes).
 *
 * A job under legal hold is kept (Art. 17(3)(e): the data is needed for legal claims): the
 * answer counts it in `jobsHeld`, and the audit event says how many were held.
 *
 * Erasure covers all of the subject's jobs in the organization, whatever orchestration limits
 * or ownership say: `subjects.erase` is an organization-wide duty, and a partial erasure would
 * report success while data remained. It also covers restricted jobs: the subject's request to
 * erase supersedes their earlier request to keep the data restricted, and an anonymised job's
 * restriction is dropped with the data it protected.
 *
 * The subject's data subject requests lose what they hold about them (sealed address, name,
 * details, blind index); the cases stay for accountability (docs/decisions/0020).
 *
 * Out of reach (docs/data-subject-rights.md): export and backup files already written (they
 * expire after 7 days), and table backups (PITR), which only crypto-shredding of the whole
 * organization covers.
 */
import type { RequestContext } from '../domain/principal.ts';
import type { SubjectRequestStore } from '../ports/subject-requests.ts';
import { erasureChange, type ErasureMode } from './job-erasure.ts';
import { authorize, resolveScope, successDraft } from './org-access.ts';
import {
  changeSubjectJobs,
  orchestrationCache,
  subjectIndexOf,
  subjectJobs,
  type SubjectDeps,
} from './subject-jobs.ts';

/** The subject's own data subject requests are erased too (their address, name and details; the case stays). */
export type SubjectErasureDeps = SubjectDeps & {
  readonly requests: Pick<SubjectRequestStore, 'eraseSubject'>;
};

export async function eraseSubject(
  deps: SubjectErasureDeps,
  ctx: RequestContext,
  orgId: string,
  input: { email: string; mode: ErasureMode },
): Promise<{ jobsAffected: number; jobsHeld: number }> {
  const scope = await resolveScope(deps.orgs, ctx, orgId);
  authorize(scope.actor, 'subjects.erase');
  const blindIndex = await subjectIndexOf(deps, scope, input.email);
  const orchestrationOf = orchestrationCache(deps, orgId);

  let jobsFound = 0;
  let heldFound = 0;
  for await (const job of subjectJobs(deps, orgId, blindIndex)) {
    jobsFound += 1;
    if (job.legalHold !== undefined) heldFound += 1;
  }
  /** Held jobs met while changing (a hold placed after the count above is counted here too). */
  const held = new Set<string>();

  const jobsAffected = await changeSubjectJobs(
    deps,
    ctx,
    orgId,
    blindIndex,
    async (job) => {
      // A job whose orchestration is gone is being swept with it (and no longer readable by anyone).
      const orchestration = await orchestrationOf(job.orchestrationId);
      if (orchestration === undefined) return undefined;
      if (job.legalHold !== undefined) {
        held.add(job.jobId);
        return undefined;
      }
      return erasureChange(orchestration, job, input.mode, deps.clock.now());
    },
    successDraft({
      orgId,
      action: 'subject.erase',
      // The blind index names the subject without their email: unlinkable without the organization's key.
      resource: { type: 'subject', id: blindIndex },
      detail: { mode: input.mode, jobsFound, jobsHeld: heldFound },
    }),
    { event: 'job.erased', org: scope.org },
  );
  // Last, so that a request fulfilled by this erasure was read (and its address used) before.
  await deps.requests.eraseSubject(orgId, blindIndex, deps.clock.now().toISOString());
  return { jobsAffected, jobsHeld: held.size };
}
