/** Organizations, members and the caller themself. */
import { keyRoutes } from '../../shared/api/routes/keys.ts';
import { orgRoutes } from '../../shared/api/routes/orgs.ts';
import { roleRoutes } from '../../shared/api/routes/roles.ts';
import { apiHandler } from '../../shared/http/api-handler.ts';
import { createTokenVerifier } from '../../shared/http/token-verifier.ts';
import { accepted, created, noContent, ok } from '../../shared/http/http-result.ts';
import { operation } from '../../shared/http/operation.ts';
import * as services from '../../shared/services.ts';
import { addMember, changeMemberRole, listMembers, removeMember } from '../../shared/use-cases/members.ts';
import { describeMe } from '../../shared/use-cases/me.ts';
import { deleteMyAccount } from '../../shared/use-cases/account-deletion.ts';
import { rotateOrganizationKey } from '../../shared/use-cases/key-rotation.ts';
import {
  cancelOrganizationDeletion,
  requestOrganizationDeletion,
} from '../../shared/use-cases/org-deletion.ts';
import { createRole, deleteRole, listRoles, updateRole } from '../../shared/use-cases/roles.ts';
import {
  createOrganization,
  getOrganization,
  listMyOrganizations,
  updateOrganization,
} from '../../shared/use-cases/organizations.ts';
import { pageList } from '../../shared/use-cases/page-list.ts';

const r = orgRoutes;
const deps = services.atColdStart(() => ({
  orgs: services.orgs(),
  keys: services.keys(),
  clock: services.clock(),
}));
/** Adding a member or changing a role is a grant, judged over the orchestrations. */
const memberGrantDeps = services.atColdStart(() => ({
  ...deps(),
  orchestrations: services.orchestrations(),
}));
const deletionDeps = services.atColdStart(() => ({
  orgs: services.orgs(),
  queue: services.deletionQueue(),
  clock: services.clock(),
}));
const cursors = services.cursors();
const meDeps = services.atColdStart(() => ({
  orgs: services.orgs(),
  jobs: services.jobs(),
  auditLog: services.auditLog(),
}));
const accountDeletionDeps = services.atColdStart(() => ({
  ...deletionDeps(),
  marker: services.tenantSweeper(),
}));
const roleDeps = services.atColdStart(() => ({
  orgs: services.orgs(),
  roles: services.roles(),
  orchestrations: services.orchestrations(),
  clock: services.clock(),
}));

export const operations = [
  operation(r.createOrg, async ({ ctx, body }) => created(await createOrganization(deps(), ctx, body))),
  operation(r.listOrgs, async ({ ctx, query, cursorScope }) =>
    ok(pageList(await listMyOrganizations(deps(), ctx), (o) => o.orgId, query, cursors, cursorScope)),
  ),
  operation(r.getOrg, async ({ ctx, params }) => ok(await getOrganization(deps(), ctx, params.orgId))),
  operation(r.updateOrg, async ({ ctx, params, body }) =>
    ok(await updateOrganization(deps(), ctx, params.orgId, body)),
  ),
  operation(r.listMembers, async ({ ctx, params, query, cursorScope }) =>
    ok(pageList(await listMembers(deps(), ctx, params.orgId), (m) => m.userId, query, cursors, cursorScope)),
  ),
  operation(r.addMember, async ({ ctx, params, body }) =>
    created(await addMember(memberGrantDeps(), ctx, params.orgId, body)),
  ),
  operation(r.changeMember, async ({ ctx, params, body }) =>
    ok(await changeMemberRole(memberGrantDeps(), ctx, params.orgId, params.userId, body)),
  ),
  operation(r.removeMember, async ({ ctx, params }) => {
    await removeMember(deps(), ctx, params.orgId, params.userId);
    return noContent();
  }),
  operation(r.me, async ({ ctx }) => ok(await describeMe(meDeps(), ctx))),
  operation(r.deleteOrg, async ({ ctx, params }) =>
    accepted(await requestOrganizationDeletion(deletionDeps(), ctx, params.orgId)),
  ),
  operation(r.cancelOrgDeletion, async ({ ctx, params }) =>
    ok(await cancelOrganizationDeletion(deletionDeps(), ctx, params.orgId)),
  ),
  operation(r.deleteMe, async ({ ctx }) => accepted(await deleteMyAccount(accountDeletionDeps(), ctx))),
  operation(keyRoutes.rotateKey, async ({ ctx, params }) =>
    ok(await rotateOrganizationKey(deps(), ctx, params.orgId)),
  ),
  operation(roleRoutes.listRoles, async ({ ctx, params, query, cursorScope }) =>
    ok(
      pageList(
        await listRoles(roleDeps(), ctx, params.orgId),
        (role) => role.roleId,
        query,
        cursors,
        cursorScope,
      ),
    ),
  ),
  operation(roleRoutes.createRole, async ({ ctx, params, body }) =>
    created(await createRole(roleDeps(), ctx, params.orgId, body)),
  ),
  operation(roleRoutes.updateRole, async ({ ctx, params, body }) =>
    ok(await updateRole(roleDeps(), ctx, params.orgId, params.roleId, body)),
  ),
  operation(roleRoutes.deleteRole, async ({ ctx, params }) => {
    await deleteRole(roleDeps(), ctx, params.orgId, params.roleId);
    return noContent();
  }),
];

export const handler = apiHandler('api-orgs', operations, {
  verifier: createTokenVerifier(),
  onSecurityEvent: services.recordSecurityEvent,
});
