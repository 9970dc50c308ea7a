/**
 * No one grants what they do not hold: the grant decision alone, without the network. The
 * scenarios of issue 16 one by one, then a property over random sequences of grants by random
 * principals, judged by an oracle written apart from the decision (test/support/grant-oracle.ts).
 */
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { decide, type Action, type Actor } from '../../../shared/domain/authorization.ts';
import { decideGrant, roleHolder, type GrantChange } from '../../../shared/domain/grants.ts';
import type { Orchestration, OrchestrationAccess } from '../../../shared/domain/orchestration.ts';
import type { CustomRole, Membership } from '../../../shared/domain/organization.ts';
import {
  FIELD_ACCESS,
  PERMISSIONS,
  type FieldAccess,
  type Permission,
} from '../../../shared/domain/permissions.ts';
import { factsOf, givenBeyond, rankOf } from '../../support/grant-oracle.ts';

const ORG = '01J00000000000000000000000';
const at = '2026-12-01T00:00:00.000Z';
const FIELDS = ['title', 'phone', 'ssn'] as const;

function orchestration(orchestrationId: string, access?: OrchestrationAccess): Orchestration {
  return {
    orgId: ORG,
    orchestrationId,
    name: orchestrationId,
    stages: ['new'],
    fields: FIELDS.map((id) => ({
      id,
      label: id,
      type: 'text' as const,
      personal: id !== 'title',
      encrypted: id === 'ssn',
      subject: false,
    })),
    ...(access === undefined ? {} : { access }),
    createdAt: at,
    updatedAt: at,
    createdBy: 'u0',
  };
}

const membership = (userId: string, role: string): Membership => ({
  orgId: ORG,
  userId,
  email: `${userId}@example.test`,
  role,
  addedAt: at,
  addedBy: 'u0',
});
const role = (
  roleId: string,
  permissions: readonly Permission[],
  fieldPermissions: CustomRole['fieldPermissions'] = {},
): CustomRole => ({
  orgId: ORG,
  roleId,
  name: roleId,
  permissions,
  fieldPermissions,
  createdAt: at,
  updatedAt: at,
});
const holder = (userId: string, r: string | CustomRole): Actor =>
  typeof r === 'string'
    ? { membership: membership(userId, r) }
    : { membership: membership(userId, r.roleId), customRole: r };

const OPEN = orchestration('O-open');
const LIMITED = orchestration('O-limited', { roles: ['R-listed'], users: ['u-listed'] });
const ORCHESTRATIONS = [OPEN, LIMITED];
const grantee = (actor: Actor) => ({ actor, orchestrations: ORCHESTRATIONS });
const grant = (granter: Actor, ...changes: [Actor | undefined, Actor][]) =>
  decideGrant(
    grantee(granter),
    changes.map(([before, after]): GrantChange =>
      before === undefined ? { after: grantee(after) } : { before: grantee(before), after: grantee(after) },
    ),
  ).effect;

