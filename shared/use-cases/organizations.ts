/** Organizations: create, list the caller's, read, rectify (GDPR Art. 16 for organization details). */
import { newId } from '../domain/ids.ts';
import type { RequestContext } from '../domain/principal.ts';
import type { Clock } from '../ports/clock.ts';
import type { Keys } from '../ports/keys.ts';
import type { OrganizationRecord, OrganizationStore } from '../ports/organizations.ts';
import { auditEntry, authorize, resolveScope } from './org-access.ts';

export interface OrganizationDeps {
  readonly orgs: OrganizationStore;
  readonly keys: Keys;
  readonly clock: Clock;
}

export interface OrganizationView {
  readonly orgId: string;
  readonly name: string;
  readonly status: OrganizationRecord['status'];
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly role: string;
  /** Whether the public intake of data subject requests is open. */
  readonly requestIntake: boolean;
}

export function organizationView(org: OrganizationRecord, role: string): OrganizationView {
  return {
    orgId: org.orgId,
    name: org.name,
    status: org.status,
    createdAt: org.createdAt,
    updatedAt: org.updatedAt,
    role,
    requestIntake: org.requestIntake !== false,
  };
}

export async function createOrganization(
  deps: OrganizationDeps,
  ctx: RequestContext,
  input: { name: string },
): Promise<OrganizationView> {
  const orgId = newId();
  const now = deps.clock.now().toISOString();
  const { wrapped } = await deps.keys.generate(orgId, 'k1');
  const org: OrganizationRecord = {
    orgId,
    name: input.name,
    status: 'active',
    createdAt: now,
    updatedAt: now,
    createdBy: ctx.principal.userId,
    wrappedKeys: [wrapped],
    ownerCount: 1,
  };
  await deps.orgs.create(
    org,
    {
      orgId,
      userId: ctx.principal.userId,
      email: ctx.principal.email,
      role: 'owner',
      addedAt: now,
      addedBy: ctx.principal.userId,
    },
    auditEntry(ctx, {
      orgId,
      action: 'org.create',
      resource: { type: 'org', id: orgId },
      changes: { fields: ['name'], values: { name: input.name } },
    }),
  );
  return organizationView(org, 'owner');
}

export async function listMyOrganizations(
  deps: Pick<OrganizationDeps, 'orgs'>,
  ctx: RequestContext,
): Promise<OrganizationView[]> {
  const memberships = await deps.orgs.membershipsOf(ctx.principal.userId);
  const orgs = await deps.orgs.getMany(memberships.map((m) => m.orgId));
  const views: OrganizationView[] = [];
  for (const membership of memberships) {
    const org = orgs.get(membership.orgId);
    if (org === undefined) continue;
    if (org.status === 'active' || membership.role === 'owner')
      views.push(organizationView(org, membership.role));
  }
  return views.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

export async function getOrganization(
  deps: Pick<OrganizationDeps, 'orgs'>,
  ctx: RequestContext,
  orgId: string,
): Promise<OrganizationView> {
  const { org, actor } = await resolveScope(deps.orgs, ctx, orgId, { ownersEvenIfClosed: true });
  authorize(actor, 'org.read');
  return organizationView(org, actor.membership.role);
}

export async function updateOrganization(
  deps: Pick<OrganizationDeps, 'orgs' | 'clock'>,
  ctx: RequestContext,
  orgId: string,
  input: { name?: string | undefined; requestIntake?: boolean | undefined },
): Promise<OrganizationView> {
  const { org, actor } = await resolveScope(deps.orgs, ctx, orgId);
  authorize(actor, 'org.update');
  const name = input.name ?? org.name;
  const fields = [
    ...(input.name === undefined ? [] : ['name']),
    ...(input.requestIntake === undefined ? [] : ['requestIntake']),
  ];
  const updated = await deps.orgs.update(
    orgId,
    { name, requestIntake: input.requestIntake },
    deps.clock.now().toISOString(),
    auditEntry(ctx, {
      orgId,
      action: 'org.update',
      resource: { type: 'org', id: orgId },
      changes: {
        fields,
        values: {
          ...(input.name === undefined ? {} : { name }),
          ...(input.requestIntake === undefined ? {} : { requestIntake: input.requestIntake }),
        },
      },
    }),
  );
  return organizationView(updated, actor.membership.role);
}
