/**
 * Custom roles: a name, a set of permissions (API.md) and field permissions per orchestration
 * field. Field permissions must name orchestrations the caller sees and their fields; creating or
 * changing a role is a grant (domain/grants.ts), judged for the role itself and for every member
 * holding it, so `roles.manage` cannot widen a permission, a field access or an orchestration
 * beyond what its holder has; a role that members hold cannot be deleted (409).
 */
import { canSeeOrchestration, type Actor } from '../domain/authorization.ts';
import { ConflictError, NotFoundError, ValidationError, type FieldIssue } from '../domain/errors.ts';
import { roleHolder, type GrantChange } from '../domain/grants.ts';
import { newId } from '../domain/ids.ts';
import type { CustomRole } from '../domain/organization.ts';
import type { Orchestration } from '../domain/orchestration.ts';
import type { FieldAccess, Permission } from '../domain/permissions.ts';
import type { RequestContext } from '../domain/principal.ts';
import type { Clock } from '../ports/clock.ts';
import type { OrchestrationStore } from '../ports/orchestrations.ts';
import type { OrganizationStore } from '../ports/organizations.ts';
import type { RoleStore } from '../ports/roles.ts';
import { auditEntry, authorize, authorizeGrant, resolveScope } from './org-access.ts';

export interface RoleDeps {
  readonly orgs: OrganizationStore;
  readonly roles: RoleStore;
  readonly orchestrations: OrchestrationStore;
  readonly clock: Clock;
}

type FieldPermissions = Readonly<Record<string, Readonly<Record<string, FieldAccess>>>>;

export interface RoleInput {
  readonly name: string;
  readonly permissions: readonly Permission[];
  readonly fieldPermissions?: FieldPermissions | undefined;
}

export interface RolePatch {
  readonly name?: string | undefined;
  readonly permissions?: readonly Permission[] | undefined;
  readonly fieldPermissions?: FieldPermissions | undefined;
}

export interface RoleView {
  readonly roleId: string;
  readonly name: string;
  readonly permissions: readonly Permission[];
  readonly fieldPermissions: FieldPermissions;
  readonly createdAt: string;
  readonly updatedAt: string;
}

const roleView = (r: CustomRole): RoleView => ({
  roleId: r.roleId,
  name: r.name,
  permissions: r.permissions,
  fieldPermissions: r.fieldPermissions,
  createdAt: r.createdAt,
  updatedAt: r.updatedAt,
});

/** Field permissions may name only orchestrations the caller sees (others look unknown) and their fields. */
function assertFieldsExist(
  actor: Actor,
  orchestrations: readonly Orchestration[],
  fieldPermissions: FieldPermissions,
): void {
  const entries = Object.entries(fieldPermissions);
  if (entries.length === 0) return;
  const visible = orchestrations.filter((o) => canSeeOrchestration(actor, o));
  const byId = new Map(visible.map((o) => [o.orchestrationId, new Set(o.fields.map((f) => f.id))]));
  const issues: FieldIssue[] = [];
  for (const [orchestrationId, fields] of entries) {
    const known = byId.get(orchestrationId);
    if (known === undefined) {
      issues.push({
        path: `body.fieldPermissions.${orchestrationId}`,
        message: 'No such orchestration in this organization',
      });
      continue;
    }
    for (const fieldId of Object.keys(fields)) {
      if (!known.has(fieldId))
        issues.push({
          path: `body.fieldPermissions.${orchestrationId}.${fieldId}`,
          message: 'No such field in this orchestration',
        });
    }
  }
  if (issues.length > 0)
    throw new ValidationError('Field permissions name unknown orchestrations or fields', issues);
}

const unique = <T>(items: readonly T[]): T[] => [...new Set(items)];

