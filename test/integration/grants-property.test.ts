/**
 * No one grants what they do not hold, as a property of the real stack: random sequences of grants
 * by random members — creating and changing custom roles (permissions, field permissions), adding
 * members, changing roles, changing an orchestration's access — through the real handlers against
 * the emulators. After every step:
 * - a refused step (403) left the organization's raw partition exactly as it was, records and
 *   audit alike, but for the one audit event of the refusal (outcome `denied`);
 * - an accepted step gave nobody a permission, an orchestration or a field access (hidden < read <
 *   write) that its caller did not hold before it, and raised nobody's own role; judged by the
 *   oracle of test/support/grant-oracle.ts on the state read back from the routes.
 */
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { orchestrationRoutes } from '../../shared/api/routes/orchestrations.ts';
import { orgRoutes } from '../../shared/api/routes/orgs.ts';
import { roleRoutes } from '../../shared/api/routes/roles.ts';
import type { Actor } from '../../shared/domain/authorization.ts';
import type { Orchestration } from '../../shared/domain/orchestration.ts';
import type { CustomRole } from '../../shared/domain/organization.ts';
import {
  FIELD_ACCESS,
  PERMISSIONS,
  type FieldAccess,
  type Permission,
} from '../../shared/domain/permissions.ts';
import { changes, partitionState } from '../security/partition-state.ts';
import { factsOf, givenBeyond, rankOf } from '../support/grant-oracle.ts';
import { addMember, createOrchestration, createOrg, createRole } from './api/fixtures.ts';
import { callRoute, newUser, type RouteAnswer, type TestUser } from './api/invoke-route.ts';

interface State {
  readonly orchestrations: Orchestration[];
  readonly roles: CustomRole[];
  /** userId → role, as the members route lists them. */
  readonly members: Map<string, string>;
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

const FIELDS = ['title', 'phone', 'ssn'] as const;
const pick = <T>(items: readonly T[], i: number): T => items[i % items.length]!;
const accessArb = fc.array(fc.constantFrom(...FIELD_ACCESS), { minLength: 3, maxLength: 3 });
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant('createRole' as const),
    by: fc.nat(),
    permissions: fc.subarray([...PERMISSIONS]),
    fields: accessArb,
  }),
  fc.record({
    kind: fc.constant('updateRole' as const),
    by: fc.nat(),
    role: fc.nat(),
    permissions: fc.subarray([...PERMISSIONS]),
    fields: accessArb,
  }),
  fc.record({ kind: fc.constant('addMember' as const), by: fc.nat(), role: fc.nat() }),
  fc.record({ kind: fc.constant('changeRole' as const), by: fc.nat(), target: fc.nat(), role: fc.nat() }),
  fc.record({
    kind: fc.constant('setAccess' as const),
    by: fc.nat(),
    roles: fc.array(fc.nat(), { maxLength: 2 }),
    users: fc.array(fc.nat(), { maxLength: 2 }),
  }),
);

async function readState(orgId: string, owner: TestUser): Promise<State> {
  const params = { orgId };
  const query = { limit: '100' };
  const [orchestrations, roles, members] = await Promise.all([
    callRoute({ route: orchestrationRoutes.listOrchestrations, as: owner, params }),
    callRoute({ route: roleRoutes.listRoles, as: owner, params, query }),
    callRoute({ route: orgRoutes.listMembers, as: owner, params, query }),
  ]);
  return {
    orchestrations: (orchestrations.body.items as Omit<Orchestration, 'orgId' | 'createdBy'>[]).map((o) => ({
      ...o,
      orgId,
      createdBy: '',
    })),
    roles: (roles.body.items as Omit<CustomRole, 'orgId'>[]).map((r) => ({ ...r, orgId })),
    members: new Map(
      (members.body.items as { userId: string; role: string }[]).map((m) => [m.userId, m.role]),
    ),
  };
}

function actorOf(state: State, userId: string, role = state.members.get(userId) ?? 'member'): Actor {
  const membership = { orgId: '', userId, email: '', role, addedAt: '', addedBy: '' };
  const customRole = state.roles.find((r) => r.roleId === role);
  return customRole === undefined ? { membership } : { membership, customRole };
}

