/**
 * The report of an access (Art. 15) or portability (Art. 20) request, as the fulfil route starts
 * it: the fulfilling member needs `subjects.access` besides `requests.manage`, as for the staff
 * access route; the request records the report as pending (its timeline step and audit event)
 * and the work is queued for the portability worker (request-report-build.ts). A message that
 * cannot be queued forgets the pending report; a pending report (a build that failed, its message
 * dead-lettered) can be queued again by fulfilling again. This module
 * stays light: the API function's cold start never loads the archive writer.
 */
import type { RequestContext } from '../domain/principal.ts';
import type { SubjectRequest } from '../domain/subject-request.ts';
import type { AuditEntry } from '../ports/audit.ts';
import { orgFileKey } from '../ports/files.ts';
import type { StoredRequest } from '../ports/subject-requests.ts';
import type { WorkQueue } from '../ports/work-queue.ts';
import { auditActorOf, authorize, resolveScope, successDraft } from './org-access.ts';
import { caseOf, type CaseDeps } from './request-cases.ts';

/** What the fulfil route needs to start a report. */
export interface StartReportDeps extends CaseDeps {
  readonly queue: WorkQueue;
}

const reportKeyOf = (orgId: string, requestId: string): string =>
  orgFileKey(orgId, 'requests', `${requestId}.zip`);

/** An event about the request, for its audit log. */
export const requestEvent = (
  orgId: string,
  requestId: string,
  action: string,
  detail: Readonly<Record<string, string | number>>,
  actor: AuditEntry['actor'],
): AuditEntry => ({
  draft: successDraft({ orgId, action, resource: { type: 'request', id: requestId }, detail }),
  actor,
});

export async function startReport(
  deps: StartReportDeps,
  ctx: RequestContext,
  stored: StoredRequest,
): Promise<SubjectRequest> {
  const { orgId, requestId } = stored;
  const scope = await resolveScope(deps.orgs, ctx, orgId);
  authorize(scope.actor, 'subjects.access');
  const at = deps.clock.now().toISOString();
  const updated = await deps.requests.startReport(
    orgId,
    requestId,
    { requestedBy: ctx.principal.userId, fileKey: reportKeyOf(orgId, requestId) },
    { at, action: 'request.report', actor: ctx.principal.userId },
    requestEvent(orgId, requestId, 'request.report', { type: stored.type }, auditActorOf(ctx)),
  );
  try {
    await deps.queue.send({ kind: 'request-report', orgId, requestId });
  } catch (error) {
    await deps.requests.abandonReport(orgId, requestId);
    throw error;
  }
  return caseOf(updated);
}
