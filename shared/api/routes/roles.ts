import { FIELD_ACCESS, PERMISSIONS } from '../../domain/permissions.ts';
import * as z from 'zod/mini';
import { id, label, listQuery, pageOf } from '../schemas.ts';
import type { RouteDefinition } from '../route.ts';
import { fieldId } from './orchestrations.ts';

const orgParams = z.object({ orgId: id });
const roleParams = z.object({ orgId: id, roleId: id });

const permissions = z.array(z.enum(PERMISSIONS)).check(z.maxLength(PERMISSIONS.length * 2));
/** orchestrationId → fieldId → `hidden` | `read` | `write`; fields not listed are writable. */
const fieldPermissions = z.record(id, z.record(fieldId, z.enum(FIELD_ACCESS)));

export const role = z
  .object({
    roleId: z.string(),
    name: z.string(),
    permissions: z.array(z.string()),
    fieldPermissions: z.record(z.string(), z.record(z.string(), z.enum(FIELD_ACCESS))),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .check(z.meta({ id: 'Role' }));

export const createRoleBody = z.strictObject({
  name: label(100),
  permissions,
  fieldPermissions: z.optional(fieldPermissions),
});
export const updateRoleBody = z
  .strictObject({
    name: z.optional(label(100)),
    permissions: z.optional(permissions),
    fieldPermissions: z.optional(fieldPermissions),
  })
  .check(z.refine((b) => Object.values(b).some((v) => v !== undefined), 'Nothing to change'));

export const roleRoutes = {
  listRoles: {
    method: 'GET',
    operationId: 'listRoles',
    path: '/v1/orgs/{orgId}/roles',
    fn: 'api-orgs',
    tag: 'Roles',
    summary: 'Custom roles of the organization',
    auth: 'jwt',
    params: orgParams,
    query: listQuery,
    status: 200,
    response: pageOf(role),
  },
  createRole: {
    method: 'POST',
    operationId: 'createRole',
    path: '/v1/orgs/{orgId}/roles',
    fn: 'api-orgs',
    tag: 'Roles',
    summary:
      'Create a custom role (roles.manage). No one grants what they do not hold: 403 when it gives a permission, or a field access (hidden < read < write; fields not listed are write), beyond your own; field permissions must name orchestrations you see and their fields (400)',
    auth: 'jwt',
    params: orgParams,
    body: createRoleBody,
    status: 201,
    response: role,
    audit: 'role.create',
    example: {
      name: 'Support desk',
      permissions: ['jobs.read_all', 'jobs.write_all'],
      fieldPermissions: { '01JF6Q0Y7W3V5T8N2M4K6H8G0D': { customer_phone: 'hidden' } },
    },
  },
  updateRole: {
    method: 'PATCH',
    operationId: 'updateRole',
    path: '/v1/orgs/{orgId}/roles/{roleId}',
    fn: 'api-orgs',
    tag: 'Roles',
    summary:
      'Change a custom role (roles.manage); 403 when the change gives the role, or a member holding it, a permission or field access beyond your own',
    auth: 'jwt',
    params: roleParams,
    body: updateRoleBody,
    status: 200,
    response: role,
    audit: 'role.update',
    example: { permissions: ['jobs.read_all'] },
  },
  deleteRole: {
    method: 'DELETE',
    operationId: 'deleteRole',
    path: '/v1/orgs/{orgId}/roles/{roleId}',
    fn: 'api-orgs',
    tag: 'Roles',
    summary: 'Delete a custom role (roles.manage); 409 while members hold it',
    auth: 'jwt',
    params: roleParams,
    status: 204,
    audit: 'role.delete',
    answers: { 409: 'Members hold the role (`/role-in-use`), or it changed at the same time' },
  },
} as const satisfies Record<string, RouteDefinition>;
