/**
 * How to call each audited route successfully, for the route-table-driven audit coverage test
 * (audit-coverage.test.ts). A capability that adds a route with `audit` set adds its entry here,
 * keyed by `METHOD /path`: given a fresh organization and its owner, seed what the call needs and
 * answer the call's params, query and body. A route without an entry fails the coverage test.
 */
import { accountabilityRoutes } from '../../shared/api/routes/accountability.ts';
import { extensionRoutes } from '../../shared/api/routes/extensions.ts';
import { jobRoutes } from '../../shared/api/routes/jobs.ts';
import { keyRoutes } from '../../shared/api/routes/keys.ts';
import { orchestrationRoutes } from '../../shared/api/routes/orchestrations.ts';
import { orgRoutes } from '../../shared/api/routes/orgs.ts';
import { portabilityRoutes } from '../../shared/api/routes/portability.ts';
import { requestRoutes } from '../../shared/api/routes/requests.ts';
import { roleRoutes } from '../../shared/api/routes/roles.ts';
import { subjectRoutes } from '../../shared/api/routes/subjects.ts';
import { recipientRoutes } from '../../shared/api/routes/recipients.ts';
import { routeKey, type RouteDefinition } from '../../shared/api/route.ts';
import { addMember, createJob, createOrchestration, createOrg, createRole } from './api/fixtures.ts';
import { callRoute, newUser, type TestUser } from './api/invoke-route.ts';
import { verifiedRequest } from './api/subject-requests.ts';
import { startFakeVendor, type FakeVendor } from '../support/fake-vendor.ts';

export interface FixtureWorld {
  readonly orgId: string;
  readonly owner: TestUser;
}

export interface PreparedCall {
  /**
   * The route's path parameters. Its `orgId` names the organization whose chain is checked, also
   * for a route without one in its path (`DELETE /v1/me`: extra parameters are not sent).
   */
  readonly params?: Readonly<Record<string, string>>;
  readonly query?: Readonly<Record<string, string>>;
  readonly body?: unknown;
  /** The caller, when not the owner (e.g. the new organization's creator); the event's actor. */
  readonly as?: TestUser;
  /** What the event must hold besides its action, when the action alone does not pin it down (e.g. its resource). */
  readonly event?: Readonly<Record<string, unknown>>;
  /** Further organizations the same call writes exactly one such event into. */
  readonly alsoAudited?: readonly string[];
}

export type RouteFixture = (world: FixtureWorld) => Promise<PreparedCall>;

const key = (route: RouteDefinition): string => routeKey(route);

async function seededJob(world: FixtureWorld): Promise<{ orchestrationId: string; jobId: string }> {
  const orchestrationId = await createOrchestration(world.orgId, world.owner);
  const jobId = await createJob(world.orgId, orchestrationId, world.owner, {
    title: 'Claim',
    email: 'subject@example.test',
  });
  return { orchestrationId, jobId };
}

const VENDOR_TOKEN = 'vnd_4Lq8-Wm2xR7tZ9pK3bY6cN';

async function expectOk(answer: ReturnType<typeof callRoute>, what: string): Promise<void> {
  const result = await answer;
  if (result.status >= 300) throw new Error(`${what}: ${result.status} ${result.text}`);
}

async function consentTo(world: FixtureWorld, extensionId: string, body: unknown): Promise<void> {
  await expectOk(
    callRoute({
      route: extensionRoutes.grantConsent,
      as: world.owner,
      params: { orgId: world.orgId, extensionId },
      body,
    }),
    'extension consent',
  );
}

let vendor: Promise<FakeVendor> | undefined;
/**
 * The fake vendor a share is delivered to. Its server does not hold the process open; the
 * environment it sets is read by the extensions function when it first builds its webhook
 * client (on the first share of this test file), as tests and the local stack alone configure it.
 */
function fakeVendor(): Promise<FakeVendor> {
  vendor ??= startFakeVendor().then((started) => {
    process.env.ALLOWED_PRIVATE_WEBHOOK_HOSTS = 'localhost';
    process.env.WEBHOOK_CA_FILE = started.caFile;
    return started;
  });
  return vendor;
}