/** Sends the step as the member it names; the answer, and the user it added when it adds one. */
async function send(
  orgId: string,
  state: State,
  users: Map<string, TestUser>,
  step: Step,
): Promise<{ answer: RouteAnswer; by: string }> {
  const userIds = [...state.members.keys()];
  const by = pick(userIds, step.by);
  const as = users.get(by)!;
  const roleNames = ['owner', 'admin', 'member', ...state.roles.map((r) => r.roleId)];
  const fieldPermissions = (fields: FieldAccess[]) =>
    Object.fromEntries(
      state.orchestrations.map((o, n) => [
        o.orchestrationId,
        Object.fromEntries(FIELDS.map((f, i) => [f, pick(fields, i + n)])),
      ]),
    );
  switch (step.kind) {
    case 'createRole':
      return {
        by,
        answer: await callRoute({
          route: roleRoutes.createRole,
          as,
          params: { orgId },
          body: {
            name: 'Random',
            permissions: step.permissions,
            fieldPermissions: fieldPermissions(step.fields),
          },
        }),
      };
    case 'updateRole': {
      const roleId =
        state.roles.length === 0 ? '01J00000000000000000000000' : pick(state.roles, step.role).roleId;
      return {
        by,
        answer: await callRoute({
          route: roleRoutes.updateRole,
          as,
          params: { orgId, roleId },
          body: { permissions: step.permissions, fieldPermissions: fieldPermissions(step.fields) },
        }),
      };
    }
    case 'addMember': {
      const user = newUser('random');
      users.set(user.sub, user);
      return {
        by,
        answer: await callRoute({
          route: orgRoutes.addMember,
          as,
          params: { orgId },
          body: { userId: user.sub, email: user.email, role: pick(roleNames, step.role) },
        }),
      };
    }
    case 'changeRole':
      return {
        by,
        answer: await callRoute({
          route: orgRoutes.changeMember,
          as,
          params: { orgId, userId: pick(userIds, step.target) },
          body: { role: pick(roleNames, step.role) },
        }),
      };
    case 'setAccess': {
      const limited = state.orchestrations.find((o) => o.access !== undefined)!;
      const access = {
        roles: step.roles.map((i) => pick(roleNames, i)),
        users: step.users.map((i) => pick(userIds, i)),
      };
      return {
        by,
        answer: await callRoute({
          route: orchestrationRoutes.updateOrchestration,
          as,
          params: { orgId, orchestrationId: limited.orchestrationId },
          body: { access },
        }),
      };
    }
  }
}

const FIELD_DEFINITIONS = FIELDS.map((id) => ({
  id,
  label: id,
  type: 'text',
  personal: id !== 'title',
  encrypted: id === 'ssn',
}));

describe('property over the real stack: random sequences of grants by random principals', () => {
  test('refused steps change nothing but their audit event; accepted ones give nothing beyond the caller', async () => {
    let refused = 0;
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 4, maxLength: 8 }), async (steps) => {
        // Prepare: an open and a limited orchestration; an owner, an admin, a member, and a manager
        // (members, roles and orchestrations) who does not see the phone field.
        const owner = newUser('owner');
        const orgId = await createOrg(owner, 'Grants');
        const openId = await createOrchestration(orgId, owner, {
          name: 'Open',
          stages: ['new'],
          fields: FIELD_DEFINITIONS,
        });
        await createOrchestration(orgId, owner, {
          name: 'Limited',
          stages: ['new'],
          fields: FIELD_DEFINITIONS,
          access: { roles: [], users: [] },
        });
        const managers = await createRole(orgId, owner, {
          name: 'Managers',
          permissions: ['members.manage', 'roles.manage', 'orchestrations.manage'],
          fieldPermissions: { [openId]: { phone: 'hidden' } },
        });
        const [admin, member, manager] = [newUser('admin'), newUser('member'), newUser('manager')];
        await addMember(orgId, owner, admin, 'admin');
        await addMember(orgId, owner, member, 'member');
        await addMember(orgId, owner, manager, managers);
        const users = new Map([owner, admin, member, manager].map((u) => [u.sub, u]));
        let state = await readState(orgId, owner);
        for (const step of steps) {
          const raw = await partitionState(orgId);
          // Act
          const { answer, by } = await send(orgId, state, users, step);
          // Assess
          if (answer.status === 403) {
            refused += 1;
            const after = await partitionState(orgId);
            expect(changes(raw.records, after.records)).toEqual({ added: [], removed: [], changed: [] });
            // The audit table gains the refusal's event (its place in the chain comes later, from the sequencer): one event, outcome denied.
            const added = changes(raw.audit, after.audit).added.map(
              (sk) => JSON.parse(after.audit.get(sk)!) as { outcome?: { S: string } },
            );
            expect(added.filter((item) => item.outcome !== undefined).map((item) => item.outcome!.S)).toEqual(
              ['denied'],
            );
            continue;
          }
          expect([200, 201, 400, 404, 409]).toContain(answer.status);
          if (answer.status >= 300) continue;
          accepted += 1;
          const next = await readState(orgId, owner);
          const granter = factsOf(actorOf(state, by), state.orchestrations);
          const principals = new Set([...state.members.keys(), ...next.members.keys()]);
          for (const userId of principals) {
            const before = state.members.has(userId)
              ? factsOf(actorOf(state, userId), state.orchestrations)
              : new Map<string, number>();
            const after = next.members.has(userId)
              ? factsOf(actorOf(next, userId), next.orchestrations)
              : new Map<string, number>();
            expect({ userId, beyond: givenBeyond(granter, before, after) }).toEqual({ userId, beyond: [] });
            if (userId === by && next.members.has(userId))
              expect(rankOf(next.members.get(userId)!)).toBeLessThanOrEqual(
                rankOf(state.members.get(userId)!),
              );
          }
          state = next;
        }
      }),
      { numRuns: 6 },
    );
    // Both branches were exercised, so neither assertion above held vacuously.
    expect({ refused: refused > 0, accepted: accepted > 0 }).toEqual({ refused: true, accepted: true });
  }, 300_000);
});
