/**
 * The caller themself (GDPR Art. 15 for the user's own data): memberships and what is stored
 * about them. Beside each membership (which holds the email the caller was added with, their
 * role, when and by whom), it counts the jobs the caller owns in that organization and the audit
 * events they caused there (each of which keeps their user id and, until erased, their email, IP
 * address and user agent). Counts, not contents: the jobs hold customers' data, readable through
 * the job routes as the caller's role allows, and the events through the audit routes.
 */
import type { RequestContext } from '../domain/principal.ts';
import type { AuditLog } from '../ports/audit.ts';
import type { JobStore } from '../ports/jobs.ts';
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
    /** Jobs the caller owns in the organization. */
    readonly jobsOwned: number;
    /** Audit events the caller caused in the organization. */
    readonly auditEvents: number;
  }[];
  /** What each audit event keeps about the actor. */
  readonly auditEventsKeep: readonly string[];
}

export interface MeDeps {
  readonly orgs: OrganizationStore;
  readonly jobs: JobStore;
  readonly auditLog: Pick<AuditLog, 'query'>;
}

async function countEventsOf(auditLog: MeDeps['auditLog'], orgId: string, userId: string): Promise<number> {
  let count = 0;
  let after: string | undefined;
  do {
    const page = await auditLog.query({
      orgId,
      actor: userId,
      limit: 100,
      ...(after === undefined ? {} : { after }),
    });
    count += page.items.length;
    after = page.next ?? undefined;
  } while (after !== undefined);
  return count;
}

export async function describeMe(deps: MeDeps, ctx: RequestContext): Promise<MeView> {
  const userId = ctx.principal.userId;
  const memberships = await deps.orgs.membershipsOf(userId);
  const orgs = await deps.orgs.getMany(memberships.map((m) => m.orgId));
  const visible = memberships.filter((m) => {
    const org = orgs.get(m.orgId);
    return org !== undefined && (org.status === 'active' || m.role === 'owner');
  });
  return {
    userId,
    email: ctx.principal.email,
    memberships: await Promise.all(
      visible.map(async (m) => {
        const [jobsOwned, auditEvents] = await Promise.all([
          deps.jobs.countOwnedBy(m.orgId, userId),
          countEventsOf(deps.auditLog, m.orgId, userId),
        ]);
        return {
          orgId: m.orgId,
          organization: orgs.get(m.orgId)!.name,
          role: m.role,
          email: m.email,
          addedAt: m.addedAt,
          addedBy: m.addedBy,
          jobsOwned,
          auditEvents,
        };
      }),
    ),
    auditEventsKeep: ['user id', 'email', 'IP address', 'user agent'],
  };
}
