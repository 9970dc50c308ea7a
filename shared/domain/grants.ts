/**
 * No one grants what they do not hold (API.md, "Roles and permissions"). The one decision every
 * path that gives access calls: creating or changing a custom role (its permissions and field
 * permissions), adding a member, changing a member's role, changing an orchestration's access.
 *
 * What a principal holds is its permissions, the orchestrations it sees and its access to each
 * of their fields (hidden < read < write). A change is judged by what it gives each principal it
 * affects: anything held after it and not before must be held by the granter too, so no sequence
 * of grants ends with more than its granters held. Besides: only owners make owners, only owners
 * and admins assign `admin`, and nobody raises their own role. Pure: the use cases load what the
 * decision needs on every request (grants are never cached) and write nothing when it refuses.
 */
import {
  canSeeOrchestration,
  fieldMaskFor,
  isOwner,
  permissionsOf,
  type Actor,
  type FieldMask,
} from './authorization.ts';
import type { CustomRole } from './organization.ts';
import type { Orchestration } from './orchestration.ts';
import { FIELD_ACCESS, type FieldAccess, type Permission } from './permissions.ts';

/** What a principal holds: its permissions, and the field mask of every orchestration it sees. */
export interface Holding {
  readonly permissions: ReadonlySet<Permission>;
  readonly orchestrations: ReadonlyMap<string, FieldMask>;
}

/** A principal as the decision sees it: who, and the orchestrations to judge its access by. */
export interface Grantee {
  readonly actor: Actor;
  readonly orchestrations: readonly Orchestration[];
}

/** One principal a change affects; without `before` it held nothing (a new member or role). */
export interface GrantChange {
  readonly before?: Grantee;
  readonly after: Grantee;
}

export type GrantDecision =
  { readonly effect: 'allow' } | { readonly effect: 'denied'; readonly reason: string };

export function holdingOf({ actor, orchestrations }: Grantee): Holding {
  const visible = orchestrations.filter((o) => canSeeOrchestration(actor, o));
  return {
    permissions: permissionsOf(actor),
    orchestrations: new Map(visible.map((o) => [o.orchestrationId, fieldMaskFor(actor, o)])),
  };
}

/**
 * A custom role on its own, as the principal the role itself is: what any member given it will
 * hold (orchestration access listed by user aside, which is checked when that member is added).
 * An empty user id, which no real user has, keeps user listings out of it.
 */
export function roleHolder(role: CustomRole): Actor {
  return {
    membership: {
      orgId: role.orgId,
      userId: '',
      email: '',
      role: role.roleId,
      addedAt: role.createdAt,
      addedBy: '',
    },
    customRole: role,
  };
}

const level = (access: FieldAccess | undefined): number =>
  access === undefined ? -1 : FIELD_ACCESS.indexOf(access);

const RANK: Readonly<Record<string, number>> = { owner: 2, admin: 1 };
const rankOf = (actor: Actor | undefined): number =>
  actor === undefined ? -1 : (RANK[actor.membership.role] ?? 0);

/** The first thing `after` holds that neither `before` nor the granter held, in words for a 403. */
export function excessOf(granter: Holding, before: Holding | undefined, after: Holding): string | undefined {
  for (const permission of after.permissions) {
    if (before?.permissions.has(permission) !== true && !granter.permissions.has(permission))
      return `the ${permission} permission`;
  }
  for (const [orchestrationId, mask] of after.orchestrations) {
    const had = before?.orchestrations.get(orchestrationId);
    const mine = granter.orchestrations.get(orchestrationId);
    const raised = Object.entries(mask).filter(([fieldId, access]) => level(access) > level(had?.[fieldId]));
    // An orchestration the granter does not see is not named: its id is not theirs to learn.
    if (mine === undefined) {
      if (had === undefined || raised.length > 0) return 'access to an orchestration you do not see';
      continue;
    }
    const beyond = raised.find(([fieldId, access]) => level(access) > level(mine[fieldId]));
    if (beyond !== undefined)
      return `${beyond[1]} access to field ${beyond[0]} of orchestration ${orchestrationId}`;
  }
  return undefined;
}

function judge(granter: Actor, grantersHolding: Holding, change: GrantChange): string | undefined {
  const before = change.before?.actor;
  const after = change.after.actor;
  const becomes = (role: string) => after.membership.role === role && before?.membership.role !== role;
  if (becomes('owner') && !isOwner(granter)) return 'Only an owner may make an owner';
  if (becomes('admin') && rankOf(granter) < RANK.admin!)
    return 'Only an owner or an admin may assign the admin role';
  const excess = excessOf(
    grantersHolding,
    change.before && holdingOf(change.before),
    holdingOf(change.after),
  );
  const self = after.membership.userId === granter.membership.userId;
  if (self && (rankOf(after) > rankOf(before) || excess !== undefined))
    return 'Nobody may raise their own role';
  return excess === undefined
    ? undefined
    : `You may grant only what you hold yourself: this would give ${excess}`;
}

/** Allowed when no change gives any principal more than the granter holds (and the role rules hold). */
export function decideGrant(granter: Grantee, changes: readonly GrantChange[]): GrantDecision {
  const holding = holdingOf(granter);
  for (const change of changes) {
    const reason = judge(granter.actor, holding, change);
    if (reason !== undefined) return { effect: 'denied', reason };
  }
  return { effect: 'allow' };
}
