/**
 * How to call each audited route successfully, for the route-table-driven audit coverage test
 * (audit-coverage.test.ts). A capability that adds a route with `audit` set adds its entry here,
 * keyed by `METHOD /path`: given a fresh organization and its owner, seed what the call needs and
 * answer the call's params, query and body. A route without an entry fails the coverage test.
 */
import { jobRoutes } from '../../shared/api/routes/jobs.ts';
import { orchestrationRoutes } from '../../shared/api/routes/orchestrations.ts';
import { orgRoutes } from '../../shared/api/routes/orgs.ts';
import { portabilityRoutes } from '../../shared/api/routes/portability.ts';
import { roleRoutes } from '../../shared/api/routes/roles.ts';
import { routeKey, type RouteDefinition } from '../../shared/api/route.ts';
import { addMember, createJob, createOrchestration, createRole } from './api/fixtures.ts';
import { callRoute, newUser, type TestUser } from './api/invoke-route.ts';

export interface FixtureWorld {
  readonly orgId: string;
  readonly owner: TestUser;
}

export interface PreparedCall {
  readonly params?: Readonly<Record<string, string>>;
  readonly query?: Readonly<Record<string, string>>;
  readonly body?: unknown;
  /** The caller, when not the owner (e.g. the new organization's creator). */
  readonly as?: TestUser;
}

export type RouteFixture = (world: FixtureWorld) => Promise<PreparedCall>;

const key = (route: RouteDefinition): string => routeKey(route);

async function seededJob(world: FixtureWorld): Promise<{ orchestrationId: string; jobId: string }> {
  const orchestrationId = await createOrchestration(world.orgId, world.owner);
  const jobId = await createJob(world.orgId, orchestrationId, world.owner, { title: 'Claim', email: 'subject@example.test' });
  return { orchestrationId, jobId };
}

export const ROUTE_FIXTURES: Readonly<Record<string, RouteFixture>> = {
  [key(orgRoutes.createOrg)]: async () => ({ body: { name: 'Another org' } }),
  [key(orgRoutes.updateOrg)]: async ({ orgId }) => ({ params: { orgId }, body: { name: 'Renamed' } }),
  [key(orgRoutes.addMember)]: async ({ orgId }) => {
    const user = newUser('member');
    return { params: { orgId }, body: { userId: user.sub, email: user.email, role: 'member' } };
  },
  [key(orgRoutes.changeMember)]: async ({ orgId, owner }) => {
    const user = newUser('member');
    await addMember(orgId, owner, user, 'member');
    return { params: { orgId, userId: user.sub }, body: { role: 'admin' } };
  },
  [key(orgRoutes.removeMember)]: async ({ orgId, owner }) => {
    const user = newUser('member');
    await addMember(orgId, owner, user, 'member');
    return { params: { orgId, userId: user.sub } };
  },
  [key(orgRoutes.deleteOrg)]: async ({ orgId }) => ({ params: { orgId } }),
  [key(orgRoutes.cancelOrgDeletion)]: async ({ orgId, owner }) => {
    const deleted = await callRoute({ route: orgRoutes.deleteOrg, as: owner, params: { orgId } });
    if (deleted.status !== 202) throw new Error(`delete org: expected 202, got ${deleted.status}`);
    return { params: { orgId } };
  },
  [key(roleRoutes.createRole)]: async ({ orgId }) => ({ params: { orgId }, body: { name: 'Auditors', permissions: ['audit.read'] } }),
  [key(roleRoutes.updateRole)]: async ({ orgId, owner }) => {
    const roleId = await createRole(orgId, owner, { name: 'Auditors', permissions: ['audit.read'] });
    return { params: { orgId, roleId }, body: { name: 'Readers' } };
  },
  [key(roleRoutes.deleteRole)]: async ({ orgId, owner }) => {
    const roleId = await createRole(orgId, owner, { name: 'Auditors', permissions: ['audit.read'] });
    return { params: { orgId, roleId } };
  },
  [key(orchestrationRoutes.createOrchestration)]: async ({ orgId }) => ({
    params: { orgId },
    body: { name: 'Claims', stages: ['new', 'done'], fields: [{ id: 'title', label: 'Title', type: 'text' }] },
  }),
  [key(orchestrationRoutes.updateOrchestration)]: async ({ orgId, owner }) => {
    const orchestrationId = await createOrchestration(orgId, owner);
    return { params: { orgId, orchestrationId }, body: { name: 'Renamed claims' } };
  },
  [key(orchestrationRoutes.deleteOrchestration)]: async ({ orgId, owner }) => {
    const orchestrationId = await createOrchestration(orgId, owner);
    return { params: { orgId, orchestrationId } };
  },
  [key(jobRoutes.createJob)]: async (world) => {
    const orchestrationId = await createOrchestration(world.orgId, world.owner);
    return { params: { orgId: world.orgId, orchestrationId }, body: { fields: { title: 'Claim' } } };
  },
  [key(jobRoutes.updateJob)]: async (world) => {
    const { jobId } = await seededJob(world);
    return { params: { orgId: world.orgId, jobId }, body: { fields: { title: 'Rectified' } } };
  },
  [key(jobRoutes.deleteJob)]: async (world) => {
    const { jobId } = await seededJob(world);
    return { params: { orgId: world.orgId, jobId } };
  },
  [key(jobRoutes.transitionJob)]: async (world) => {
    const { jobId } = await seededJob(world);
    return { params: { orgId: world.orgId, jobId }, body: { stage: 'review' } };
  },
  [key(portabilityRoutes.createExport)]: async ({ orgId }) => ({ params: { orgId }, body: { format: 'csv' } }),
  [key(portabilityRoutes.createBackup)]: async ({ orgId }) => ({ params: { orgId }, body: { password: 'a long backup password' } }),
};
