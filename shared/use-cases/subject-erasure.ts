/**
 * Right to erasure (GDPR Art. 17): every job of a data subject, found through the blind index of
 * their email, is deleted (`delete`) or kept for statistics without anything personal
 * (`anonymize`: every field marked `personal` is removed — encrypted or not, so not even its
 * ciphertext remains — and the blind index with it, so the job no longer belongs to anyone).
 *
 * Erasure covers all of the subject's jobs in the organization, whatever orchestration limits
 * or ownership say: `subjects.erase` is an organization-wide duty, and a partial erasure would
 * report success while data remained. It also covers restricted jobs: the subject's request to
 * erase supersedes their earlier request to keep the data restricted, and an anonymised job's
 * restriction is dropped with the data it protected.
 *
 * Out of reach (docs/data-subject-rights.md): export and backup files already written (they
 * expire after 7 days), and table backups (PITR), which only crypto-shredding of the whole
 * organization covers.
 */
import type { RequestContext } from '../domain/principal.ts';
import type { FieldValue } from '../domain/orchestration.ts';
import type { StoredJob } from '../ports/jobs.ts';
import { authorize, resolveScope } from './org-access.ts';
import { changeSubjectJobs, orchestrationCache, subjectIndexOf, subjectJobs, type SubjectDeps } from './subject-jobs.ts';

export type ErasureMode = 'delete' | 'anonymize';

export async function eraseSubject(deps: SubjectDeps, ctx: RequestContext, orgId: string, input: { email: string; mode: ErasureMode }): Promise<{ jobsAffected: number }> {
  const scope = await resolveScope(deps.orgs, ctx, orgId);
  authorize(scope.actor, 'subjects.erase');
  const blindIndex = await subjectIndexOf(deps, scope, input.email);
  const orchestrationOf = orchestrationCache(deps, orgId);

  let jobsFound = 0;
  for await (const _job of subjectJobs(deps, orgId, blindIndex)) jobsFound += 1;

  const jobsAffected = await changeSubjectJobs(
    deps,
    ctx,
    orgId,
    blindIndex,
    async (job) => {
      // A job whose orchestration is gone is being swept with it (and no longer readable by anyone).
      const orchestration = await orchestrationOf(job.orchestrationId);
      if (orchestration === undefined) return undefined;
      if (input.mode === 'delete') return { kind: 'delete', job };
      const personal = new Set(orchestration.fields.filter((f) => f.personal || f.subject).map((f) => f.id));
      const known = new Set(orchestration.fields.map((f) => f.id));
      const fields: Record<string, FieldValue> = {};
      for (const [fieldId, value] of Object.entries(job.fields)) if (known.has(fieldId) && !personal.has(fieldId)) fields[fieldId] = value;
      const { subjectIndex: _index, restriction: _restriction, ...rest } = job;
      const next: StoredJob = { ...rest, fields, version: job.version + 1, updatedAt: deps.clock.now().toISOString() };
      return { kind: 'replace', next, allowRestricted: true };
    },
    {
      orgId,
      action: 'subject.erase',
      // The blind index names the subject without their email: unlinkable without the organization's key.
      resource: { type: 'subject', id: blindIndex },
      outcome: 'success',
      detail: { mode: input.mode, jobsFound },
    },
  );
  return { jobsAffected };
}
