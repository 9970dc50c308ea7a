/**
 * The one authorization decision: (principal's membership, action, resource) → decision.
 * Deny by default. A resource the caller may not see is `hidden` (answered as 404, the same as a
 * missing one); a visible resource without the permission is `denied` (403).
 */
import type { CustomRole, Membership } from './organization.ts';
import type { FieldDefinition, Job, Orchestration } from './orchestration.ts';
import { BUILT_IN_PERMISSIONS, isBuiltInRole, type FieldAccess, type Permission } from './permissions.ts';

export type Action =
  | 'org.read'
  | 'org.update'
  | 'org.delete'
  | 'members.read'
  | 'members.manage'
  | 'owners.manage'
  | 'roles.read'
  | 'roles.manage'
  | 'orchestrations.read'
  | 'orchestrations.manage'
  | 'jobs.create'
  | 'jobs.read'
  | 'jobs.update'
  | 'jobs.delete'
  | 'jobs.export'
  | 'jobs.share'
  | 'records.restrict'
  | 'records.hold'
  | 'subjects.access'
  | 'subjects.erase'
  | 'audit.read'
  | 'backups.create'
  | 'keys.rotate'
  | 'extensions.read'
  | 'extensions.manage'
  | 'processing.record'
  | 'incidents.scope'
  | 'requests.manage';

/** The caller as seen inside one organization. */
export interface Actor {
  readonly membership: Membership;
  /** The custom role, when `membership.role` names one. */
  readonly customRole?: CustomRole;
}

export type Resource =
  | { readonly kind: 'org' }
  | { readonly kind: 'orchestration'; readonly orchestration: Orchestration }
  | { readonly kind: 'job'; readonly orchestration: Orchestration; readonly job: Job };

/** fieldId → access, for every field of the orchestration in question. */
export type FieldMask = Readonly<Record<string, FieldAccess>>;

export type Decision =
  | { readonly effect: 'allow'; readonly fieldMask: FieldMask }
  | { readonly effect: 'denied'; readonly reason: string }
  | { readonly effect: 'hidden' };

/** Actions only owners may take, whatever role or permission someone else holds. */
const OWNER_ONLY: ReadonlySet<Action> = new Set([
  'org.delete',
  'owners.manage',
  'backups.create',
  'keys.rotate',
  'incidents.scope',
]);

/** Actions any member may take on the organization itself. */
const EVERY_MEMBER: ReadonlySet<Action> = new Set([
  'org.read',
  'members.read',
  'roles.read',
  'orchestrations.read',
  'extensions.read',
]);

/** Which permission an organization-level action needs. */
const ACTION_PERMISSION: Partial<Record<Action, Permission>> = {
  'org.update': 'org.update',
  'members.manage': 'members.manage',
  'roles.manage': 'roles.manage',
  'orchestrations.manage': 'orchestrations.manage',
  'jobs.export': 'jobs.export',
  'records.restrict': 'records.restrict',
  'records.hold': 'records.hold',
  'subjects.access': 'subjects.access',
  'subjects.erase': 'subjects.erase',
  'audit.read': 'audit.read',
  'extensions.manage': 'extensions.manage',
  'requests.manage': 'requests.manage',
};

export function permissionsOf(actor: Actor): ReadonlySet<Permission> {
  const role = actor.membership.role;
  if (isBuiltInRole(role)) return BUILT_IN_PERMISSIONS[role];
  return new Set(actor.customRole?.permissions ?? []);
}

export function isOwner(actor: Actor): boolean {
  return actor.membership.role === 'owner';
}

function isOwnerOrAdmin(actor: Actor): boolean {
  return actor.membership.role === 'owner' || actor.membership.role === 'admin';
}

/** Orchestration access limits: owners and admins always pass; others must be listed. */
export function canSeeOrchestration(actor: Actor, orchestration: Orchestration): boolean {
  if (isOwnerOrAdmin(actor) || orchestration.access === undefined) return true;
  const { roles, users } = orchestration.access;
  return roles.includes(actor.membership.role) || users.includes(actor.membership.userId);
}

/** The access the actor has to each field of an orchestration. */
export function fieldMaskFor(actor: Actor, orchestration: Orchestration): FieldMask {
  const configured = isBuiltInRole(actor.membership.role)
    ? undefined
    : actor.customRole?.fieldPermissions[orchestration.orchestrationId];
  const mask: Record<string, FieldAccess> = {};
  for (const field of orchestration.fields) mask[field.id] = configured?.[field.id] ?? 'write';
  return mask;
}

