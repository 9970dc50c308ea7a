/**
 * Rectification of the subject's email across their jobs (GDPR Art. 16). Field edits of one job
 * are PATCH …/jobs/{jobId}; this changes the subject field of every job of the person at once and
 * keeps the blind index right: the new address is sealed again where the field is encrypted, and
 * the jobs move to the new address's index, so access, erasure and restriction find them under it.
 *
 * All or nothing up front: before anything is written, every job of the subject must be one the
 * caller may edit (`jobs.update` with write access to the subject field; 403 otherwise, so a
 * partial rectification never reports success) and none may be restricted (409 `/restricted`:
 * rectification is processing). The audit event names the subject fields changed, never values.
 */
import { decide } from '../domain/authorization.ts';
import { ForbiddenError } from '../domain/errors.ts';
import type { RequestContext } from '../domain/principal.ts';
import type { StoredJob } from '../ports/jobs.ts';
import { authorize, resolveScope, successDraft } from './org-access.ts';
import { assertProcessable } from './restriction.ts';
import { cryptoOf } from './org-access.ts';
import {
  changeSubjectJobs,
  orchestrationCache,
  subjectIndexOf,
  subjectJobs,
  type SubjectDeps,
} from './subject-jobs.ts';

export async function rectifySubject(
  deps: SubjectDeps,
  ctx: RequestContext,
  orgId: string,
  input: { email: string; newEmail: string },
): Promise<{ jobsAffected: number }> {
  const scope = await resolveScope(deps.orgs, ctx, orgId);
  authorize(scope.actor, 'subjects.access');
  const crypto = cryptoOf(deps, scope);
  const [oldIndex, newIndex] = await Promise.all([
    subjectIndexOf(deps, scope, input.email),
    subjectIndexOf(deps, scope, input.newEmail),
  ]);
  const orchestrationOf = orchestrationCache(deps, orgId);

  /** The subject field of the job's orchestration when the caller may rewrite it; 403/409 otherwise. */
  const subjectFieldOf = async (job: StoredJob) => {
    const orchestration = await orchestrationOf(job.orchestrationId);
    if (orchestration === undefined) return undefined;
    const field = orchestration.fields.find((f) => f.subject);
    if (field === undefined) return undefined;
    const decision = decide(scope.actor, 'jobs.update', { kind: 'job', orchestration, job });
    if (decision.effect !== 'allow' || decision.fieldMask[field.id] !== 'write') {
      throw new ForbiddenError(
        "Some of this subject's jobs are outside what you may edit; an owner can rectify them all",
      );
    }
    assertProcessable(job, 'subject.rectify', scope.actor);
    return field;
  };

  let jobsFound = 0;
  const fieldIds = new Set<string>();
  for await (const job of subjectJobs(deps, orgId, oldIndex)) {
    const field = await subjectFieldOf(job);
    if (field === undefined) continue;
    jobsFound += 1;
    fieldIds.add(field.id);
  }

  const jobsAffected = await changeSubjectJobs(
    deps,
    ctx,
    orgId,
    oldIndex,
    async (job) => {
      const field = await subjectFieldOf(job);
      if (field === undefined) return undefined;
      const value = field.encrypted ? await crypto.seal(job.jobId, field.id, input.newEmail) : input.newEmail;
      const next: StoredJob = {
        ...job,
        fields: { ...job.fields, [field.id]: value },
        subjectIndex: newIndex,
        version: job.version + 1,
        updatedAt: deps.clock.now().toISOString(),
      };
      return { kind: 'replace', next, allowRestricted: false };
    },
    successDraft({
      orgId,
      action: 'subject.rectify',
      resource: { type: 'subject', id: oldIndex },
      changes: { fields: [...fieldIds].sort() },
      detail: { jobsFound, sameIndex: oldIndex === newIndex },
    }),
    { event: 'job.rectified', fields: [...fieldIds], org: scope.org },
  );
  return { jobsAffected };
}