describe('the scenarios of issue 16', () => {
  const membersManager = role('R-members', ['members.manage']);
  const me = holder('u-me', membersManager);

  test('members.manage alone cannot make its holder an admin', () => {
    expect(grant(me, [me, holder('u-me', 'admin')])).toBe('denied');
  });

  test('members.manage alone cannot add an admin', () => {
    expect(grant(me, [undefined, holder('u-new', 'admin')])).toBe('denied');
  });

  test('members.manage may add a plain member who sees no more than it does', () => {
    expect(grant(me, [undefined, holder('u-new', 'member')])).toBe('allow');
  });

  test('an admin cannot give a role audit.read, nor a member such a role', () => {
    const admin = holder('u-admin', 'admin');
    const auditor = role('R-audit', ['audit.read']);
    expect(grant(admin, [undefined, roleHolder(auditor)])).toBe('denied');
    expect(grant(admin, [undefined, holder('u-new', auditor)])).toBe('denied');
  });

  test('roles.manage with phone hidden cannot widen its own phone access, nor give it to a new role', () => {
    const narrow = role('R-roles', ['roles.manage'], { [OPEN.orchestrationId]: { phone: 'hidden' } });
    const widened = { ...narrow, fieldPermissions: { [OPEN.orchestrationId]: { phone: 'write' as const } } };
    const editor = holder('u-editor', narrow);
    expect(
      grant(editor, [roleHolder(narrow), roleHolder(widened)], [editor, holder('u-editor', widened)]),
    ).toBe('denied');
    expect(
      grant(editor, [
        undefined,
        roleHolder(role('R-new', [], { [OPEN.orchestrationId]: { phone: 'read' } })),
      ]),
    ).toBe('denied');
    // Unlisted fields default to write: a new role must say hidden where its creator sees nothing.
    expect(grant(editor, [undefined, roleHolder(role('R-new', []))])).toBe('denied');
    expect(
      grant(editor, [
        undefined,
        roleHolder(role('R-new', [], { [OPEN.orchestrationId]: { phone: 'hidden' } })),
      ]),
    ).toBe('allow');
  });

  test('a role cannot be given an orchestration its granter does not see', () => {
    const manager = role('R-manager', ['roles.manage', 'members.manage']);
    const editor = holder('u-editor', manager);
    expect(grant(editor, [undefined, holder('u-new', role('R-listed', []))])).toBe('denied');
    expect(grant(holder('u-listed', manager), [undefined, holder('u-new', role('R-listed', []))])).toBe(
      'allow',
    );
  });

  test.each(PERMISSIONS)('%s: owners may grant it, holders may, others may not', (permission) => {
    const given = roleHolder(role('R-given', [permission]));
    expect(grant(holder('u0', 'owner'), [undefined, given])).toBe('allow');
    expect(grant(holder('u1', role('R-holder', ['roles.manage', permission])), [undefined, given])).toBe(
      'allow',
    );
    expect(grant(holder('u1', role('R-bare', ['roles.manage'])), [undefined, given])).toBe(
      permission === 'roles.manage' ? 'allow' : 'denied',
    );
  });

  test('only owners make owners; owners and admins assign admin', () => {
    const everything = role('R-all', [...PERMISSIONS]);
    expect(grant(holder('u0', 'owner'), [undefined, holder('u-new', 'owner')])).toBe('allow');
    expect(grant(holder('u1', 'admin'), [undefined, holder('u-new', 'owner')])).toBe('denied');
    expect(grant(holder('u1', 'admin'), [undefined, holder('u-new', 'admin')])).toBe('allow');
    expect(grant(holder('u2', everything), [undefined, holder('u-new', 'admin')])).toBe('denied');
  });

  test('nobody raises their own role; lowering it is fine', () => {
    const admin = holder('u1', 'admin');
    expect(grant(admin, [admin, holder('u1', 'owner')])).toBe('denied');
    expect(grant(admin, [admin, holder('u1', 'member')])).toBe('allow');
    const owner = holder('u0', 'owner');
    expect(grant(owner, [owner, holder('u0', 'admin')])).toBe('allow');
  });

  test('lowering a field is no grant, whoever does it', () => {
    const before = role('R-x', [], { [OPEN.orchestrationId]: { ssn: 'read' } });
    const after = role('R-x', [], { [OPEN.orchestrationId]: { ssn: 'hidden' } });
    const narrow = holder(
      'u-editor',
      role('R-roles', ['roles.manage'], { [OPEN.orchestrationId]: { ssn: 'hidden' } }),
    );
    expect(grant(narrow, [roleHolder(before), roleHolder(after)])).toBe('allow');
  });
});

/*
 * The property. A small organization: an open and a limited orchestration of three fields, an
 * owner, and random steps by random members: create or change a custom role, add a member, change
 * a member's role, change the limited orchestration's access. A step runs when the one
 * authorization decision lets the caller take its action and the grant decision allows it.
 */
interface World {
  readonly roles: ReadonlyMap<string, CustomRole>;
  readonly members: ReadonlyMap<string, string>;
  readonly orchestrations: readonly Orchestration[];
}

