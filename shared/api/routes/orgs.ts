import * as z from 'zod/mini';
import { email, id, label, listQuery, pageOf, userId } from '../schemas.ts';
import type { RouteDefinition } from '../route.ts';

const orgParams = z.object({ orgId: id });
const memberParams = z.object({ orgId: id, userId });

export const organization = z
  .object({
    orgId: z.string(),
    name: z.string(),
    status: z.enum(['active', 'pending_deletion', 'deleting']),
    createdAt: z.string(),
    updatedAt: z.string(),
    role: z.optional(z.string()).check(z.meta({ description: "The caller's role in the organization" })),
    requestIntake: z.optional(z.boolean()).check(
      z.meta({
        description:
          'Whether the public intake of data subject requests is open (POST /v1/orgs/{orgId}/requests)',
      }),
    ),
  })
  .check(z.meta({ id: 'Organization' }));

export const member = z
  .object({ userId: z.string(), email: z.string(), role: z.string(), addedAt: z.string() })
  .check(z.meta({ id: 'Member' }));

export const me = z
  .object({
    userId: z.string(),
    email: z.string(),
    memberships: z.array(
      z.object({
        orgId: z.string(),
        organization: z.string().check(z.meta({ description: "The organization's name" })),
        role: z.string(),
        email: z.string(),
        addedAt: z.string(),
        addedBy: z.string(),
        jobsOwned: z.number().check(z.int()),
        auditEvents: z
          .number()
          .check(z.int(), z.meta({ description: 'Audit events the caller caused in the organization' })),
      }),
    ),
    auditEventsKeep: z
      .array(z.string())
      .check(z.meta({ description: 'What each audit event keeps about the actor' })),
  })
  .check(z.meta({ id: 'Me' }));

/** A deletion accepted for the next clean-up cycle. */
export const deletionAccepted = z
  .object({ status: z.literal('pending_deletion') })
  .check(z.meta({ id: 'DeletionAccepted' }));

/** A role is `owner`, `admin`, `member` or a custom role's id. */
const roleName = z.union([z.enum(['owner', 'admin', 'member']), id]);

export const createOrgBody = z.strictObject({ name: label() });
export const updateOrgBody = z
  .strictObject({ name: z.optional(label()), requestIntake: z.optional(z.boolean()) })
  .check(z.refine((b) => Object.keys(b).length > 0, 'Nothing to change'));
export const addMemberBody = z.strictObject({ userId, email, role: roleName });
export const changeMemberBody = z.strictObject({ role: roleName });

