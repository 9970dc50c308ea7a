/** Orchestration definitions and custom roles through the real handlers against the emulators. */
import { jobRoutes } from '../../shared/api/routes/jobs.ts';
import { orchestrationRoutes } from '../../shared/api/routes/orchestrations.ts';
import { orgRoutes } from '../../shared/api/routes/orgs.ts';
import { roleRoutes } from '../../shared/api/routes/roles.ts';
import {
  SAMPLE_FIELDS,
  addMember,
  createJob,
  createOrchestration,
  createOrg,
  createRole,
} from './api/fixtures.ts';
import { callRoute, newUser } from './api/invoke-route.ts';
import { auditEvents, storedRecords } from './api/stored.ts';

const owner = newUser('owner');
const roleManager = newUser('role-manager');
let orgId: string;

beforeAll(async () => {
  orgId = await createOrg(owner, 'Definitions Ltd');
  const managerRole = await createRole(orgId, owner, { name: 'Role manager', permissions: ['roles.manage'] });
  await addMember(orgId, owner, roleManager, managerRole);
});

describe('orchestration definitions', () => {
  test.each([
    [
      'two subject fields',
      {
        fields: [
          ...SAMPLE_FIELDS,
          { id: 'other', label: 'Other', type: 'email', personal: true, subject: true },
        ],
      },
    ],
    [
      'a subject field that is not an email',
      { fields: [{ id: 'who', label: 'Who', type: 'text', personal: true, subject: true }] },
    ],
    [
      'a subject field not marked personal',
      { fields: [{ id: 'who', label: 'Who', type: 'email', subject: true }] },
    ],
    [
      'duplicate field ids',
      {
        fields: [
          { id: 'a', label: 'A', type: 'text' },
          { id: 'a', label: 'B', type: 'number' },
        ],
      },
    ],
    ['an invalid field id', { fields: [{ id: 'Bad-Id', label: 'A', type: 'text' }] }],
    ['duplicate stages', { stages: ['new', 'new'] }],
    ['no stages', { stages: [] }],
    [
      'an unknown custom role in the access list',
      { access: { roles: ['01J00000000000000000000000'], users: [] } },
    ],
  ])('%s is a 400', async (_name, change) => {
    const res = await callRoute({
      route: orchestrationRoutes.createOrchestration,
      as: owner,
      params: { orgId },
      body: { name: 'X', stages: ['new'], fields: [], ...change },
    });
    expect(res.status).toBe(400);
  });

  test('while jobs exist, type changes and removals are 409; additions and relabels are fine', async () => {
    const orchestrationId = await createOrchestration(orgId, owner);
    await createJob(orgId, orchestrationId, owner, { title: 'in use' });
    const changed = SAMPLE_FIELDS.map((f) => (f.id === 'amount' ? { ...f, type: 'text' } : f));
    const typeChange = await callRoute({
      route: orchestrationRoutes.updateOrchestration,
      as: owner,
      params: { orgId, orchestrationId },
      body: { fields: changed },
    });
    expect(typeChange.status).toBe(409);
    expect(typeChange.body.type).toMatch(/\/jobs-exist$/);
    const removal = await callRoute({
      route: orchestrationRoutes.updateOrchestration,
      as: owner,
      params: { orgId, orchestrationId },
      body: { fields: SAMPLE_FIELDS.slice(1) },
    });
    expect(removal.status).toBe(409);
    const addition = await callRoute({
      route: orchestrationRoutes.updateOrchestration,
      as: owner,
      params: { orgId, orchestrationId },
      body: {
        fields: [
          ...SAMPLE_FIELDS.map((f) => ({ ...f, label: `${f.label} (renamed)` })),
          { id: 'notes', label: 'Notes', type: 'text' },
        ],
        stages: ['new', 'review', 'done', 'archived'],
      },
    });
    expect(addition.status).toBe(200);
    expect(addition.body.fields.map((f: { id: string }) => f.id)).toContain('notes');
  });

  test('without jobs, a field may change its type', async () => {
    const orchestrationId = await createOrchestration(orgId, owner);
    const changed = SAMPLE_FIELDS.map((f) => (f.id === 'amount' ? { ...f, type: 'text' } : f));
    expect(
      (
        await callRoute({
          route: orchestrationRoutes.updateOrchestration,
          as: owner,
          params: { orgId, orchestrationId },
          body: { fields: changed },
        })
      ).status,
    ).toBe(200);
  });

  test('deleting erases every job for real and the audit event records how many', async () => {
    const orchestrationId = await createOrchestration(orgId, owner);
    const jobIds: string[] = [];
    for (let i = 0; i < 12; i++)
      jobIds.push(await createJob(orgId, orchestrationId, owner, { title: `job ${i}`, ssn: `secret ${i}` }));
    const res = await callRoute({
      route: orchestrationRoutes.deleteOrchestration,
      as: owner,
      params: { orgId, orchestrationId },
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ jobsErased: 12 });
    const left = (await storedRecords(orgId, 'JOB#')).filter(
      (item) => item.orchestrationId === orchestrationId,
    );
    expect(left).toEqual([]);
    expect(await storedRecords(orgId, `ORCH#${orchestrationId}`)).toEqual([]);
    const event = (await auditEvents(orgId)).find(
      (e) => e.action === 'orchestration.delete' && (e.resource as { id: string }).id === orchestrationId,
    );
    expect(event?.detail).toEqual({ jobs: 12 });
    expect(
      (await callRoute({ route: jobRoutes.getJob, as: owner, params: { orgId, jobId: jobIds[0]! } })).status,
    ).toBe(404);
    expect(
      (
        await callRoute({
          route: orchestrationRoutes.getOrchestration,
          as: owner,
          params: { orgId, orchestrationId },
        })
      ).status,
    ).toBe(404);
  });

  test('access limits hide an orchestration from members not listed, but not from admins', async () => {
    const listed = newUser('listed');
    const unlisted = newUser('unlisted');
    await addMember(orgId, owner, listed, 'member');
    await addMember(orgId, owner, unlisted, 'member');
    const orchestrationId = await createOrchestration(orgId, owner, {
      access: { roles: [], users: [listed.sub] },
    });
    const seenBy = async (user: typeof owner) =>
      (
        await callRoute({ route: orchestrationRoutes.listOrchestrations, as: user, params: { orgId } })
      ).body.items.map((o: { orchestrationId: string }) => o.orchestrationId);
    expect(await seenBy(listed)).toContain(orchestrationId);
    expect(await seenBy(unlisted)).not.toContain(orchestrationId);
    expect(await seenBy(owner)).toContain(orchestrationId);
    expect(
      (
        await callRoute({
          route: orchestrationRoutes.getOrchestration,
          as: unlisted,
          params: { orgId, orchestrationId },
        })
      ).status,
    ).toBe(404);
  });
});

