/**
 * Deleting an organization (owners only): the request closes it at once and queues it for the next
 * clean-up cycle; until a cycle has started on it, an owner may cancel.
 *
 * The status flip, the pending-deletion marker and the audit event commit in one transaction; the
 * queue message is sent afterwards. If that send fails the request still stands: the organization
 * is closed and its marker makes the next cycle find it without a message (belt and braces).
 */
import { ConflictError } from '../domain/errors.ts';
import type { RequestContext } from '../domain/principal.ts';
import type { Clock } from '../ports/clock.ts';
import type { DeletionQueue } from '../ports/deletion-queue.ts';
import type { OrganizationStore } from '../ports/organizations.ts';
import { logger } from '../logger.ts';
import { auditEntry, authorize, resolveScope } from './org-access.ts';
import { organizationView, type OrganizationView } from './organizations.ts';

export interface OrgDeletionDeps {
  readonly orgs: OrganizationStore;
  readonly queue: DeletionQueue;
  readonly clock: Clock;
}

export async function requestOrganizationDeletion(
  deps: OrgDeletionDeps,
  ctx: RequestContext,
  orgId: string,
): Promise<{ status: 'pending_deletion' }> {
  // A closed organization answers 404 here too: asking twice is not a way to probe it.
  const { actor } = await resolveScope(deps.orgs, ctx, orgId);
  authorize(actor, 'org.delete');
  const requestedAt = deps.clock.now().toISOString();
  const requestedBy = ctx.principal.userId;
  await deps.orgs.requestDeletion(
    orgId,
    requestedBy,
    requestedAt,
    auditEntry(ctx, {
      orgId,
      action: 'org.delete',
      resource: { type: 'org', id: orgId },
      changes: { fields: ['status'], values: { status: 'pending_deletion' } },
    }),
  );
  try {
    await deps.queue.send({ kind: 'org', orgId, requestedBy, requestedAt });
  } catch (error) {
    logger.warn('deletion message not sent; the clean-up cycle finds the organization by its marker', {
      error: error instanceof Error ? error.name : 'unknown',
    });
  }
  return { status: 'pending_deletion' };
}

export async function cancelOrganizationDeletion(
  deps: Pick<OrgDeletionDeps, 'orgs' | 'clock'>,
  ctx: RequestContext,
  orgId: string,
): Promise<OrganizationView> {
  const { org, actor } = await resolveScope(deps.orgs, ctx, orgId, { ownersEvenIfClosed: true });
  authorize(actor, 'org.delete');
  if (org.status === 'active')
    throw new ConflictError('The organization is not pending deletion', 'not-pending-deletion');
  if (org.status === 'deleting')
    throw new ConflictError(
      'A clean-up cycle has started on the organization: its deletion can no longer be cancelled',
      'deletion-started',
    );
  const updated = await deps.orgs.cancelDeletion(
    orgId,
    deps.clock.now().toISOString(),
    auditEntry(ctx, {
      orgId,
      action: 'org.delete_cancel',
      resource: { type: 'org', id: orgId },
      changes: { fields: ['status'], values: { status: 'active' } },
    }),
  );
  return organizationView(updated, actor.membership.role);
}
