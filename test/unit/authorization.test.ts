/** The one authorization decision, without the network: roles × actions × resources. */
import {
  decide,
  fieldMaskFor,
  jobListScope,
  unwritableField,
  type Action,
  type Actor,
  type Resource,
} from '../../shared/domain/authorization.ts';
import type { Job, Orchestration } from '../../shared/domain/orchestration.ts';
import type { CustomRole } from '../../shared/domain/organization.ts';
import { PERMISSIONS, type Permission } from '../../shared/domain/permissions.ts';

const ORG = '01J00000000000000000000000';
const at = '2026-11-29T00:00:00.000Z';

const orchestration: Orchestration = {
  orgId: ORG,
  orchestrationId: 'O1',
  name: 'Claims',
  stages: ['new', 'done'],
  fields: [
    { id: 'title', label: 'Title', type: 'text', personal: false, encrypted: false, subject: false },
    { id: 'ssn', label: 'SSN', type: 'text', personal: true, encrypted: true, subject: false },
  ],
  createdAt: at,
  updatedAt: at,
  createdBy: 'u-owner',
};
const limited: Orchestration = {
  ...orchestration,
  orchestrationId: 'O2',
  access: { roles: ['R-listed'], users: ['u-listed'] },
};

const jobOf = (ownerId: string, orch: Orchestration = orchestration): Job => ({
  orgId: ORG,
  jobId: 'J1',
  orchestrationId: orch.orchestrationId,
  ownerId,
  stage: 'new',
  fields: {},
  version: 1,
  createdAt: at,
  updatedAt: at,
});

function actor(role: string, userId = `u-${role}`, customRole?: Partial<CustomRole>): Actor {
  const membership = {
    orgId: ORG,
    userId,
    email: `${userId}@example.test`,
    role,
    addedAt: at,
    addedBy: 'u-owner',
  };
  if (customRole === undefined) return { membership };
  return {
    membership,
    customRole: {
      orgId: ORG,
      roleId: role,
      name: role,
      permissions: [],
      fieldPermissions: {},
      createdAt: at,
      updatedAt: at,
      ...customRole,
    },
  };
}

const custom = (permissions: Permission[], fieldPermissions: CustomRole['fieldPermissions'] = {}): Actor =>
  actor('R-custom', 'u-custom', { permissions, fieldPermissions });

const effect = (a: Actor, action: Action, resource: Resource): string => decide(a, action, resource).effect;

describe('organization-level actions', () => {
  const org: Resource = { kind: 'org' };
  test.each<[string, Actor, Action, string]>([
    ['owner', actor('owner'), 'org.delete', 'allow'],
    ['admin', actor('admin'), 'org.delete', 'denied'],
    ['custom with every permission', custom([...PERMISSIONS]), 'org.delete', 'denied'],
    ['owner', actor('owner'), 'backups.create', 'allow'],
    ['admin', actor('admin'), 'backups.create', 'denied'],
    ['admin', actor('admin'), 'owners.manage', 'denied'],
    ['owner', actor('owner'), 'audit.read', 'allow'],
    ['admin', actor('admin'), 'audit.read', 'denied'],
    ['custom with audit.read', custom(['audit.read']), 'audit.read', 'allow'],
    ['member', actor('member'), 'org.read', 'allow'],
    ['member', actor('member'), 'roles.read', 'allow'],
    ['member', actor('member'), 'org.update', 'denied'],
    ['member', actor('member'), 'roles.manage', 'denied'],
    ['member', actor('member'), 'orchestrations.manage', 'denied'],
    ['member', actor('member'), 'members.manage', 'denied'],
    ['admin', actor('admin'), 'roles.manage', 'allow'],
    ['admin', actor('admin'), 'orchestrations.manage', 'allow'],
    ['custom without permissions', custom([]), 'roles.manage', 'denied'],
  ])('%s → %s: %s', (_name, who, action, expected) => {
    expect(effect(who, action, org)).toBe(expected);
  });

  test.each(
    PERMISSIONS.filter((p) => p !== 'jobs.read_all' && p !== 'jobs.write_all' && p !== 'jobs.delete'),
  )('a custom role is allowed %s exactly when it holds that permission', (permission) => {
    const action = permission as Action;
    expect(effect(custom([permission]), action, org)).toBe('allow');
    expect(effect(custom(PERMISSIONS.filter((p) => p !== permission)), action, org)).toBe('denied');
  });
});