export const orgRoutes = {
  createOrg: {
    method: 'POST',
    operationId: 'createOrg',
    path: '/v1/orgs',
    fn: 'api-orgs',
    tag: 'Organizations',
    summary: 'Create an organization; the caller becomes its owner',
    auth: 'jwt',
    body: createOrgBody,
    status: 201,
    response: organization,
    audit: 'org.create',
    example: { name: 'Fixit Repairs' },
  },
  listOrgs: {
    method: 'GET',
    operationId: 'listOrgs',
    path: '/v1/orgs',
    fn: 'api-orgs',
    tag: 'Organizations',
    summary: "The caller's organizations",
    auth: 'jwt',
    query: listQuery,
    status: 200,
    response: pageOf(organization),
  },
  getOrg: {
    method: 'GET',
    operationId: 'getOrg',
    path: '/v1/orgs/{orgId}',
    fn: 'api-orgs',
    tag: 'Organizations',
    summary: 'One organization',
    auth: 'jwt',
    params: orgParams,
    status: 200,
    response: organization,
  },
  updateOrg: {
    method: 'PATCH',
    operationId: 'updateOrg',
    path: '/v1/orgs/{orgId}',
    fn: 'api-orgs',
    tag: 'Organizations',
    summary: "Rectify the organization's details",
    auth: 'jwt',
    params: orgParams,
    body: updateOrgBody,
    status: 200,
    response: organization,
    audit: 'org.update',
    example: { name: 'Fixit Repairs Ltd' },
  },
  listMembers: {
    method: 'GET',
    operationId: 'listMembers',
    path: '/v1/orgs/{orgId}/members',
    fn: 'api-orgs',
    tag: 'Members',
    summary: 'Members of the organization',
    auth: 'jwt',
    params: orgParams,
    query: listQuery,
    status: 200,
    response: pageOf(member),
  },
  addMember: {
    method: 'POST',
    operationId: 'addMember',
    path: '/v1/orgs/{orgId}/members',
    fn: 'api-orgs',
    tag: 'Members',
    summary:
      'Add a member (members.manage; owners only for owner). 403 when the role gives a permission, an orchestration or a field access the caller lacks, or is admin and the caller is neither owner nor admin',
    auth: 'jwt',
    params: orgParams,
    body: addMemberBody,
    status: 201,
    response: member,
    audit: 'member.add',
    example: { userId: 'mia', email: 'mia.member@example.com', role: 'member' },
  },
  changeMember: {
    method: 'PATCH',
    operationId: 'changeMember',
    path: '/v1/orgs/{orgId}/members/{userId}',
    fn: 'api-orgs',
    tag: 'Members',
    summary:
      "Change a member's role (members.manage; owners only to or from owner). 403 when the new role gives more than the caller holds, is admin and the caller is neither owner nor admin, or raises the caller's own role; 409 for the last owner",
    auth: 'jwt',
    params: memberParams,
    body: changeMemberBody,
    status: 200,
    response: member,
    audit: 'member.update',
    answers: {
      409: 'An organization always keeps at least one owner (`/last-owner`), or the member changed at the same time',
    },
    example: { role: 'admin' },
  },
  removeMember: {
    method: 'DELETE',
    operationId: 'removeMember',
    path: '/v1/orgs/{orgId}/members/{userId}',
    fn: 'api-orgs',
    tag: 'Members',
    summary: 'Remove a member',
    auth: 'jwt',
    params: memberParams,
    status: 204,
    audit: 'member.remove',
    answers: {
      409: 'An organization always keeps at least one owner (`/last-owner`), or the member changed at the same time',
    },
  },
  deleteOrg: {
    method: 'DELETE',
    operationId: 'deleteOrg',
    path: '/v1/orgs/{orgId}',
    fn: 'api-orgs',
    tag: 'Organizations',
    summary: 'Delete the organization (owner): closed at once, erased by the next clean-up cycle',
    auth: 'jwt',
    params: orgParams,
    status: 202,
    response: deletionAccepted,
    audit: 'org.delete',
  },
  cancelOrgDeletion: {
    method: 'POST',
    operationId: 'cancelOrgDeletion',
    path: '/v1/orgs/{orgId}/deletion/cancel',
    fn: 'api-orgs',
    tag: 'Organizations',
    summary: 'Cancel a pending deletion (owner), until a clean-up cycle has started on it',
    auth: 'jwt',
    params: orgParams,
    status: 200,
    response: organization,
    audit: 'org.delete_cancel',
    answers: {
      409: 'Not pending deletion (`/not-pending-deletion`), or a clean-up cycle has started on it (`/deletion-started`)',
    },
  },
  deleteMe: {
    method: 'DELETE',
    operationId: 'deleteMyAccount',
    path: '/v1/me',
    fn: 'api-orgs',
    tag: 'Me',
    summary:
      "Delete the caller's account: memberships removed now, identity pseudonymised in audit events by the clean-up cycle (409 while last owner)",
    auth: 'jwt',
    status: 202,
    response: deletionAccepted,
    audit: 'member.remove',
    answers: { 409: 'The caller is the last owner of an organization (`/last-owner`)' },
  },
  me: {
    method: 'GET',
    operationId: 'getMe',
    path: '/v1/me',
    fn: 'api-orgs',
    tag: 'Me',
    summary: "The caller's memberships and what is stored about them",
    auth: 'jwt',
    status: 200,
    response: me,
  },
} as const satisfies Record<string, RouteDefinition>;
