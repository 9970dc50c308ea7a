/**
 * Restriction of processing for a data subject (GDPR Art. 18): every job of the person, found
 * through the blind index of their email, is restricted with the reason given. Like erasure it
 * covers all of the subject's jobs in the organization (restricting protects; it discloses
 * nothing). Jobs already restricted keep their restriction and reason; `jobsAffected` counts the
 * jobs this request restricted. Lifting is per job (DELETE …/jobs/{jobId}/restriction), each lift
 * audited with its reason.
 */
import type { RequestContext } from '../domain/principal.ts';
import type { StoredJob } from '../ports/jobs.ts';
import { authorize, resolveScope, successDraft } from './org-access.ts';
import { changeSubjectJobs, subjectIndexOf, subjectJobs, type SubjectDeps } from './subject-jobs.ts';

export async function restrictSubject(
  deps: SubjectDeps,
  ctx: RequestContext,
  orgId: string,
  input: { email: string; reason: string },
): Promise<{ jobsAffected: number }> {
  const scope = await resolveScope(deps.orgs, ctx, orgId);
  authorize(scope.actor, 'records.restrict');
  const blindIndex = await subjectIndexOf(deps, scope, input.email);

  let jobsFound = 0;
  for await (const job of subjectJobs(deps, orgId, blindIndex))
    if (job.restriction === undefined) jobsFound += 1;

  const jobsAffected = await changeSubjectJobs(
    deps,
    ctx,
    orgId,
    blindIndex,
    async (job) => {
      if (job.restriction !== undefined) return undefined;
      const at = deps.clock.now().toISOString();
      const next: StoredJob = {
        ...job,
        restriction: { reason: input.reason, at, by: ctx.principal.userId },
        version: job.version + 1,
        updatedAt: at,
      };
      // Conditional on the job still being unrestricted: a restriction set meanwhile is kept, and this one re-plans.
      return { kind: 'replace', next, allowRestricted: false };
    },
    successDraft({
      orgId,
      action: 'subject.restrict',
      resource: { type: 'subject', id: blindIndex },
      changes: { fields: ['restriction'] },
      detail: { reason: input.reason, jobsFound },
    }),
    { event: 'job.restricted', org: scope.org },
  );
  return { jobsAffected };
}