export const ROUTE_FIXTURES: Readonly<Record<string, RouteFixture>> = {
  [key(orgRoutes.createOrg)]: async () => ({ body: { name: 'Another org' } }),
  [key(orgRoutes.updateOrg)]: async ({ orgId }) => ({ params: { orgId }, body: { name: 'Renamed' } }),
  [key(keyRoutes.rotateKey)]: async ({ orgId }) => ({ params: { orgId } }),
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
  // The leaving member is in two organizations: each gets exactly one member.remove, naming them, the world's checked first.
  [key(orgRoutes.deleteMe)]: async ({ orgId, owner }) => {
    const leaving = newUser('leaving');
    await addMember(orgId, owner, leaving, 'member');
    const elsewhere = await createOrg(owner, 'Elsewhere');
    await addMember(elsewhere, owner, leaving, 'admin');
    return {
      as: leaving,
      params: { orgId },
      alsoAudited: [elsewhere],
      event: { resource: { type: 'member', id: leaving.sub }, detail: { reason: 'account-deletion' } },
    };
  },
  [key(roleRoutes.createRole)]: async ({ orgId }) => ({
    params: { orgId },
    body: { name: 'Auditors', permissions: ['audit.read'] },
  }),
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
    body: {
      name: 'Claims',
      stages: ['new', 'done'],
      fields: [{ id: 'title', label: 'Title', type: 'text' }],
    },
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
  [key(portabilityRoutes.createExport)]: async ({ orgId }) => ({
    params: { orgId },
    body: { format: 'csv' },
  }),
  [key(portabilityRoutes.createBackup)]: async ({ orgId }) => ({
    params: { orgId },
    body: { password: 'a long backup password' },
  }),
  [key(extensionRoutes.grantConsent)]: async (world) => {
    const { orchestrationId } = await seededJob(world);
    return {
      params: { orgId: world.orgId, extensionId: 'postbox-campaigns' },
      body: { fields: [{ orchestrationId, fieldId: 'email' }], purpose: 'Newsletter' },
    };
  },
  [key(extensionRoutes.setToken)]: async ({ orgId }) => ({
    params: { orgId, extensionId: 'postbox-campaigns' },
    body: { token: VENDOR_TOKEN },
  }),
  [key(extensionRoutes.revokeExtension)]: async (world) => {
    const { orchestrationId } = await seededJob(world);
    await consentTo(world, 'postbox-campaigns', {
      fields: [{ orchestrationId, fieldId: 'email' }],
      purpose: 'Newsletter',
    });
    return { params: { orgId: world.orgId, extensionId: 'postbox-campaigns' } };
  },
  [key(extensionRoutes.shareJob)]: async (world) => {
    const vendor = await fakeVendor();
    const { orchestrationId, jobId } = await seededJob(world);
    await consentTo(world, 'custom-webhook', {
      fields: [{ orchestrationId, fieldId: 'title' }],
      purpose: 'Sync',
      webhookUrl: vendor.url(),
    });
    await expectOk(
      callRoute({
        route: extensionRoutes.setToken,
        as: world.owner,
        params: { orgId: world.orgId, extensionId: 'custom-webhook' },
        body: { token: VENDOR_TOKEN },
      }),
      'extension token',
    );
    return { params: { orgId: world.orgId, jobId, extensionId: 'custom-webhook' } };
  },
  [key(jobRoutes.restrictJob)]: async (world) => {
    const { jobId } = await seededJob(world);
    return { params: { orgId: world.orgId, jobId }, body: { reason: 'Accuracy contested' } };
  },
  [key(jobRoutes.liftRestriction)]: async (world) => {
    const { jobId } = await seededJob(world);
    const restricted = await callRoute({
      route: jobRoutes.restrictJob,
      as: world.owner,
      params: { orgId: world.orgId, jobId },
      body: { reason: 'Accuracy contested' },
    });
    if (restricted.status !== 200) throw new Error(`restrict: expected 200, got ${restricted.status}`);
    return { params: { orgId: world.orgId, jobId }, body: { reason: 'Accuracy confirmed' } };
  },
  [key(jobRoutes.placeHold)]: async (world) => {
    const { jobId } = await seededJob(world);
    return { params: { orgId: world.orgId, jobId }, body: { reason: 'Litigation pending' } };
  },
  [key(jobRoutes.liftHold)]: async (world) => {
    const { jobId } = await seededJob(world);
    await expectOk(
      callRoute({
        route: jobRoutes.placeHold,
        as: world.owner,
        params: { orgId: world.orgId, jobId },
        body: { reason: 'Litigation pending' },
      }),
      'hold',
    );
    return { params: { orgId: world.orgId, jobId }, body: { reason: 'Litigation settled' } };
  },
  [key(subjectRoutes.subjectAccess)]: async (world) => {
    await seededJob(world);
    return { params: { orgId: world.orgId }, body: { email: 'subject@example.test' } };
  },
  [key(recipientRoutes.subjectRecipients)]: async (world) => {
    await seededJob(world);
    return { params: { orgId: world.orgId }, body: { email: 'subject@example.test' } };
  },
  [key(subjectRoutes.subjectRectification)]: async (world) => {
    await seededJob(world);
    return {
      params: { orgId: world.orgId },
      body: { email: 'subject@example.test', newEmail: 'rectified@example.test' },
    };
  },
  [key(subjectRoutes.subjectErasure)]: async (world) => {
    await seededJob(world);
    return { params: { orgId: world.orgId }, body: { email: 'subject@example.test', mode: 'delete' } };
  },
  [key(subjectRoutes.subjectRestriction)]: async (world) => {
    await seededJob(world);
    return {
      params: { orgId: world.orgId },
      body: { email: 'subject@example.test', reason: 'Objection pending' },
    };
  },
  [key(accountabilityRoutes.recordsOfProcessing)]: async (world) => {
    await seededJob(world);
    return {
      params: { orgId: world.orgId },
      query: { format: 'csv' },
      event: { detail: { format: 'csv', activities: 1 } },
    };
  },
  [key(accountabilityRoutes.scopeIncident)]: async (world) => {
    await seededJob(world);
    return {
      params: { orgId: world.orgId },
      body: { from: new Date(Date.now() - 3600_000).toISOString(), to: new Date().toISOString() },
    };
  },
  [key(requestRoutes.assignRequest)]: async ({ orgId, owner }) => ({
    params: { orgId, requestId: await verifiedRequest(orgId) },
    body: { assignee: owner.sub },
  }),
  [key(requestRoutes.extendRequest)]: async ({ orgId }) => ({
    params: { orgId, requestId: await verifiedRequest(orgId) },
    body: { months: 1, reason: 'Records in several systems' },
  }),
  [key(requestRoutes.fulfilRequest)]: async ({ orgId }) => ({
    params: { orgId, requestId: await verifiedRequest(orgId, 'objection') },
    body: {},
  }),
  [key(requestRoutes.rejectRequest)]: async ({ orgId }) => ({
    params: { orgId, requestId: await verifiedRequest(orgId) },
    body: { reason: 'Manifestly unfounded' },
  }),
};
