/**
 * One job as the use cases that act on a single job through the stores read it: the caller's
 * scope, the job and its orchestration, and the caller's field mask for `action`. Nothing of the
 * job leaves before the decision: a job that is missing, or whose orchestration is gone (it is
 * being swept), is a 404; a caller the decision refuses gets what `authorize` throws.
 * (The job routes themselves read in one batch instead: jobs.ts `loadJob`.)
 */
import type { Action, FieldMask } from '../domain/authorization.ts';
import { NotFoundError } from '../domain/errors.ts';
import type { RequestContext } from '../domain/principal.ts';
import type { JobStore, StoredJob } from '../ports/jobs.ts';
import type { OrchestrationRecord, OrchestrationStore } from '../ports/orchestrations.ts';
import type { OrganizationStore } from '../ports/organizations.ts';
import { authorize, resolveScope, type OrgScope } from './org-access.ts';

export interface JobAccessDeps {
  readonly orgs: OrganizationStore;
  readonly orchestrations: OrchestrationStore;
  readonly jobs: JobStore;
}

export interface AuthorizedJob {
  readonly scope: OrgScope;
  readonly job: StoredJob;
  readonly orchestration: OrchestrationRecord;
  readonly mask: FieldMask;
}

export async function authorizedJob(
  deps: JobAccessDeps,
  ctx: RequestContext,
  orgId: string,
  jobId: string,
  action: Action,
): Promise<AuthorizedJob> {
  const scope = await resolveScope(deps.orgs, ctx, orgId);
  const job = await deps.jobs.get(orgId, jobId);
  if (job === undefined) throw new NotFoundError('job');
  const orchestration = await deps.orchestrations.get(orgId, job.orchestrationId);
  if (orchestration === undefined) throw new NotFoundError('job');
  const mask = authorize(scope.actor, action, { kind: 'job', orchestration, job });
  return { scope, job, orchestration, mask };
}
