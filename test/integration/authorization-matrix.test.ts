/**
 * The authorization matrix: EVERY route of the route table × every kind of principal, through the
 * real handlers (the manifest's functions, fed API Gateway v2 events) against the emulators.
 * Each case asserts the exact status and that no foreign data — another organization's ids,
 * names or values, or an orchestration the caller is limited out of — appears in the body.
 *
 * A route added to ROUTES without an entry in EXPECTATIONS fails this file: a new route cannot
 * ship unprotected by accident. Adding one is one table entry: the statuses per principal and,
 * where a permission decides, which one (custom roles are seeded with exactly it, and with every
 * permission but it).
 */
import { randomUUID } from 'node:crypto';
import { routeKey, type RouteDefinition } from '../../shared/api/route.ts';
import { extensionRoutes } from '../../shared/api/routes/extensions.ts';
import { jobRoutes } from '../../shared/api/routes/jobs.ts';
import { ROUTES } from '../../shared/api/routes/index.ts';
import { orchestrationRoutes } from '../../shared/api/routes/orchestrations.ts';
import { orgRoutes } from '../../shared/api/routes/orgs.ts';
import { portabilityRoutes } from '../../shared/api/routes/portability.ts';
import { newLinkToken } from '../../shared/domain/link-token.ts';
import { newId } from '../../shared/domain/ids.ts';
import { roleRoutes } from '../../shared/api/routes/roles.ts';
import { PERMISSIONS, type Permission } from '../../shared/domain/permissions.ts';
import { addMember, createJob, createOrchestration, createOrg, createRole } from './api/fixtures.ts';
import { callRoute, newUser, type RouteAnswer, type TestUser } from './api/invoke-route.ts';
import { submittedRequest, verifiedRequest } from './api/subject-requests.ts';

const PRINCIPALS = [
  'owner',
  'admin',
  'memberOwn',
  'memberOther',
  'customWith',
  'customWithout',
  'limited',
  'foreignOwner',
  'noOrg',
  'anonymous',
] as const;
type PrincipalName = (typeof PRINCIPALS)[number];
type Statuses = Readonly<Record<PrincipalName, number>>;

/** What a case sends, and who sends it when not the principal's own user. */
interface CaseInput {
  params: Record<string, string>;
  body?: unknown;
  query?: Record<string, string>;
  /**
   * A stand-in of the same kind as the principal (same role, same permissions), for routes that
   * act on the caller themself: deleting the matrix's own users would change every later case.
   */
  as?: TestUser;
}

interface Expectation {
  /**
   * The permissions that decide for custom roles: `customWith` holds exactly these, `customWithout`
   * holds every permission but the first. Without it, `customWith` holds every permission and
   * `customWithout` none.
   */
  readonly permissions?: readonly [Permission, ...Permission[]];
  readonly status: Statuses;
  /** Fresh fixtures for the case (something the route destroys), or a body; `caller` is the principal's user. */
  readonly prepare?: (
    world: World,
    principal: PrincipalName,
    caller: TestUser | undefined,
  ) => Promise<Partial<CaseInput>> | Partial<CaseInput>;
}

/** Statuses for an organization-scoped route: `ok` where allowed, and the usual outsiders. */
function orgScoped(allowed: Partial<Record<PrincipalName, number>>, ok: number, denied = 403): Statuses {
  const inside = (name: PrincipalName): number => allowed[name] ?? denied;
  return {
    owner: allowed.owner ?? ok,
    admin: inside('admin'),
    memberOwn: inside('memberOwn'),
    memberOther: inside('memberOther'),
    customWith: allowed.customWith ?? ok,
    customWithout: inside('customWithout'),
    limited: inside('limited'),
    foreignOwner: 404,
    noOrg: 404,
    anonymous: 401,
  };
}

const everyone = (ok: number): Statuses => ({
  owner: ok,
  admin: ok,
  memberOwn: ok,
  memberOther: ok,
  customWith: ok,
  customWithout: ok,
  limited: ok,
  foreignOwner: ok,
  noOrg: ok,
  anonymous: 401,
});
/** A public route: a bearer token, or none, changes nothing. */
const anyone = (status: number): Statuses => ({ ...everyone(status), anonymous: status });
const anyMember = (ok: number): Statuses =>
  orgScoped({ admin: ok, memberOwn: ok, memberOther: ok, customWithout: ok, limited: ok }, ok);
/** A permission-gated organization action: owners, admins and custom roles with it. */
const managers = (ok: number): Statuses => orgScoped({ admin: ok }, ok);
/** Inside a limited orchestration: the limited member sees nothing of it (404). */
const inOrchestration = (
  allowed: Partial<Record<PrincipalName, number>>,
  ok: number,
  denied = 403,
): Statuses => ({ ...orgScoped(allowed, ok, denied), limited: 404 });

const fresh = (label: string): string => `${label}-${randomUUID().slice(0, 8)}`;
const BACKUP_PASSWORD = 'matrix backup passphrase';

/** An organization of its own for a destructive organization route, where the caller holds the principal's role. */
async function inFreshOrg(
  w: World,
  principal: PrincipalName,
  caller: TestUser | undefined,
): Promise<Partial<CaseInput>> {
  return { params: { orgId: await w.freshOrg(principal, caller) } };
}

/** The same, pending deletion (its owner deleted it). */
async function inOrgPendingDeletion(
  w: World,
  principal: PrincipalName,
  caller: TestUser | undefined,
): Promise<Partial<CaseInput>> {
  const orgId = await w.freshOrg(principal, caller);
  const deleted = await callRoute({ route: orgRoutes.deleteOrg, as: w.users.owner, params: { orgId } });
  if (deleted.status !== 202) throw new Error(`delete org: expected 202, got ${deleted.status}`);
  return { params: { orgId } };
}

/**
 * A stand-in for the principal that may delete their account without touching the matrix's users:
 * owners own an organization alone (as the matrix's owners do), members and custom roles hold
 * their role in a fresh organization, `noOrg` belongs to none.
 */