describe('orchestration access limits', () => {
  test.each<[string, Actor, string]>([
    ['owner', actor('owner'), 'allow'],
    ['admin', actor('admin'), 'allow'],
    ['unlisted member', actor('member'), 'hidden'],
    ['listed user', actor('member', 'u-listed'), 'allow'],
    ['listed custom role', actor('R-listed', 'u-x', {}), 'allow'],
    ['unlisted custom role with every permission', custom([...PERMISSIONS]), 'hidden'],
  ])('%s reading a limited orchestration: %s', (_name, who, expected) => {
    expect(effect(who, 'orchestrations.read', { kind: 'orchestration', orchestration: limited })).toBe(
      expected,
    );
    // Its jobs are hidden alike, even one the actor owns.
    expect(
      effect(who, 'jobs.read', {
        kind: 'job',
        orchestration: limited,
        job: jobOf(who.membership.userId, limited),
      }),
    ).toBe(expected);
  });
});

describe('jobs', () => {
  const own = (a: Actor): Resource => ({ kind: 'job', orchestration, job: jobOf(a.membership.userId) });
  const others = (): Resource => ({ kind: 'job', orchestration, job: jobOf('u-someone-else') });

  test.each<[string, Actor, Action, 'own' | 'others', string]>([
    ['member', actor('member'), 'jobs.read', 'own', 'allow'],
    ['member', actor('member'), 'jobs.update', 'own', 'allow'],
    ['member', actor('member'), 'jobs.delete', 'own', 'denied'],
    ['member', actor('member'), 'jobs.read', 'others', 'hidden'],
    ['member', actor('member'), 'jobs.update', 'others', 'hidden'],
    ['member', actor('member'), 'jobs.delete', 'others', 'hidden'],
    ['admin', actor('admin'), 'jobs.read', 'others', 'allow'],
    ['admin', actor('admin'), 'jobs.update', 'others', 'allow'],
    ['admin', actor('admin'), 'jobs.delete', 'others', 'allow'],
    ['read_all', custom(['jobs.read_all']), 'jobs.read', 'others', 'allow'],
    ['read_all', custom(['jobs.read_all']), 'jobs.update', 'others', 'denied'],
    ['read_all + write_all', custom(['jobs.read_all', 'jobs.write_all']), 'jobs.update', 'others', 'allow'],
    ['write_all without read_all', custom(['jobs.write_all']), 'jobs.update', 'others', 'hidden'],
    ['read_all + delete', custom(['jobs.read_all', 'jobs.delete']), 'jobs.delete', 'others', 'allow'],
    ['read_all', custom(['jobs.read_all']), 'records.restrict', 'others', 'denied'],
    ['custom none', custom([]), 'jobs.read', 'own', 'allow'],
  ])('%s %s on %s job: %s', (_name, who, action, whose, expected) => {
    expect(effect(who, action, whose === 'own' ? own(who) : others())).toBe(expected);
  });

  test('a member lists only its own jobs unless granted jobs.read_all', () => {
    expect(jobListScope(actor('member'))).toBe('own');
    expect(jobListScope(custom(['jobs.read_all']))).toBe('all');
    expect(jobListScope(actor('admin'))).toBe('all');
  });
});

describe('field masks', () => {
  test('built-in roles may write every field; a custom role gets what its field permissions say', () => {
    expect(fieldMaskFor(actor('member'), orchestration)).toEqual({ title: 'write', ssn: 'write' });
    const reader = custom([], { O1: { ssn: 'hidden', title: 'read' } });
    expect(fieldMaskFor(reader, orchestration)).toEqual({ title: 'read', ssn: 'hidden' });
    const decision = decide(reader, 'jobs.read', { kind: 'job', orchestration, job: jobOf('u-custom') });
    expect(decision).toEqual({ effect: 'allow', fieldMask: { title: 'read', ssn: 'hidden' } });
  });

  test('field permissions of another orchestration do not apply', () => {
    expect(fieldMaskFor(custom([], { O9: { ssn: 'hidden' } }), orchestration)).toEqual({
      title: 'write',
      ssn: 'write',
    });
  });

  test.each<[string, Record<string, 'hidden' | 'read' | 'write'>, string[], string | undefined]>([
    ['writable', { a: 'write' }, ['a'], undefined],
    ['read-only', { a: 'write', b: 'read' }, ['a', 'b'], 'b'],
    ['hidden', { a: 'hidden' }, ['a'], 'a'],
    ['unknown', {}, ['z'], 'z'],
  ])('unwritableField: %s', (_name, mask, ids, expected) => {
    expect(unwritableField(mask, ids)).toBe(expected);
  });
});
