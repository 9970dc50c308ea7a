/**
 * The worker acts for the member who asked, re-evaluated when it runs: their membership, role and
 * field masks as they are now (a role narrowed since the request narrows the file; a member
 * removed since, or an organization closed since, ends the work with 404 semantics).
 */
import type { RequestContext } from '../domain/principal.ts';
import type { AuditActor } from '../ports/audit.ts';
import type { OrganizationStore } from '../ports/organizations.ts';
import { resolveScope, type OrgScope } from './org-access.ts';

export const WORKER_USER_AGENT = 'custos-portability-worker';

export interface Requester {
  readonly scope: OrgScope;
  /** The requester as the audit log records the worker's events for them. */
  readonly auditActor: AuditActor;
}

export async function requesterScope(
  orgs: OrganizationStore,
  orgId: string,
  userId: string,
  requestId: string,
): Promise<Requester> {
  const ctx: RequestContext = {
    principal: { userId, email: '' },
    requestId,
    sourceIp: '',
    userAgent: WORKER_USER_AGENT,
  };
  const scope = await resolveScope(orgs, ctx, orgId);
  return {
    scope,
    auditActor: {
      userId,
      email: scope.actor.membership.email,
      sourceIp: '',
      userAgent: WORKER_USER_AGENT,
      requestId,
    },
  };
}