async function standIn(
  w: World,
  principal: PrincipalName,
  caller: TestUser | undefined,
): Promise<Partial<CaseInput>> {
  if (principal === 'anonymous') return {};
  const user = newUser(`leaving-${principal}`);
  if (principal === 'owner' || principal === 'foreignOwner') await createOrg(user, fresh('Sole owner'));
  else if (principal !== 'noOrg') await w.freshOrg(principal, caller, user);
  return { as: user };
}

/** A fresh job of memberOwn in the home orchestration, restricted by the owner. */
async function restrictedJob(w: World): Promise<string> {
  const jobId = await createJob(w.home.orgId, w.home.orchestrationId, w.users.memberOwn, {
    title: w.home.value,
  });
  const answer = await callRoute({
    route: jobRoutes.restrictJob,
    as: w.users.owner,
    params: { orgId: w.home.orgId, jobId },
    body: { reason: 'Matrix' },
  });
  if (answer.status !== 200) throw new Error(`restrict: expected 200, got ${answer.status}`);
  return jobId;
}

/** A fresh job of memberOwn in the home orchestration, held by the owner. */
async function heldJob(w: World): Promise<string> {
  const jobId = await createJob(w.home.orgId, w.home.orchestrationId, w.users.memberOwn, {
    title: w.home.value,
  });
  const answer = await callRoute({
    route: jobRoutes.placeHold,
    as: w.users.owner,
    params: { orgId: w.home.orgId, jobId },
    body: { reason: 'Matrix' },
  });
  if (answer.status !== 200) throw new Error(`hold: expected 200, got ${answer.status}`);
  return jobId;
}