const allow = (fieldMask: FieldMask = {}): Decision => ({ effect: 'allow', fieldMask });
const deny = (reason: string): Decision => ({ effect: 'denied', reason });

export function decide(actor: Actor, action: Action, resource: Resource): Decision {
  const permissions = permissionsOf(actor);

  if (resource.kind !== 'org' && !canSeeOrchestration(actor, resource.orchestration))
    return { effect: 'hidden' };

  if (OWNER_ONLY.has(action)) return isOwner(actor) ? allow() : deny('Only an owner may do this');
  // The record lays out the security measures (encryption, access limits): built-in roles that run the organization only.
  if (action === 'processing.record')
    return isOwnerOrAdmin(actor) ? allow() : deny('The record of processing is for owners and admins');
  if (action === 'audit.read')
    return isOwner(actor) || permissions.has('audit.read')
      ? allow()
      : deny('Reading the audit log needs audit.read');

  if (resource.kind === 'org') {
    if (EVERY_MEMBER.has(action)) return allow();
    const needed = ACTION_PERMISSION[action];
    return needed !== undefined && permissions.has(needed)
      ? allow()
      : deny(`This needs the ${needed ?? action} permission`);
  }

  const mask = fieldMaskFor(actor, resource.orchestration);
  if (resource.kind === 'orchestration') {
    // `jobs.read` on an orchestration is listing its jobs; which ones, jobListScope says.
    if (action === 'orchestrations.read' || action === 'jobs.create' || action === 'jobs.read')
      return allow(mask);
    if (action === 'orchestrations.manage')
      return permissions.has('orchestrations.manage')
        ? allow(mask)
        : deny('This needs the orchestrations.manage permission');
    if (action === 'jobs.export')
      return permissions.has('jobs.export') ? allow(mask) : deny('This needs the jobs.export permission');
    return deny(`${action} does not apply to an orchestration`);
  }

  const ownsJob = resource.job.ownerId === actor.membership.userId;
  const canRead = ownsJob || permissions.has('jobs.read_all');
  switch (action) {
    case 'jobs.read':
      return canRead ? allow(mask) : { effect: 'hidden' };
    case 'jobs.update':
      if (!canRead) return { effect: 'hidden' };
      return ownsJob || permissions.has('jobs.write_all')
        ? allow(mask)
        : deny('Editing jobs of others needs jobs.write_all');
    case 'jobs.delete':
      if (!canRead) return { effect: 'hidden' };
      return permissions.has('jobs.delete') ? allow(mask) : deny('Deleting jobs needs jobs.delete');
    case 'jobs.export':
      if (!canRead) return { effect: 'hidden' };
      return ownsJob || permissions.has('jobs.export')
        ? allow(mask)
        : deny('Exporting jobs of others needs jobs.export');
    case 'jobs.share':
      if (!canRead) return { effect: 'hidden' };
      return permissions.has('extensions.manage')
        ? allow(mask)
        : deny('Sharing with an extension needs extensions.manage');
    case 'records.restrict':
      if (!canRead) return { effect: 'hidden' };
      return permissions.has('records.restrict')
        ? allow(mask)
        : deny('Restricting records needs records.restrict');
    case 'records.hold':
      if (!canRead) return { effect: 'hidden' };
      return permissions.has('records.hold')
        ? allow(mask)
        : deny('Placing or lifting a legal hold needs records.hold');
    default:
      return deny(`${action} does not apply to a job`);
  }
}

/** Fields the mask lets the actor read (`read` or `write`). */
export function readableFields(fields: readonly FieldDefinition[], mask: FieldMask): FieldDefinition[] {
  return fields.filter((f) => (mask[f.id] ?? 'hidden') !== 'hidden');
}

/** Which jobs of a visible orchestration a list shows: all, or only those the actor owns. */
export function jobListScope(actor: Actor): 'all' | 'own' {
  return permissionsOf(actor).has('jobs.read_all') ? 'all' : 'own';
}

/** The first of `fieldIds` the mask does not let the actor write (hidden or read-only), if any. */
export function unwritableField(mask: FieldMask, fieldIds: Iterable<string>): string | undefined {
  for (const fieldId of fieldIds) if (mask[fieldId] !== 'write') return fieldId;
  return undefined;
}