type Step =
  | {
      readonly kind: 'createRole';
      readonly by: number;
      readonly permissions: Permission[];
      readonly fields: FieldAccess[];
    }
  | {
      readonly kind: 'updateRole';
      readonly by: number;
      readonly role: number;
      readonly permissions: Permission[];
      readonly fields: FieldAccess[];
    }
  | { readonly kind: 'addMember'; readonly by: number; readonly role: number }
  | { readonly kind: 'changeRole'; readonly by: number; readonly target: number; readonly role: number }
  | { readonly kind: 'setAccess'; readonly by: number; readonly roles: number[]; readonly users: number[] };

const pick = <T>(items: readonly T[], i: number): T => items[i % items.length]!;
const roleNames = (w: World): string[] => ['owner', 'admin', 'member', ...w.roles.keys()];
const actorIn = (w: World, userId: string): Actor => {
  const name = w.members.get(userId)!;
  const customRole = w.roles.get(name);
  return customRole === undefined
    ? { membership: membership(userId, name) }
    : { membership: membership(userId, name), customRole };
};
const fieldPermissionsOf = (fields: FieldAccess[]): CustomRole['fieldPermissions'] => ({
  [OPEN.orchestrationId]: Object.fromEntries(FIELDS.map((f, i) => [f, pick(fields, i)])),
  [LIMITED.orchestrationId]: Object.fromEntries(FIELDS.map((f, i) => [f, pick(fields, i + 1)])),
});

/** The action a step needs of the one authorization decision, as the use cases ask it. */
function mayAct(w: World, actor: Actor, action: Action): boolean {
  const resource =
    action === 'orchestrations.manage'
      ? { kind: 'orchestration' as const, orchestration: w.orchestrations[1]! }
      : { kind: 'org' as const };
  return decide(actor, action, resource).effect === 'allow';
}