const EXPECTATIONS: Readonly<Record<string, Expectation>> = {
  // Organizations, members, the caller themself
  'POST /v1/orgs': { status: everyone(201), prepare: () => ({ body: { name: fresh('Matrix org') } }) },
  'GET /v1/orgs': { status: everyone(200) },
  'GET /v1/orgs/{orgId}': { status: anyMember(200) },
  'PATCH /v1/orgs/{orgId}': {
    permissions: ['org.update'],
    status: managers(200),
    prepare: (w) => ({ body: { name: w.home.orgName } }),
  },
  'GET /v1/me': { status: everyone(200) },
  // Owners only; a fresh organization per case, where the caller holds its role (a 202 closes it).
  'DELETE /v1/orgs/{orgId}': { status: orgScoped({ customWith: 403 }, 202), prepare: inFreshOrg },
  // Pending deletion, an organization answers 404 to all but its owners, whatever their role or permissions.
  'POST /v1/orgs/{orgId}/deletion/cancel': {
    status: orgScoped({ customWith: 404 }, 200, 404),
    prepare: inOrgPendingDeletion,
  },
  // Anyone may delete their account, but not while they are the last owner of an organization.
  'DELETE /v1/me': { status: { ...everyone(202), owner: 409, foreignOwner: 409 }, prepare: standIn },
  // Owners only, whatever permissions a role holds: every call adds a data key version to the home organization.
  'POST /v1/orgs/{orgId}/keys/rotate': { status: orgScoped({ customWith: 403 }, 200) },
  'GET /v1/orgs/{orgId}/members': { status: anyMember(200) },
  'POST /v1/orgs/{orgId}/members': {
    permissions: ['members.manage'],
    status: managers(201),
    prepare: () => {
      const user = newUser('added');
      return { body: { userId: user.sub, email: user.email, role: 'member' } };
    },
  },
  'PATCH /v1/orgs/{orgId}/members/{userId}': {
    permissions: ['members.manage'],
    status: managers(200),
    prepare: () => ({ body: { role: 'member' } }),
  },
  'DELETE /v1/orgs/{orgId}/members/{userId}': {
    permissions: ['members.manage'],
    status: managers(204),
    prepare: async (w) => {
      const user = newUser('leaving');
      await addMember(w.home.orgId, w.users.owner, user, 'member');
      return { params: { userId: user.sub } };
    },
  },
  // Custom roles
  'GET /v1/orgs/{orgId}/roles': { status: anyMember(200) },
  'POST /v1/orgs/{orgId}/roles': {
    permissions: ['roles.manage'],
    status: managers(201),
    prepare: () => ({ body: { name: fresh('Role'), permissions: [] } }),
  },
  'PATCH /v1/orgs/{orgId}/roles/{roleId}': {
    permissions: ['roles.manage'],
    status: managers(200),
    prepare: () => ({ body: { name: 'Spare role' } }),
  },
  'DELETE /v1/orgs/{orgId}/roles/{roleId}': {
    permissions: ['roles.manage'],
    status: managers(204),
    prepare: async (w) => ({
      params: {
        roleId: await createRole(w.home.orgId, w.users.owner, {
          name: fresh('Doomed role'),
          permissions: [],
        }),
      },
    }),
  },
  // Orchestrations
  'GET /v1/orgs/{orgId}/orchestrations': { status: anyMember(200) },
  'POST /v1/orgs/{orgId}/orchestrations': {
    permissions: ['orchestrations.manage'],
    status: managers(201),
    prepare: () => ({
      body: {
        name: fresh('Created'),
        stages: ['new'],
        fields: [{ id: 'title', label: 'Title', type: 'text' }],
      },
    }),
  },
  'GET /v1/orgs/{orgId}/orchestrations/{orchestrationId}': {
    status: inOrchestration({ admin: 200, memberOwn: 200, memberOther: 200, customWithout: 200 }, 200),
  },
  'PATCH /v1/orgs/{orgId}/orchestrations/{orchestrationId}': {
    permissions: ['orchestrations.manage'],
    status: inOrchestration({ admin: 200 }, 200),
    prepare: (w) => ({
      params: { orchestrationId: w.home.spareOrchestrationId },
      body: { name: w.home.orchestrationName },
    }),
  },
  'DELETE /v1/orgs/{orgId}/orchestrations/{orchestrationId}': {
    permissions: ['orchestrations.manage'],
    status: inOrchestration({ admin: 200 }, 200),
    prepare: async (w) => ({ params: { orchestrationId: await w.limitedOrchestration() } }),
  },
  'GET /v1/orgs/{orgId}/orchestrations/{orchestrationId}/retention/preview': {
    permissions: ['orchestrations.manage'],
    status: inOrchestration({ admin: 200 }, 200),
  },
  // Jobs (the job in the path is owned by memberOwn)
  'POST /v1/orgs/{orgId}/orchestrations/{orchestrationId}/jobs': {
    status: inOrchestration({ admin: 201, memberOwn: 201, memberOther: 201, customWithout: 201 }, 201),
    prepare: (w) => ({ body: { fields: { title: w.home.value } } }),
  },
  'GET /v1/orgs/{orgId}/orchestrations/{orchestrationId}/jobs': {
    status: inOrchestration({ admin: 200, memberOwn: 200, memberOther: 200, customWithout: 200 }, 200),
  },
  'GET /v1/orgs/{orgId}/jobs/{jobId}': {
    permissions: ['jobs.read_all'],
    status: inOrchestration({ admin: 200, memberOwn: 200 }, 200, 404),
  },
  // Whoever may read the job may see who received it (Art. 19)
  'GET /v1/orgs/{orgId}/jobs/{jobId}/recipients': {
    permissions: ['jobs.read_all'],
    status: inOrchestration({ admin: 200, memberOwn: 200 }, 200, 404),
  },
  'PATCH /v1/orgs/{orgId}/jobs/{jobId}': {
    permissions: ['jobs.write_all', 'jobs.read_all'],
    status: { ...inOrchestration({ admin: 200, memberOwn: 200 }, 200), memberOther: 404 },
    prepare: (w) => ({ body: { fields: { title: w.home.value } } }),
  },
  'DELETE /v1/orgs/{orgId}/jobs/{jobId}': {
    permissions: ['jobs.delete', 'jobs.read_all'],
    status: { ...inOrchestration({ admin: 204 }, 204), memberOther: 404 },
    prepare: async (w) => ({
      params: {
        jobId: await createJob(w.home.orgId, w.home.orchestrationId, w.users.memberOwn, {
          title: w.home.value,
        }),
      },
    }),
  },
  'POST /v1/orgs/{orgId}/jobs/{jobId}/transition': {
    permissions: ['jobs.write_all', 'jobs.read_all'],
    status: { ...inOrchestration({ admin: 200, memberOwn: 200 }, 200), memberOther: 404 },
    prepare: () => ({ body: { stage: 'review' } }),
  },
  // Marketplace extensions. Sharing stops at the missing consent (409) once authorization let the caller through.
  'GET /v1/orgs/{orgId}/extensions': { status: anyMember(200) },
  'POST /v1/orgs/{orgId}/extensions/{extensionId}/consent': {
    permissions: ['extensions.manage'],
    status: managers(201),
    prepare: (w) => ({
      params: { extensionId: 'postbox-campaigns' },
      body: { fields: [{ orchestrationId: w.home.orchestrationId, fieldId: 'title' }], purpose: 'Matrix' },
    }),
  },
  'PUT /v1/orgs/{orgId}/extensions/{extensionId}/token': {
    permissions: ['extensions.manage'],
    status: managers(204),
    prepare: () => ({
      params: { extensionId: 'postbox-campaigns' },
      body: { token: 'vnd_9Zq4-Xk7pL2mW8rT5yB3cN' },
    }),
  },
  'DELETE /v1/orgs/{orgId}/extensions/{extensionId}': {
    permissions: ['extensions.manage'],
    status: managers(200),
    prepare: async (w) => {
      const webhookUrl = 'https://matrix.hooks.acme-crm.example/custos/v1/contacts';
      const body = {
        fields: [{ orchestrationId: w.home.orchestrationId, fieldId: 'title' }],
        purpose: 'Matrix',
        webhookUrl,
      };
      const granted = await callRoute({
        route: extensionRoutes.grantConsent,
        as: w.users.owner,
        params: { orgId: w.home.orgId, extensionId: 'acme-crm' },
        body,
      });
      if (granted.status !== 201)
        throw new Error(`consent for the matrix: ${granted.status} ${granted.text}`);
      return { params: { extensionId: 'acme-crm' } };
    },
  },
  'POST /v1/orgs/{orgId}/jobs/{jobId}/share/{extensionId}': {
    permissions: ['extensions.manage', 'jobs.read_all'],
    status: { ...inOrchestration({ admin: 409 }, 409), memberOther: 404 },
    prepare: () => ({ params: { extensionId: 'custom-webhook' } }),
  },
  // Restriction (Art. 18) of a fresh job owned by memberOwn: restricting the shared job would make other cases 409
  'PUT /v1/orgs/{orgId}/jobs/{jobId}/restriction': {
    permissions: ['records.restrict', 'jobs.read_all'],
    status: { ...inOrchestration({ admin: 200 }, 200), memberOther: 404 },
    prepare: async (w) => ({
      params: {
        jobId: await createJob(w.home.orgId, w.home.orchestrationId, w.users.memberOwn, {
          title: w.home.value,
        }),
      },
      body: { reason: 'Matrix' },
    }),
  },
  'DELETE /v1/orgs/{orgId}/jobs/{jobId}/restriction': {
    permissions: ['records.restrict', 'jobs.read_all'],
    status: { ...inOrchestration({ admin: 200 }, 200), memberOther: 404 },
    prepare: async (w) => ({ params: { jobId: await restrictedJob(w) }, body: { reason: 'Matrix' } }),
  },
  // Legal holds of a fresh job owned by memberOwn: holding the shared job would make its deletion case 409
  'PUT /v1/orgs/{orgId}/jobs/{jobId}/hold': {
    permissions: ['records.hold', 'jobs.read_all'],
    status: { ...inOrchestration({ admin: 200 }, 200), memberOther: 404 },
    prepare: async (w) => ({
      params: {
        jobId: await createJob(w.home.orgId, w.home.orchestrationId, w.users.memberOwn, {
          title: w.home.value,
        }),
      },
      body: { reason: 'Matrix' },
    }),
  },
  'DELETE /v1/orgs/{orgId}/jobs/{jobId}/hold': {
    permissions: ['records.hold', 'jobs.read_all'],
    status: { ...inOrchestration({ admin: 200 }, 200), memberOther: 404 },
    prepare: async (w) => ({ params: { jobId: await heldJob(w) } }),
  },
  // Data subjects (an address no job carries: the permission alone decides)
  'POST /v1/orgs/{orgId}/subjects/access': {
    permissions: ['subjects.access'],
    status: managers(200),
    prepare: () => ({ body: { email: 'matrix-nobody@example.test' } }),
  },
  'POST /v1/orgs/{orgId}/subjects/recipients': {
    permissions: ['subjects.access'],
    status: managers(200),
    prepare: () => ({ body: { email: 'matrix-nobody@example.test' } }),
  },
  'PATCH /v1/orgs/{orgId}/subjects': {
    permissions: ['subjects.access'],
    status: managers(200),
    prepare: () => ({ body: { email: 'matrix-nobody@example.test', newEmail: 'matrix-other@example.test' } }),
  },
  'POST /v1/orgs/{orgId}/subjects/erasure': {
    permissions: ['subjects.erase'],
    status: managers(200),
    prepare: () => ({ body: { email: 'matrix-nobody@example.test', mode: 'delete' } }),
  },
  'POST /v1/orgs/{orgId}/subjects/restriction': {
    permissions: ['records.restrict'],
    status: managers(200),
    prepare: () => ({ body: { email: 'matrix-nobody@example.test', reason: 'Matrix' } }),
  },
  // Data subject requests: the public intake and verification answer alike with a token or
  // without; the case is for requests.manage (a fresh request per case, so one case's step
  // cannot close the next one's request).
  'POST /v1/orgs/{orgId}/requests': {
    status: anyone(202),
    prepare: () => ({ body: { type: 'access', email: `${fresh('matrix')}@example.test` } }),
  },
  'POST /v1/requests/{requestId}/verify': {
    status: anyone(200),
    prepare: async (w) => {
      const { requestId, code } = await submittedRequest(w.home.orgId);
      return { params: { requestId }, body: { code } };
    },
  },
  'GET /v1/orgs/{orgId}/requests': { permissions: ['requests.manage'], status: managers(200) },
  'GET /v1/orgs/{orgId}/requests/{requestId}': {
    permissions: ['requests.manage'],
    status: managers(200),
    prepare: async (w) => ({ params: { requestId: await verifiedRequest(w.home.orgId) } }),
  },
  'PATCH /v1/orgs/{orgId}/requests/{requestId}': {
    permissions: ['requests.manage'],
    status: managers(200),
    prepare: async (w) => ({
      params: { requestId: await verifiedRequest(w.home.orgId) },
      body: { assignee: w.home.memberId },
    }),
  },
  'POST /v1/orgs/{orgId}/requests/{requestId}/extend': {
    permissions: ['requests.manage'],
    status: managers(200),
    prepare: async (w) => ({
      params: { requestId: await verifiedRequest(w.home.orgId) },
      body: { months: 1, reason: 'Matrix' },
    }),
  },
  // An objection restricts the subject's jobs: the caller needs records.restrict as well.
  'POST /v1/orgs/{orgId}/requests/{requestId}/fulfil': {
    permissions: ['requests.manage', 'records.restrict'],
    status: managers(200),
    prepare: async (w) => ({
      params: { requestId: await verifiedRequest(w.home.orgId, 'objection') },
      body: {},
    }),
  },
  'POST /v1/orgs/{orgId}/requests/{requestId}/reject': {
    permissions: ['requests.manage'],
    status: managers(200),
    prepare: async (w) => ({
      params: { requestId: await verifiedRequest(w.home.orgId) },
      body: { reason: 'Matrix' },
    }),
  },
  // Audit log: owners and audit.read only (admins do not read it)
  'GET /v1/orgs/{orgId}/audit': { permissions: ['audit.read'], status: orgScoped({}, 200) },
  'GET /v1/orgs/{orgId}/audit/export': { permissions: ['audit.read'], status: orgScoped({}, 200) },
  'GET /v1/orgs/{orgId}/audit/verify': { permissions: ['audit.read'], status: orgScoped({}, 200) },
  'GET /v1/orgs/{orgId}/audit/public-key': { permissions: ['audit.read'], status: orgScoped({}, 200) },
  // Data portability. The export in the path is the owner's: an export belongs to its requester, nobody else learns of it.
  'POST /v1/orgs/{orgId}/exports': {
    permissions: ['jobs.export'],
    status: managers(202),
    prepare: () => ({ body: { format: 'csv' } }),
  },
  'GET /v1/orgs/{orgId}/exports/{exportId}': {
    permissions: ['jobs.export'],
    status: orgScoped({ customWith: 404 }, 200, 404),
  },
  'GET /v1/orgs/{orgId}/jobs/{jobId}/export': {
    permissions: ['jobs.export', 'jobs.read_all'],
    status: { ...inOrchestration({ admin: 200, memberOwn: 200 }, 200), memberOther: 404 },
  },
  // Backups: owners only, whatever permissions a role holds.
  'POST /v1/orgs/{orgId}/backups': {
    status: orgScoped({ customWith: 403 }, 202),
    prepare: () => ({ body: { password: BACKUP_PASSWORD } }),
  },
  'GET /v1/orgs/{orgId}/backups/{backupId}': { status: orgScoped({ customWith: 403 }, 200) },
  // The emailed link is public and gated by its token alone: without the link's token (here a well-formed one of no
  // link) nobody gets in, not even the owner who made the backup. That the token alone opens it, without any bearer,
  // is download.test.ts's part (it needs the worker to build the backup and send the link).
  'GET /v1/backups/{backupId}/download': {
    status: anyone(404),
    prepare: () => ({ query: { token: newLinkToken().token } }),
  },
  'POST /v1/backups/{backupId}/download': {
    status: anyone(404),
    prepare: () => ({ body: { token: newLinkToken().token, password: BACKUP_PASSWORD } }),
  },
  // The report link of a data subject request, likewise gated by its token alone (request-report.test.ts
  // follows a real link): a well-formed token of no link is 404 for everyone, with a bearer or without.
  'GET /v1/requests/{requestId}/report': {
    status: anyone(404),
    prepare: () => ({ params: { requestId: newId() }, query: { token: newLinkToken().token } }),
  },
  'POST /v1/requests/{requestId}/report': {
    status: anyone(404),
    prepare: () => ({ params: { requestId: newId() }, body: { token: newLinkToken().token } }),
  },
  // Accountability: the record for owners and admins (built-in roles only, whatever a custom role holds); the incident scope for owners.
  'GET /v1/orgs/{orgId}/records-of-processing': { status: orgScoped({ admin: 200, customWith: 403 }, 200) },
  'POST /v1/orgs/{orgId}/incidents/scope': {
    status: orgScoped({ customWith: 403 }, 200),
    prepare: () => ({
      body: { from: new Date(Date.now() - 3600_000).toISOString(), to: new Date().toISOString() },
    }),
  },
  // Public
  'GET /v1/openapi.json': { status: anyone(200) },
};

