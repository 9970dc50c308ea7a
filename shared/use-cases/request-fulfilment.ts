/**
 * Fulfilling a verified data subject request through the use cases the staff routes already run,
 * for the verified email and as the staff member who fulfils it: their rights decide, exactly as
 * if they called the subject routes themselves (so fulfilling an erasure needs `subjects.erase`
 * too, a restriction or objection `records.restrict`, a rectification `subjects.access` and edit
 * rights). Only then is the request closed as `fulfilled`, with its own event and timeline step.
 *
 * - erasure `{mode}`: subject-erasure.ts over all the subject's jobs (held jobs kept and counted);
 * - restriction, objection: subject-restriction.ts (an objection restricts, Art. 18(1)(d), until
 *   it is weighed);
 * - rectification: `{newEmail}` through subject-rectification.ts, or `{changes: [{jobId, fields}]}`
 *   through the job update of jobs.ts, each job checked to be the subject's own first;
 * - access and portability: request-report.ts queues the report (which needs `subjects.access`);
 *   the request is closed as `fulfilled` by the worker, once the subject has been sent the link.
 */
import { ConflictError, NotFoundError, ValidationError } from '../domain/errors.ts';
import { startReport, type StartReportDeps } from './request-report.ts';
import type { FieldValue } from '../domain/orchestration.ts';
import type { RequestContext } from '../domain/principal.ts';
import type { SubjectRequest } from '../domain/subject-request.ts';
import type { JobDeps } from './jobs.ts';
import { updateJob } from './jobs.ts';
import type { RecipientDeps } from './recipient-notices.ts';
import { authorize, resolveScope } from './org-access.ts';
import { type CaseDeps, closeRequest, openedEmail } from './request-cases.ts';
import { eraseSubject } from './subject-erasure.ts';
import { rectifySubject } from './subject-rectification.ts';
import { restrictSubject } from './subject-restriction.ts';
import type { ErasureMode } from './job-erasure.ts';

export type FulfilDeps = CaseDeps & JobDeps & RecipientDeps & Pick<StartReportDeps, 'queue'>;

export interface FulfilInput {
  readonly mode?: ErasureMode | undefined;
  readonly newEmail?: string | undefined;
  readonly changes?:
    | readonly { readonly jobId: string; readonly fields: Readonly<Record<string, FieldValue | null>> }[]
    | undefined;
}

const missing = (field: string, message: string): ValidationError =>
  new ValidationError(message, [{ path: `body.${field}`, message }]);

export async function fulfilRequest(
  deps: FulfilDeps,
  ctx: RequestContext,
  orgId: string,
  requestId: string,
  input: FulfilInput,
): Promise<SubjectRequest> {
  const scope = await resolveScope(deps.orgs, ctx, orgId);
  authorize(scope.actor, 'requests.manage');
  const stored = await deps.requests.get(orgId, requestId);
  if (stored === undefined) throw new NotFoundError('request');
  if (stored.status !== 'open') throw new ConflictError('Only an open (verified) request can be fulfilled');
  const email = await openedEmail(deps, scope.org, stored);

  let detail: Readonly<Record<string, string | number>>;
  switch (stored.type) {
    case 'erasure': {
      if (input.mode === undefined) throw missing('mode', 'An erasure needs `mode`: delete or anonymize');
      const outcome = await eraseSubject(deps, ctx, orgId, { email, mode: input.mode });
      detail = { mode: input.mode, ...outcome };
      break;
    }
    case 'restriction':
    case 'objection':
      detail = await restrictSubject(deps, ctx, orgId, {
        email,
        reason: `Data subject request (${stored.type})`,
      });
      break;
    case 'rectification': {
      if ((input.newEmail === undefined) === (input.changes === undefined))
        throw missing('newEmail', 'A rectification takes either `newEmail` or `changes`');
      if (input.newEmail !== undefined) {
        detail = await rectifySubject(deps, ctx, orgId, { email, newEmail: input.newEmail });
        break;
      }
      const changes = input.changes ?? [];
      // Every job must be the subject's own before any is changed: the request is no licence to edit others' records.
      for (const [i, change] of changes.entries()) {
        const job = await deps.jobs.get(orgId, change.jobId);
        if (job === undefined || job.subjectIndex !== stored.subjectIndex)
          throw missing(`changes.${i}.jobId`, "Not a job of the request's subject");
      }
      for (const change of changes)
        await updateJob(deps, ctx, orgId, change.jobId, { fields: change.fields });
      detail = { jobsAffected: changes.length };
      break;
    }
    case 'access':
    case 'portability':
      return startReport(deps, ctx, stored);
  }
  return closeRequest(deps, ctx, scope.org, stored, detail);
}
