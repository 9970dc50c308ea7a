/**
 * Resolves who the caller is inside an organization and applies the authorization decision.
 * A non-member, an unknown organization and (for everyone but its owners) an organization pending
 * deletion all look the same: 404.
 */
import { decide, type Action, type Actor, type FieldMask, type Resource } from '../domain/authorization.ts';
import { ForbiddenError, NotFoundError } from '../domain/errors.ts';
import { decideGrant, type GrantChange, type Grantee } from '../domain/grants.ts';
import { isBuiltInRole } from '../domain/permissions.ts';
import type { RequestContext } from '../domain/principal.ts';
import type { AuditActor, AuditDraft, AuditEntry, AuditOutcome } from '../ports/audit.ts';
import type { Membership } from '../domain/organization.ts';
import type { OrganizationRecord, OrganizationStore } from '../ports/organizations.ts';
import { OrgCrypto } from '../domain/org-crypto.ts';
import type { Keys } from '../ports/keys.ts';

export interface OrgScope {
  readonly org: OrganizationRecord;
  readonly actor: Actor;
}

/** The organization's field crypto: its data keys, opened through KMS as they are needed. */
export function cryptoOf(deps: { readonly keys: Keys }, scope: Pick<OrgScope, 'org'>): OrgCrypto {
  return new OrgCrypto(deps.keys, scope.org.orgId, scope.org.wrappedKeys);
}

export async function resolveScope(
  orgs: OrganizationStore,
  ctx: RequestContext,
  orgId: string,
  options: { readonly ownersEvenIfClosed?: boolean } = {},
): Promise<OrgScope> {
  const { org, membership } = memberOfOpenOrg(
    await orgs.getWithMembership(orgId, ctx.principal.userId),
    options,
  );
  const roleId = customRoleOf(membership);
  if (roleId === undefined) return { org, actor: { membership } };
  const customRole = await orgs.getRole(orgId, roleId);
  return { org, actor: customRole === undefined ? { membership } : { membership, customRole } };
}

/** The organization and membership as read, or 404 for a non-member and an organization closed to the caller. */
export function memberOfOpenOrg(
  found: { readonly org: OrganizationRecord | undefined; readonly membership?: Membership | undefined },
  options: { readonly ownersEvenIfClosed?: boolean } = {},
): { readonly org: OrganizationRecord; readonly membership: Membership } {
  const { org, membership } = found;
  if (org === undefined || membership === undefined) throw new NotFoundError('organization');
  if (org.status !== 'active' && !(options.ownersEvenIfClosed === true && membership.role === 'owner')) {
    throw new NotFoundError('organization');
  }
  return { org, membership };
}

/** The custom role a membership names, to be read; undefined for the built-in roles. */
export const customRoleOf = (membership: Membership): string | undefined =>
  isBuiltInRole(membership.role) ? undefined : membership.role;

/** Applies the decision: the field mask when allowed, 403 when denied, 404 when hidden. */
export function authorize(actor: Actor, action: Action, resource: Resource = { kind: 'org' }): FieldMask {
  const decision = decide(actor, action, resource);
  if (decision.effect === 'allow') return decision.fieldMask;
  if (decision.effect === 'denied') throw new ForbiddenError(decision.reason);
  throw new NotFoundError(resource.kind === 'org' ? 'organization' : resource.kind);
}

/**
 * Applies the grant decision (domain/grants.ts) before anything is written: 403 when a change
 * would give anyone more than the granter holds. The 403 is audited as a refused call, like
 * every 403 (the API spine's security event).
 */
export function authorizeGrant(granter: Grantee, changes: readonly GrantChange[]): void {
  const decision = decideGrant(granter, changes);
  if (decision.effect === 'denied') throw new ForbiddenError(decision.reason);
}

export function auditActorOf(ctx: RequestContext): AuditActor {
  return {
    userId: ctx.principal.userId,
    email: ctx.principal.email,
    sourceIp: ctx.sourceIp,
    userAgent: ctx.userAgent,
    requestId: ctx.requestId,
  };
}

/**
 * The actor of steps taken through a link rather than by a signed-in user (a backup's download
 * link, a subject's request): pseudonymous, named by what the link opens, with no email.
 */
export function pseudonymousActor(
  userId: string,
  request: Pick<AuditActor, 'sourceIp' | 'userAgent' | 'requestId'>,
): AuditActor {
  return {
    userId,
    email: '',
    sourceIp: request.sourceIp,
    userAgent: request.userAgent,
    requestId: request.requestId,
  };
}

/** The actor of the clean-up cycle's own steps: a part of the system, named with the cycle's run. */
export const cycleActor = (userId: `system:${string}`, cycleId: string): AuditActor => ({
  userId,
  email: '',
  sourceIp: '',
  userAgent: 'custos-cleanup-cycle',
  requestId: cycleId,
});

/**
 * The audit draft of an attempt: `action` on `resource` with its outcome (done, refused as
 * `denied`, or a `failure`), what changed, any detail.
 */
export function outcomeDraft(outcome: AuditOutcome, draft: Omit<AuditDraft, 'outcome'>): AuditDraft {
  const { orgId, action, resource, ...more } = draft;
  return { orgId, action, resource, outcome, ...more };
}

/** The audit draft of what was done (a change, or a read that is audited). */
export const successDraft = (draft: Omit<AuditDraft, 'outcome'>): AuditDraft =>
  outcomeDraft('success', draft);

/** The audit entry of what the caller did: its draft (a success unless `outcome` says otherwise) and the caller as its actor. */
export function auditEntry(
  ctx: RequestContext,
  draft: Omit<AuditDraft, 'outcome'>,
  outcome: AuditOutcome = 'success',
): AuditEntry {
  return { draft: outcomeDraft(outcome, draft), actor: auditActorOf(ctx) };
}