/**
 * Every path that gives access (issue 16) × every principal: what each may give. Custom roles hold
 * the permission the path needs (`permissions`), or every permission when none is named, so the
 * statuses show the grant rule, not a missing permission: only owners make owners, only owners
 * and admins assign admin, no permission, field access or orchestration beyond the caller's own,
 * nobody raises their own role.
 */
interface GrantCase extends Expectation {
  readonly route: RouteDefinition;
}

/** A fresh member of the home organization, added by its owner, to be given `role`. */
const freshMemberTo =
  (role: string) =>
  async (w: World): Promise<Partial<CaseInput>> => {
    const user = newUser('grantee');
    await addMember(w.home.orgId, w.users.owner, user, 'member');
    return { params: { userId: user.sub }, body: { role } };
  };

const newMemberAs = (role: string): Partial<CaseInput> => {
  const user = newUser('granted');
  return { body: { userId: user.sub, email: user.email, role } };
};

const GRANT_CASES: Readonly<Record<string, GrantCase>> = {
  'add a member as admin': {
    route: orgRoutes.addMember,
    status: orgScoped({ admin: 201, customWith: 403 }, 201),
    prepare: () => newMemberAs('admin'),
  },
  'add a member as owner': {
    route: orgRoutes.addMember,
    status: orgScoped({ customWith: 403 }, 201),
    prepare: () => newMemberAs('owner'),
  },
  'add a member with a custom role holding audit.read': {
    route: orgRoutes.addMember,
    permissions: ['members.manage'],
    status: orgScoped({ customWith: 403 }, 201),
    prepare: async (w) =>
      newMemberAs(
        await createRole(w.home.orgId, w.users.owner, {
          name: fresh('Auditor'),
          permissions: ['audit.read'],
        }),
      ),
  },
  'add a member with a custom role holding every permission': {
    route: orgRoutes.addMember,
    status: orgScoped({ customWith: 201 }, 201),
    prepare: async (w) =>
      newMemberAs(
        await createRole(w.home.orgId, w.users.owner, {
          name: fresh('Everything'),
          permissions: [...PERMISSIONS],
        }),
      ),
  },
  'make a member an admin': {
    route: orgRoutes.changeMember,
    status: orgScoped({ admin: 200, customWith: 403 }, 200),
    prepare: freshMemberTo('admin'),
  },
  'make a member an owner': {
    route: orgRoutes.changeMember,
    status: orgScoped({ customWith: 403 }, 200),
    prepare: freshMemberTo('owner'),
  },
  // The caller's own membership, in a fresh organization where they hold their role (so the matrix's users keep
  // theirs): the owner may lower theirs but is its last owner (409); an admin stays one.
  'raise your own role to admin': {
    route: orgRoutes.changeMember,
    status: orgScoped({ owner: 409, admin: 200, customWith: 403 }, 200),
    prepare: async (w, principal, caller) => ({
      params: { orgId: await w.freshOrg(principal, caller), userId: caller?.sub ?? 'nobody' },
      body: { role: 'admin' },
    }),
  },
  'create a role holding audit.read': {
    route: roleRoutes.createRole,
    permissions: ['roles.manage'],
    status: orgScoped({ customWith: 403 }, 201),
    prepare: () => ({ body: { name: fresh('Auditor'), permissions: ['audit.read'] } }),
  },
  'create a role holding every permission': {
    route: roleRoutes.createRole,
    status: orgScoped({ customWith: 201 }, 201),
    prepare: () => ({ body: { name: fresh('Everything'), permissions: [...PERMISSIONS] } }),
  },
  'give a role write access to a field it had hidden': {
    route: roleRoutes.updateRole,
    permissions: ['roles.manage'],
    status: orgScoped({ admin: 200 }, 200),
    prepare: async (w) => {
      const orchestrationId = await w.openOrchestration();
      const roleId = await createRole(w.home.orgId, w.users.owner, {
        name: fresh('Narrow'),
        permissions: [],
        fieldPermissions: { [orchestrationId]: { ssn: 'hidden' } },
      });
      return { params: { roleId }, body: { fieldPermissions: { [orchestrationId]: { ssn: 'write' } } } };
    },
  },
};