describe('custom roles', () => {
  test('field permissions must name existing orchestrations and fields', async () => {
    const orchestrationId = await createOrchestration(orgId, owner);
    const unknownField = await callRoute({
      route: roleRoutes.createRole,
      as: owner,
      params: { orgId },
      body: { name: 'R', permissions: [], fieldPermissions: { [orchestrationId]: { nope: 'hidden' } } },
    });
    expect(unknownField.status).toBe(400);
    expect(unknownField.body.errors[0].path).toBe(`body.fieldPermissions.${orchestrationId}.nope`);
    const unknownOrchestration = await callRoute({
      route: roleRoutes.createRole,
      as: owner,
      params: { orgId },
      body: {
        name: 'R',
        permissions: [],
        fieldPermissions: { '01J00000000000000000000000': { title: 'read' } },
      },
    });
    expect(unknownOrchestration.status).toBe(400);
    const unknownPermission = await callRoute({
      route: roleRoutes.createRole,
      as: owner,
      params: { orgId },
      body: { name: 'R', permissions: ['jobs.everything'] },
    });
    expect(unknownPermission.status).toBe(400);
  });

  test('a role manager cannot grant permissions it does not hold (no escalation through roles.manage)', async () => {
    const res = await callRoute({
      route: roleRoutes.createRole,
      as: roleManager,
      params: { orgId },
      body: { name: 'Escalate', permissions: ['jobs.read_all'] },
    });
    expect(res.status).toBe(403);
    const own = await callRoute({
      route: roleRoutes.createRole,
      as: roleManager,
      params: { orgId },
      body: { name: 'Fine', permissions: ['roles.manage'] },
    });
    expect(own.status).toBe(201);
  });

  test('a role members hold cannot be deleted (409); once nobody holds it, it can', async () => {
    const roleId = await createRole(orgId, owner, { name: 'Temporary', permissions: ['jobs.read_all'] });
    const holder = newUser('holder');
    await addMember(orgId, owner, holder, roleId);
    const refused = await callRoute({ route: roleRoutes.deleteRole, as: owner, params: { orgId, roleId } });
    expect(refused.status).toBe(409);
    expect(
      (
        await callRoute({
          route: orgRoutes.changeMember,
          as: owner,
          params: { orgId, userId: holder.sub },
          body: { role: 'member' },
        })
      ).status,
    ).toBe(200);
    expect(
      (await callRoute({ route: roleRoutes.deleteRole, as: owner, params: { orgId, roleId } })).status,
    ).toBe(204);
    const roles = await callRoute({ route: roleRoutes.listRoles, as: owner, params: { orgId } });
    expect(roles.body.items.map((r: { roleId: string }) => r.roleId)).not.toContain(roleId);
  });

  test('changing a role changes what its holders may do at once', async () => {
    const roleId = await createRole(orgId, owner, { name: 'Reader', permissions: [] });
    const reader = newUser('reader');
    await addMember(orgId, owner, reader, roleId);
    const orchestrationId = await createOrchestration(orgId, owner);
    const jobId = await createJob(orgId, orchestrationId, owner, { title: 'owned by the owner' });
    expect((await callRoute({ route: jobRoutes.getJob, as: reader, params: { orgId, jobId } })).status).toBe(
      404,
    );
    expect(
      (
        await callRoute({
          route: roleRoutes.updateRole,
          as: owner,
          params: { orgId, roleId },
          body: { permissions: ['jobs.read_all'] },
        })
      ).status,
    ).toBe(200);
    expect((await callRoute({ route: jobRoutes.getJob, as: reader, params: { orgId, jobId } })).status).toBe(
      200,
    );
  });
});
