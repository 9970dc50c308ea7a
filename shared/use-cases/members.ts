/**
 * Members of an organization. Adding, promoting, demoting or removing an owner is for owners
 * only; an organization always keeps at least one owner (409). Adding a member and changing a
 * member's role are grants (domain/grants.ts): the member may not end up with a permission, an
 * orchestration or a field access the caller lacks, only owners and admins assign `admin`, and
 * nobody raises their own role (403, nothing written).
 */
import type { Actor } from '../domain/authorization.ts';
import { NotFoundError, ValidationError } from '../domain/errors.ts';
import type { Membership } from '../domain/organization.ts';
import { isBuiltInRole } from '../domain/permissions.ts';
import type { RequestContext } from '../domain/principal.ts';
import type { Clock } from '../ports/clock.ts';
import type { OrchestrationStore } from '../ports/orchestrations.ts';
import type { OrganizationStore } from '../ports/organizations.ts';
import { auditEntry, authorize, authorizeGrant, resolveScope } from './org-access.ts';

export interface MemberDeps {
  readonly orgs: OrganizationStore;
  readonly clock: Clock;
}

/** Adding and changing members also needs the orchestrations, to judge what a role gives. */
export interface MemberGrantDeps extends MemberDeps {
  readonly orchestrations: OrchestrationStore;
}

export interface MemberView {
  readonly userId: string;
  readonly email: string;
  readonly role: string;
  readonly addedAt: string;
}

const memberView = (m: Membership): MemberView => ({
  userId: m.userId,
  email: m.email,
  role: m.role,
  addedAt: m.addedAt,
});

/** The member as the decision sees them holding `role` (a custom role that is gone grants nothing). */
async function holderOf(orgs: OrganizationStore, membership: Membership, role: string): Promise<Actor> {
  const next = { ...membership, role };
  if (isBuiltInRole(role)) return { membership: next };
  const customRole = await orgs.getRole(membership.orgId, role);
  return customRole === undefined ? { membership: next } : { membership: next, customRole };
}

/** The same for a role being given: it must be built in or exist (400 otherwise). */
async function givenRole(orgs: OrganizationStore, membership: Membership, role: string): Promise<Actor> {
  const holder = await holderOf(orgs, membership, role);
  if (!isBuiltInRole(role) && holder.customRole === undefined) {
    throw new ValidationError('Unknown role', [
      { path: 'body.role', message: 'No such role in this organization' },
    ]);
  }
  return holder;
}

export async function listMembers(
  deps: MemberDeps,
  ctx: RequestContext,
  orgId: string,
): Promise<MemberView[]> {
  const { actor } = await resolveScope(deps.orgs, ctx, orgId);
  authorize(actor, 'members.read');
  const members = await deps.orgs.listMembers(orgId);
  return members.map(memberView);
}

export async function addMember(
  deps: MemberGrantDeps,
  ctx: RequestContext,
  orgId: string,
  input: { userId: string; email: string; role: string },
): Promise<MemberView> {
  const { actor } = await resolveScope(deps.orgs, ctx, orgId);
  authorize(actor, input.role === 'owner' ? 'owners.manage' : 'members.manage');
  const member: Membership = {
    orgId,
    userId: input.userId,
    email: input.email,
    role: input.role,
    addedAt: deps.clock.now().toISOString(),
    addedBy: ctx.principal.userId,
  };
  const added = await givenRole(deps.orgs, member, input.role);
  const orchestrations = await deps.orchestrations.list(orgId);
  authorizeGrant({ actor, orchestrations }, [{ after: { actor: added, orchestrations } }]);
  await deps.orgs.addMember(
    member,
    auditEntry(ctx, {
      orgId,
      action: 'member.add',
      resource: { type: 'member', id: input.userId },
      changes: { fields: ['role', 'email'], values: { role: input.role } },
    }),
  );
  return memberView(member);
}

export async function changeMemberRole(
  deps: MemberGrantDeps,
  ctx: RequestContext,
  orgId: string,
  userId: string,
  input: { role: string },
): Promise<MemberView> {
  const { actor } = await resolveScope(deps.orgs, ctx, orgId);
  authorize(actor, 'members.manage');
  const target = await deps.orgs.getMember(orgId, userId);
  if (target === undefined) throw new NotFoundError('member');
  if (target.role === 'owner' || input.role === 'owner') authorize(actor, 'owners.manage');
  const [before, after, orchestrations] = await Promise.all([
    holderOf(deps.orgs, target, target.role),
    givenRole(deps.orgs, target, input.role),
    deps.orchestrations.list(orgId),
  ]);
  authorizeGrant({ actor, orchestrations }, [
    { before: { actor: before, orchestrations }, after: { actor: after, orchestrations } },
  ]);
  const updated = await deps.orgs.changeRole(
    orgId,
    userId,
    target.role,
    input.role,
    auditEntry(ctx, {
      orgId,
      action: 'member.update',
      resource: { type: 'member', id: userId },
      changes: { fields: ['role'], values: { role: input.role } },
    }),
  );
  return memberView(updated);
}

export async function removeMember(
  deps: MemberDeps,
  ctx: RequestContext,
  orgId: string,
  userId: string,
): Promise<void> {
  const { actor } = await resolveScope(deps.orgs, ctx, orgId);
  const leaving = userId === ctx.principal.userId;
  if (!leaving) authorize(actor, 'members.manage');
  const target = await deps.orgs.getMember(orgId, userId);
  if (target === undefined) throw new NotFoundError('member');
  if (target.role === 'owner' && !leaving) authorize(actor, 'owners.manage');
  await deps.orgs.removeMember(
    target,
    auditEntry(ctx, {
      orgId,
      action: 'member.remove',
      resource: { type: 'member', id: userId },
      changes: { fields: ['role'] },
    }),
  );
}