interface Tenant {
  orgId: string;
  orgName: string;
  orchestrationId: string;
  orchestrationName: string;
  spareOrchestrationId: string;
  jobId: string;
  roleId: string;
  memberId: string;
  /** The owner's export and backup requests. */
  exportId: string;
  backupId: string;
  /** A field value only this tenant has. */
  value: string;
}

interface World {
  home: Tenant;
  foreign: Tenant;
  users: Record<Exclude<PrincipalName, 'customWith' | 'customWithout' | 'anonymous'>, TestUser>;
  /** Custom-role users by permission set (see Expectation.permissions). */
  custom: Map<string, TestUser>;
  /** A fresh orchestration in the home organization with the matrix's access limits. */
  limitedOrchestration(): Promise<string>;
  /** An orchestration of the home organization without access limits (made once). */
  openOrchestration(): Promise<string>;
  /**
   * A fresh organization of the home owner where `member` (default: `caller`) holds the role the
   * principal holds in the home organization (a custom role: `caller`'s permissions). Owners own
   * it; outsiders are not in it.
   */
  freshOrg(principal: PrincipalName, caller: TestUser | undefined, member?: TestUser): Promise<string>;
}

const setKey = (permissions: readonly Permission[]): string => [...permissions].sort().join(',') || '(none)';