/** The world after the step, its granter and the principals it changes, or undefined when the step is not taken. */
function apply(
  w: World,
  step: Step,
):
  | {
      next: World;
      granter: Actor;
      changed: [Actor | undefined, Actor][];
      orchestrationsBefore: readonly Orchestration[];
    }
  | undefined {
  const userIds = [...w.members.keys()];
  const by = pick(userIds, step.by);
  const granter = actorIn(w, by);
  const grantees = (a: Actor) => ({ actor: a, orchestrations: w.orchestrations });
  let next: World;
  let changes: GrantChange[];
  let changed: [Actor | undefined, Actor][];
  switch (step.kind) {
    case 'createRole': {
      if (!mayAct(w, granter, 'roles.manage')) return undefined;
      const created = role(`R${w.roles.size}`, step.permissions, fieldPermissionsOf(step.fields));
      next = { ...w, roles: new Map([...w.roles, [created.roleId, created]]) };
      changed = [[undefined, roleHolder(created)]];
      changes = [{ after: grantees(roleHolder(created)) }];
      break;
    }
    case 'updateRole': {
      if (w.roles.size === 0 || !mayAct(w, granter, 'roles.manage')) return undefined;
      const current = pick([...w.roles.values()], step.role);
      const updated = {
        ...current,
        permissions: step.permissions,
        fieldPermissions: fieldPermissionsOf(step.fields),
      };
      next = { ...w, roles: new Map([...w.roles, [current.roleId, updated]]) };
      const holders = userIds.filter((u) => w.members.get(u) === current.roleId);
      changed = [
        [roleHolder(current), roleHolder(updated)],
        ...holders.map((u): [Actor, Actor] => [actorIn(w, u), actorIn(next, u)]),
      ];
      changes = changed.map(([before, after]) => ({ before: grantees(before!), after: grantees(after) }));
      break;
    }
    case 'addMember': {
      const given = pick(roleNames(w), step.role);
      if (!mayAct(w, granter, given === 'owner' ? 'owners.manage' : 'members.manage')) return undefined;
      const userId = `u${w.members.size}`;
      next = { ...w, members: new Map([...w.members, [userId, given]]) };
      changed = [[undefined, actorIn(next, userId)]];
      changes = [{ after: grantees(actorIn(next, userId)) }];
      break;
    }
    case 'changeRole': {
      const target = pick(userIds, step.target);
      const given = pick(roleNames(w), step.role);
      if (!mayAct(w, granter, 'members.manage')) return undefined;
      if ((w.members.get(target) === 'owner' || given === 'owner') && !mayAct(w, granter, 'owners.manage'))
        return undefined;
      next = { ...w, members: new Map([...w.members, [target, given]]) };
      changed = [[actorIn(w, target), actorIn(next, target)]];
      changes = [{ before: grantees(actorIn(w, target)), after: grantees(actorIn(next, target)) }];
      break;
    }
    case 'setAccess': {
      if (!mayAct(w, granter, 'orchestrations.manage')) return undefined;
      const limited = w.orchestrations[1]!;
      const access = {
        roles: step.roles.map((i) => pick(roleNames(w), i)),
        users: step.users.map((i) => pick(userIds, i)),
      };
      next = { ...w, orchestrations: [w.orchestrations[0]!, { ...limited, access }] };
      const principals = [...userIds.map((u) => actorIn(w, u)), ...[...w.roles.values()].map(roleHolder)];
      changed = principals.map((p) => [p, p]);
      changes = principals.map((p) => ({
        before: grantees(p),
        after: { actor: p, orchestrations: next.orchestrations },
      }));
      break;
    }
  }
  if (decideGrant(grantees(granter), changes).effect !== 'allow') return undefined;
  return { next, granter, changed, orchestrationsBefore: w.orchestrations };
}

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant('createRole' as const),
    by: fc.nat(),
    permissions: fc.subarray([...PERMISSIONS]),
    fields: fc.array(fc.constantFrom(...FIELD_ACCESS), { minLength: 1, maxLength: 4 }),
  }),
  fc.record({
    kind: fc.constant('updateRole' as const),
    by: fc.nat(),
    role: fc.nat(),
    permissions: fc.subarray([...PERMISSIONS]),
    fields: fc.array(fc.constantFrom(...FIELD_ACCESS), { minLength: 1, maxLength: 4 }),
  }),
  fc.record({ kind: fc.constant('addMember' as const), by: fc.nat(), role: fc.nat() }),
  fc.record({ kind: fc.constant('changeRole' as const), by: fc.nat(), target: fc.nat(), role: fc.nat() }),
  fc.record({
    kind: fc.constant('setAccess' as const),
    by: fc.nat(),
    roles: fc.array(fc.nat(), { maxLength: 3 }),
    users: fc.array(fc.nat(), { maxLength: 3 }),
  }),
);

describe('property: random sequences of grants by random principals', () => {
  test('every accepted step gives nobody anything its granter lacked, and nobody raises their own role', () => {
    fc.assert(
      fc.property(fc.array(stepArb, { minLength: 1, maxLength: 30 }), (steps) => {
        let w: World = {
          roles: new Map(),
          members: new Map([['u0', 'owner']]),
          orchestrations: ORCHESTRATIONS,
        };
        for (const step of steps) {
          const taken = apply(w, step);
          if (taken === undefined) continue;
          const granterHeld = factsOf(taken.granter, taken.orchestrationsBefore);
          for (const [before, after] of taken.changed) {
            const had =
              before === undefined ? new Map<string, number>() : factsOf(before, taken.orchestrationsBefore);
            expect(givenBeyond(granterHeld, had, factsOf(after, taken.next.orchestrations))).toEqual([]);
            const role = after.membership.role;
            const granterRole = taken.granter.membership.role;
            if (role !== before?.membership.role && role === 'owner') expect(granterRole).toBe('owner');
            if (role !== before?.membership.role && role === 'admin')
              expect(['owner', 'admin']).toContain(granterRole);
            if (after.membership.userId === taken.granter.membership.userId && before !== undefined)
              expect(rankOf(after.membership.role)).toBeLessThanOrEqual(rankOf(before.membership.role));
          }
          w = taken.next;
        }
      }),
      { numRuns: 300 },
    );
  });
});
