/** The caller themself (GDPR Art. 15 for the user's own data): memberships and what is stored about them. */
import type { RequestContext } from '../domain/principal.ts';
import type { OrganizationStore } from '../ports/organizations.ts';

export interface MeView {
  readonly userId: string;
  readonly email: string;
  readonly memberships: readonly {
    readonly orgId: string;
    readonly organization: string;
    readonly role: string;
    readonly email: string;
    readonly addedAt: string;
    readonly addedBy: string;
  }[];
}

export async function describeMe(deps: { readonly orgs: OrganizationStore }, ctx: RequestContext): Promise<MeView> {
  const memberships = await deps.orgs.membershipsOf(ctx.principal.userId);
  const orgs = await deps.orgs.getMany(memberships.map((m) => m.orgId));
  return {
    userId: ctx.principal.userId,
    email: ctx.principal.email,
    memberships: memberships.flatMap((m) => {
      const org = orgs.get(m.orgId);
      if (org === undefined || (org.status !== 'active' && m.role !== 'owner')) return [];
      return [{ orgId: m.orgId, organization: org.name, role: m.role, email: m.email, addedAt: m.addedAt, addedBy: m.addedBy }];
    }),
  };
}