function customSets(expectation: Expectation): { with: Permission[]; without: Permission[] } {
  if (expectation.permissions === undefined) return { with: [...PERMISSIONS], without: [] };
  const [decisive] = expectation.permissions;
  return { with: [...expectation.permissions], without: PERMISSIONS.filter((p) => p !== decisive) };
}

const covered = ROUTES.filter((route) => EXPECTATIONS[routeKey(route)] !== undefined);
const CASES = covered.flatMap((route) =>
  PRINCIPALS.map((principal) => [routeKey(route), principal, route] as const),
);
let world: World;
let casesRun = 0;
let openOrchestration: Promise<string> | undefined;

function callerOf(principal: PrincipalName, expectation: Expectation): TestUser | undefined {
  if (principal === 'anonymous') return undefined;
  if (principal === 'customWith' || principal === 'customWithout') {
    const sets = customSets(expectation);
    return world.custom.get(setKey(principal === 'customWith' ? sets.with : sets.without));
  }
  return world.users[principal];
}

async function seedTenant(
  owner: TestUser,
  label: string,
  access?: { roles: string[]; users: string[] },
): Promise<Tenant> {
  const orgName = fresh(`${label}-ORG`);
  const orchestrationName = fresh(`${label}-ORCH`);
  const value = fresh(`${label}-VALUE`);
  const orgId = await createOrg(owner, orgName);
  const orchestrationBody = { name: orchestrationName, ...(access ? { access } : {}) };
  const orchestrationId = await createOrchestration(orgId, owner, orchestrationBody);
  const spareOrchestrationId = await createOrchestration(orgId, owner, orchestrationBody);
  const roleId = await createRole(orgId, owner, { name: 'Spare role', permissions: [] });
  const member = newUser(`${label}-member`);
  await addMember(orgId, owner, member, 'member');
  return {
    orgId,
    orgName,
    orchestrationId,
    orchestrationName,
    spareOrchestrationId,
    jobId: '',
    roleId,
    memberId: member.sub,
    exportId: '',
    backupId: '',
    value,
  };
}

beforeAll(async () => {
  const users = {
    owner: newUser('owner'),
    admin: newUser('admin'),
    memberOwn: newUser('member-own'),
    memberOther: newUser('member-other'),
    limited: newUser('limited'),
    foreignOwner: newUser('foreign-owner'),
    noOrg: newUser('no-org'),
  };
  const sets = new Map<string, Permission[]>();
  for (const expectation of [...Object.values(EXPECTATIONS), ...Object.values(GRANT_CASES)]) {
    const { with: w, without } = customSets(expectation);
    sets.set(setKey(w), w);
    sets.set(setKey(without), without);
  }
  const custom = new Map([...sets.keys()].map((key) => [key, newUser('custom')] as const));
  const permissionsOfCustom = new Map([...custom].map(([key, user]) => [user.sub, sets.get(key)!] as const));
  // Everyone but `limited` is listed on the home orchestrations; owners and admins pass anyway.
  const access = {
    roles: [],
    users: [users.memberOwn, users.memberOther, ...custom.values()].map((u) => u.sub),
  };
  const [home, foreign] = await Promise.all([
    seedTenant(users.owner, 'HOME', access),
    seedTenant(users.foreignOwner, 'FOREIGN'),
  ]);
  // One organization's writes share its audit chain: seeding them one after another keeps it simple.
  await addMember(home.orgId, users.owner, users.admin, 'admin');
  await addMember(home.orgId, users.owner, users.memberOwn, 'member');
  await addMember(home.orgId, users.owner, users.memberOther, 'member');
  await addMember(home.orgId, users.owner, users.limited, 'member');
  for (const [key, permissions] of sets) {
    const roleId = await createRole(home.orgId, users.owner, {
      name: `Custom ${key}`.slice(0, 100),
      permissions,
    });
    await addMember(home.orgId, users.owner, custom.get(key)!, roleId);
  }
  home.jobId = await createJob(home.orgId, home.orchestrationId, users.memberOwn, {
    title: home.value,
    ssn: fresh('HOME-SSN'),
  });
  foreign.jobId = await createJob(foreign.orgId, foreign.orchestrationId, users.foreignOwner, {
    title: foreign.value,
    ssn: fresh('FOREIGN-SSN'),
  });
  for (const [tenant, owner] of [
    [home, users.owner],
    [foreign, users.foreignOwner],
  ] as const) {
    tenant.exportId = await requested(
      portabilityRoutes.createExport,
      tenant.orgId,
      owner,
      { format: 'csv' },
      'exportId',
    );
    tenant.backupId = await requested(
      portabilityRoutes.createBackup,
      tenant.orgId,
      owner,
      { password: BACKUP_PASSWORD },
      'backupId',
    );
  }
  world = {
    home,
    foreign,
    users,
    custom,
    limitedOrchestration: () =>
      createOrchestration(home.orgId, users.owner, { name: home.orchestrationName, access }),
    openOrchestration: () =>
      (openOrchestration ??= createOrchestration(home.orgId, users.owner, { name: home.orchestrationName })),
    freshOrg: async (principal, caller, member = caller) => {
      const orgId = await createOrg(users.owner, fresh('Fresh org'));
      if (member === undefined || ['owner', 'foreignOwner', 'noOrg'].includes(principal)) return orgId;
      const customPermissions =
        principal === 'customWith' || principal === 'customWithout'
          ? permissionsOfCustom.get(caller?.sub ?? '')
          : undefined;
      const role =
        customPermissions !== undefined
          ? await createRole(orgId, users.owner, { name: fresh('Custom'), permissions: customPermissions })
          : principal === 'admin'
            ? 'admin'
            : 'member';
      await addMember(orgId, users.owner, member, role);
      return orgId;
    },
  };
  // Seeding is some fifty writes on one audit chain, one after another: on a loaded machine that outlasts the default 30 s.
}, 120_000);

/** Requests an export or a backup (202) and answers its id. */
async function requested(
  route: RouteDefinition,
  orgId: string,
  as: TestUser,
  body: unknown,
  idField: string,
): Promise<string> {
  const answer = await callRoute({ route, as, params: { orgId }, body });
  if (answer.status !== 202)
    throw new Error(`${routeKey(route)}: expected 202, got ${answer.status} ${answer.text}`);
  return answer.body[idField] as string;
}