export async function listRoles(deps: RoleDeps, ctx: RequestContext, orgId: string): Promise<RoleView[]> {
  const { actor } = await resolveScope(deps.orgs, ctx, orgId);
  authorize(actor, 'roles.read');
  const roles = await deps.roles.list(orgId);
  return roles.map(roleView).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

export async function createRole(
  deps: RoleDeps,
  ctx: RequestContext,
  orgId: string,
  input: RoleInput,
): Promise<RoleView> {
  const { actor } = await resolveScope(deps.orgs, ctx, orgId);
  authorize(actor, 'roles.manage');
  const permissions = unique(input.permissions);
  const fieldPermissions = input.fieldPermissions ?? {};
  const orchestrations = await deps.orchestrations.list(orgId);
  assertFieldsExist(actor, orchestrations, fieldPermissions);
  const now = deps.clock.now().toISOString();
  const role: CustomRole = {
    orgId,
    roleId: newId(),
    name: input.name,
    permissions,
    fieldPermissions,
    createdAt: now,
    updatedAt: now,
  };
  authorizeGrant({ actor, orchestrations }, [{ after: { actor: roleHolder(role), orchestrations } }]);
  await deps.roles.create(
    role,
    auditEntry(ctx, {
      orgId,
      action: 'role.create',
      resource: { type: 'role', id: role.roleId },
      changes: {
        fields: ['name', 'permissions', 'fieldPermissions'],
        values: { name: role.name, permissions: permissions.join(',') },
      },
    }),
  );
  return roleView(role);
}

export async function updateRole(
  deps: RoleDeps,
  ctx: RequestContext,
  orgId: string,
  roleId: string,
  patch: RolePatch,
): Promise<RoleView> {
  const { actor } = await resolveScope(deps.orgs, ctx, orgId);
  authorize(actor, 'roles.manage');
  const current = await deps.roles.get(orgId, roleId);
  if (current === undefined) throw new NotFoundError('role');
  const permissions = patch.permissions === undefined ? current.permissions : unique(patch.permissions);
  const orchestrations = await deps.orchestrations.list(orgId);
  if (patch.fieldPermissions !== undefined) assertFieldsExist(actor, orchestrations, patch.fieldPermissions);
  const next: CustomRole = {
    ...current,
    name: patch.name ?? current.name,
    permissions,
    fieldPermissions: patch.fieldPermissions ?? current.fieldPermissions,
    updatedAt: deps.clock.now().toISOString(),
  };
  // The role itself (for whoever is given it later) and each member holding it now.
  const holders = (await deps.orgs.listMembers(orgId)).filter((m) => m.role === roleId);
  const changes: GrantChange[] = [
    {
      before: { actor: roleHolder(current), orchestrations },
      after: { actor: roleHolder(next), orchestrations },
    },
    ...holders.map((membership) => ({
      before: { actor: { membership, customRole: current }, orchestrations },
      after: { actor: { membership, customRole: next }, orchestrations },
    })),
  ];
  authorizeGrant({ actor, orchestrations }, changes);
  const changed = (['name', 'permissions', 'fieldPermissions'] as const).filter(
    (key) => patch[key] !== undefined,
  );
  await deps.roles.update(
    next,
    current.updatedAt,
    auditEntry(ctx, {
      orgId,
      action: 'role.update',
      resource: { type: 'role', id: roleId },
      changes: {
        fields: changed,
        values: {
          ...(patch.name === undefined ? {} : { name: next.name }),
          ...(patch.permissions === undefined ? {} : { permissions: permissions.join(',') }),
        },
      },
    }),
  );
  return roleView(next);
}

/**
 * Refused while a member holds the role. The check reads the members before the delete; a member
 * added with the role in between would be left holding an unknown role, which grants nothing
 * (resolveScope treats it as a role without permissions), so the race fails closed.
 */
export async function deleteRole(
  deps: RoleDeps,
  ctx: RequestContext,
  orgId: string,
  roleId: string,
): Promise<void> {
  const { actor } = await resolveScope(deps.orgs, ctx, orgId);
  authorize(actor, 'roles.manage');
  const current = await deps.roles.get(orgId, roleId);
  if (current === undefined) throw new NotFoundError('role');
  const holders = (await deps.orgs.listMembers(orgId)).filter((m) => m.role === roleId).length;
  if (holders > 0)
    throw new ConflictError(
      `The role is held by ${holders} member(s); give them another role first`,
      'role-in-use',
    );
  await deps.roles.delete(
    orgId,
    roleId,
    auditEntry(ctx, {
      orgId,
      action: 'role.delete',
      resource: { type: 'role', id: roleId },
      changes: { fields: ['name', 'permissions', 'fieldPermissions'] },
    }),
  );
}
