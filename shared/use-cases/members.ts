/**
 * Members of an organization. Adding, promoting, demoting or removing an owner is for owners
 * only; an organization always keeps at least one owner (409).
 */
import { NotFoundError, ValidationError } from '../domain/errors.ts';
import type { Membership } from '../domain/organization.ts';
import { isBuiltInRole } from '../domain/permissions.ts';
import type { RequestContext } from '../domain/principal.ts';
import type { Clock } from '../ports/clock.ts';
import type { OrganizationStore } from '../ports/organizations.ts';
import { auditActorOf, authorize, resolveScope } from './org-access.ts';

export interface MemberDeps {
  readonly orgs: OrganizationStore;
  readonly clock: Clock;
}

export interface MemberView {
  readonly userId: string;
  readonly email: string;
  readonly role: string;
  readonly addedAt: string;
}

const memberView = (m: Membership): MemberView => ({ userId: m.userId, email: m.email, role: m.role, addedAt: m.addedAt });

async function assertRoleExists(orgs: OrganizationStore, orgId: string, role: string): Promise<void> {
  if (isBuiltInRole(role)) return;
  if ((await orgs.getRole(orgId, role)) === undefined) {
    throw new ValidationError('Unknown role', [{ path: 'body.role', message: 'No such role in this organization' }]);
  }
}

export async function listMembers(deps: MemberDeps, ctx: RequestContext, orgId: string): Promise<MemberView[]> {
  const { actor } = await resolveScope(deps.orgs, ctx, orgId);
  authorize(actor, 'members.read');
  const members = await deps.orgs.listMembers(orgId);
  return members.map(memberView);
}

export async function addMember(
  deps: MemberDeps,
  ctx: RequestContext,
  orgId: string,
  input: { userId: string; email: string; role: string },
): Promise<MemberView> {
  const { actor } = await resolveScope(deps.orgs, ctx, orgId);
  authorize(actor, input.role === 'owner' ? 'owners.manage' : 'members.manage');
  await assertRoleExists(deps.orgs, orgId, input.role);
  const member: Membership = {
    orgId,
    userId: input.userId,
    email: input.email,
    role: input.role,
    addedAt: deps.clock.now().toISOString(),
    addedBy: ctx.principal.userId,
  };
  await deps.orgs.addMember(member, {
    draft: { orgId, action: 'member.add', resource: { type: 'member', id: input.userId }, outcome: 'success', changes: { fields: ['role', 'email'], values: { role: input.role } } },
    actor: auditActorOf(ctx),
  });
  return memberView(member);
}

export async function changeMemberRole(
  deps: MemberDeps,
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
  await assertRoleExists(deps.orgs, orgId, input.role);
  const updated = await deps.orgs.changeRole(orgId, userId, target.role, input.role, {
    draft: {
      orgId,
      action: 'member.update',
      resource: { type: 'member', id: userId },
      outcome: 'success',
      changes: { fields: ['role'], values: { role: input.role } },
    },
    actor: auditActorOf(ctx),
  });
  return memberView(updated);
}

export async function removeMember(deps: MemberDeps, ctx: RequestContext, orgId: string, userId: string): Promise<void> {
  const { actor } = await resolveScope(deps.orgs, ctx, orgId);
  const leaving = userId === ctx.principal.userId;
  if (!leaving) authorize(actor, 'members.manage');
  const target = await deps.orgs.getMember(orgId, userId);
  if (target === undefined) throw new NotFoundError('member');
  if (target.role === 'owner' && !leaving) authorize(actor, 'owners.manage');
  await deps.orgs.removeMember(target, {
    draft: { orgId, action: 'member.remove', resource: { type: 'member', id: userId }, outcome: 'success', changes: { fields: ['role'] } },
    actor: auditActorOf(ctx),
  });
}