afterAll(() => {
  console.log(
    `authorization matrix: ${casesRun} of ${CASES.length} cases run (${covered.length} routes × ${PRINCIPALS.length} principals); routes in ROUTES: ${ROUTES.length}`,
  );
});

/** Strings of a tenant that must not reach someone outside it. */
function markersOf(t: Tenant): string[] {
  return [
    t.orgId,
    t.orgName,
    t.orchestrationId,
    t.spareOrchestrationId,
    t.orchestrationName,
    t.jobId,
    t.roleId,
    t.exportId,
    t.backupId,
    t.value,
  ];
}

function forbiddenMarkers(principal: PrincipalName): string[] {
  const foreign = markersOf(world.foreign);
  const home = markersOf(world.home);
  switch (principal) {
    case 'foreignOwner':
      return home;
    case 'noOrg':
    case 'anonymous':
      return [...home, ...foreign];
    case 'limited':
      // Limited out of the home orchestrations: not even their names or ids.
      return [
        ...foreign,
        world.home.orchestrationId,
        world.home.spareOrchestrationId,
        world.home.orchestrationName,
        world.home.jobId,
        world.home.value,
      ];
    default:
      return foreign;
  }
}

test('every route of the route table has expectations in the matrix', () => {
  const missing = ROUTES.map(routeKey).filter((key) => EXPECTATIONS[key] === undefined);
  expect(missing).toEqual([]);
});

test('the matrix names no route that is not in the route table', () => {
  const known = new Set(ROUTES.map(routeKey));
  expect(Object.keys(EXPECTATIONS).filter((key) => !known.has(key))).toEqual([]);
});

describe(`authorization matrix (${CASES.length} cases)`, () => {
  test.each(CASES)('%s as %s', async (key, principal, route: RouteDefinition) => {
    // Prepare
    const expectation = EXPECTATIONS[key]!;
    const { home } = world;
    const defaults: CaseInput = {
      params: {
        orgId: home.orgId,
        orchestrationId: home.orchestrationId,
        jobId: home.jobId,
        roleId: home.roleId,
        userId: home.memberId,
        exportId: home.exportId,
        backupId: home.backupId,
      },
    };
    const caller = callerOf(principal, expectation);
    const prepared = (await expectation.prepare?.(world, principal, caller)) ?? {};
    const input: CaseInput = { ...defaults, ...prepared, params: { ...defaults.params, ...prepared.params } };
    const as = input.as ?? caller;
    // Act
    const answer: RouteAnswer = await callRoute({
      route,
      as,
      params: input.params,
      ...(input.body === undefined ? {} : { body: input.body }),
      ...(input.query ? { query: input.query } : {}),
    });
    casesRun += 1;
    // Assess
    expect({ key, principal, status: answer.status }).toEqual({
      key,
      principal,
      status: expectation.status[principal],
    });
    const leaked = forbiddenMarkers(principal).filter((marker) => answer.text.includes(marker));
    expect(leaked).toEqual([]);
  });
});

const GRANT_MATRIX = Object.entries(GRANT_CASES).flatMap(([name, grantCase]) =>
  PRINCIPALS.map((principal) => [name, principal, grantCase] as const),
);

describe(`grant paths × principals (${GRANT_MATRIX.length} cases)`, () => {
  test.each(GRANT_MATRIX)('%s as %s', async (name, principal, grantCase) => {
    // Prepare
    const { home } = world;
    const caller = callerOf(principal, grantCase);
    const prepared = (await grantCase.prepare?.(world, principal, caller)) ?? {};
    const params = { orgId: home.orgId, ...prepared.params };
    // Act
    const answer = await callRoute({
      route: grantCase.route,
      as: prepared.as ?? caller,
      params,
      ...(prepared.body === undefined ? {} : { body: prepared.body }),
    });
    // Assess
    expect({ name, principal, status: answer.status }).toEqual({
      name,
      principal,
      status: grantCase.status[principal],
    });
    expect(forbiddenMarkers(principal).filter((marker) => answer.text.includes(marker))).toEqual([]);
  });
});

/** Valid bodies, so that only the foreign id can be the reason for the answer. */
const BOLA_BODIES: Readonly<Record<string, unknown>> = {
  'POST /v1/orgs/{orgId}/orchestrations/{orchestrationId}/jobs': { fields: { title: 'x' } },
  'PATCH /v1/orgs/{orgId}/jobs/{jobId}': { fields: { title: 'x' } },
  'POST /v1/orgs/{orgId}/jobs/{jobId}/transition': { stage: 'review' },
  'PUT /v1/orgs/{orgId}/jobs/{jobId}/restriction': { reason: 'x' },
  'DELETE /v1/orgs/{orgId}/jobs/{jobId}/restriction': { reason: 'x' },
  'PUT /v1/orgs/{orgId}/jobs/{jobId}/hold': { reason: 'x' },
  'PATCH /v1/orgs/{orgId}/orchestrations/{orchestrationId}': { name: 'x' },
  'PATCH /v1/orgs/{orgId}/roles/{roleId}': { name: 'x' },
};

describe('OWASP API1 BOLA: ids of another organization under your own organization path', () => {
  const bolaRoutes = ROUTES.filter(
    (r) =>
      r.path.startsWith('/v1/orgs/{orgId}/') &&
      /\{(jobId|orchestrationId|roleId|exportId|backupId)\}/.test(r.path),
  );
  test.each(bolaRoutes.map((r) => [routeKey(r), r] as const))(
    '%s with the foreign id → 404',
    async (_key, route) => {
      const { foreign, home, users } = world;
      const params = {
        orgId: home.orgId,
        jobId: foreign.jobId,
        orchestrationId: foreign.orchestrationId,
        roleId: foreign.roleId,
        exportId: foreign.exportId,
        backupId: foreign.backupId,
        userId: home.memberId,
        extensionId: 'custom-webhook',
      };
      const body = BOLA_BODIES[routeKey(route)];
      const answer = await callRoute({
        route,
        as: users.owner,
        params,
        ...(body === undefined ? {} : { body }),
      });
      expect(answer.status).toBe(404);
      for (const marker of markersOf(foreign)) expect(answer.text).not.toContain(marker);
    },
  );
});

describe('OWASP API5 BFLA: a member calling management routes', () => {
  const management = [
    'PATCH /v1/orgs/{orgId}',
    'POST /v1/orgs/{orgId}/members',
    'POST /v1/orgs/{orgId}/roles',
    'PATCH /v1/orgs/{orgId}/roles/{roleId}',
    'POST /v1/orgs/{orgId}/orchestrations',
    'PATCH /v1/orgs/{orgId}/orchestrations/{orchestrationId}',
    'DELETE /v1/orgs/{orgId}/orchestrations/{orchestrationId}',
    'DELETE /v1/orgs/{orgId}/jobs/{jobId}',
  ];
  test.each(management)('%s → 403', async (key) => {
    const route = ROUTES.find((r) => routeKey(r) === key)!;
    const prepared = (await EXPECTATIONS[key]!.prepare?.(world, 'memberOwn', world.users.memberOwn)) ?? {};
    const params = {
      orgId: world.home.orgId,
      orchestrationId: world.home.orchestrationId,
      jobId: world.home.jobId,
      roleId: world.home.roleId,
      ...prepared.params,
    };
    const answer = await callRoute({
      route,
      as: world.users.memberOwn,
      params,
      ...(prepared.body === undefined ? {} : { body: prepared.body }),
    });
    expect(answer.status).toBe(403);
  });
});

describe('cursors: forged, foreign and garbled → 400', () => {
  test.each([
    ['forged', () => Buffer.concat([Buffer.of(1), Buffer.alloc(60, 7)]).toString('base64url')],
    ['garbled', () => '%%%not-base64%%%'],
    ['oversized', () => 'A'.repeat(2000)],
  ])('%s', async (_name, make) => {
    const answer = await callRoute({
      route: jobRoutes.listJobs,
      as: world.users.owner,
      params: { orgId: world.home.orgId, orchestrationId: world.home.orchestrationId },
      query: { cursor: make() },
    });
    expect(answer.status).toBe(400);
  });

  test("another organization's cursor", async () => {
    const { foreign, home, users } = world;
    await createJob(foreign.orgId, foreign.orchestrationId, users.foreignOwner, { title: 'second' });
    const page = await callRoute({
      route: jobRoutes.listJobs,
      as: users.foreignOwner,
      params: { orgId: foreign.orgId, orchestrationId: foreign.orchestrationId },
      query: { limit: '1' },
    });
    expect(page.body.nextCursor).toEqual(expect.any(String));
    const answer = await callRoute({
      route: jobRoutes.listJobs,
      as: users.owner,
      params: { orgId: home.orgId, orchestrationId: home.orchestrationId },
      query: { cursor: page.body.nextCursor },
    });
    expect(answer.status).toBe(400);
    for (const marker of markersOf(foreign)) expect(answer.text).not.toContain(marker);
  });
});

describe('OWASP API3 BOPLA: mass assignment and hidden fields', () => {
  test.each([
    ['POST jobs with ownerId', jobRoutes.createJob, { fields: { title: 'x' }, ownerId: 'someone' }],
    ['PATCH job with version', jobRoutes.updateJob, { fields: { title: 'x' }, version: 99 }],
    ['PATCH job with restricted', jobRoutes.updateJob, { fields: {}, restricted: false }],
    ['transition with orgId', jobRoutes.transitionJob, { stage: 'review', orgId: 'other' }],
    [
      'POST orchestration with orgId',
      orchestrationRoutes.createOrchestration,
      { name: 'x', stages: ['new'], fields: [], orgId: 'other' },
    ],
    [
      'POST role with roleId',
      roleRoutes.createRole,
      { name: 'x', permissions: [], roleId: '01J00000000000000000000000' },
    ],
  ])('%s → 400', async (_name, route, body) => {
    const params = {
      orgId: world.home.orgId,
      orchestrationId: world.home.orchestrationId,
      jobId: world.home.jobId,
    };
    const answer = await callRoute({ route, as: world.users.owner, params, body });
    expect(answer.status).toBe(400);
  });

  test('a custom role with ssn hidden never receives it through any job route', async () => {
    const { home, users } = world;
    const orchestrationId = await createOrchestration(home.orgId, users.owner, { name: fresh('Open') });
    const roleId = await createRole(home.orgId, users.owner, {
      name: 'No SSN',
      permissions: ['jobs.read_all', 'jobs.write_all'],
      fieldPermissions: { [orchestrationId]: { ssn: 'hidden' } },
    });
    const reader = newUser('no-ssn');
    await addMember(home.orgId, users.owner, reader, roleId);
    const secret = fresh('SECRET-SSN');
    const jobId = await createJob(home.orgId, orchestrationId, users.owner, { title: 't', ssn: secret });
    const answers = [
      await callRoute({ route: jobRoutes.getJob, as: reader, params: { orgId: home.orgId, jobId } }),
      await callRoute({
        route: jobRoutes.listJobs,
        as: reader,
        params: { orgId: home.orgId, orchestrationId },
        query: { limit: '100' },
      }),
      await callRoute({
        route: jobRoutes.updateJob,
        as: reader,
        params: { orgId: home.orgId, jobId },
        body: { fields: { title: 'u' } },
      }),
      await callRoute({
        route: jobRoutes.transitionJob,
        as: reader,
        params: { orgId: home.orgId, jobId },
        body: { stage: 'done' },
      }),
      await callRoute({
        route: jobRoutes.createJob,
        as: reader,
        params: { orgId: home.orgId, orchestrationId },
        body: { fields: { title: 'own' } },
      }),
      await callRoute({
        route: jobRoutes.updateJob,
        as: reader,
        params: { orgId: home.orgId, jobId },
        body: { fields: { ssn: 'overwrite' } },
      }),
    ];
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 201, 403]);
    for (const answer of answers) expect(answer.text).not.toContain(secret);
    for (const job of [answers[0]!.body, ...answers[1]!.body.items, answers[2]!.body, answers[3]!.body])
      expect(job.fields).not.toHaveProperty('ssn');
    expect(answers[5]!.body.detail).toContain('ssn');
  });
});
