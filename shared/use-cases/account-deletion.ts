/**
 * A user deleting their account (GDPR Art. 17 for the user themself): refused while they are the
 * last owner of an organization; otherwise their memberships go at once (each with its audit
 * event in that organization) and the clean-up cycle pseudonymises them in the audit events of
 * every organization they were in.
 *
 * Order: the account's pending marker (with those organizations) is written first, so the
 * organizations are not forgotten when the memberships — the only index of them — are gone; the
 * queue message comes last, and if it cannot be sent the cycle still finds the marker.
 */
import { ConflictError, NotFoundError } from '../domain/errors.ts';
import type { RequestContext } from '../domain/principal.ts';
import type { Clock } from '../ports/clock.ts';
import type { DeletionQueue } from '../ports/deletion-queue.ts';
import type { OrganizationStore } from '../ports/organizations.ts';
import type { AccountDeletionMarker } from '../ports/tenant-sweeper.ts';
import { logger } from '../logger.ts';
import { auditEntry } from './org-access.ts';

export interface AccountDeletionDeps {
  readonly orgs: OrganizationStore;
  readonly marker: AccountDeletionMarker;
  readonly queue: DeletionQueue;
  readonly clock: Clock;
}

export async function deleteMyAccount(
  deps: AccountDeletionDeps,
  ctx: RequestContext,
): Promise<{ status: 'pending_deletion' }> {
  const userId = ctx.principal.userId;
  const memberships = await deps.orgs.membershipsOf(userId);
  const orgs = await deps.orgs.getMany(memberships.map((m) => m.orgId));
  const lastOwner = memberships.some(
    (m) =>
      m.role === 'owner' &&
      (orgs.get(m.orgId)?.ownerCount ?? 0) <= 1 &&
      orgs.get(m.orgId)?.status !== 'deleting',
  );
  if (lastOwner) {
    throw new ConflictError(
      'You are the last owner of an organization: hand it to another owner or wait until its deletion is done',
      'last-owner',
    );
  }

  const requestedAt = deps.clock.now().toISOString();
  await deps.marker.markAccount(
    userId,
    memberships.map((m) => m.orgId),
    requestedAt,
  );
  for (const membership of memberships) {
    // An organization being erased takes the membership with it; nothing is written into it now.
    if (orgs.get(membership.orgId)?.status === 'deleting') continue;
    try {
      await deps.orgs.leave(
        membership,
        auditEntry(ctx, {
          orgId: membership.orgId,
          action: 'member.remove',
          resource: { type: 'member', id: userId },
          detail: { reason: 'account-deletion' },
        }),
      );
    } catch (error) {
      // A cycle started on that organization meanwhile: same as above.
      if (!(error instanceof NotFoundError)) throw error;
    }
  }
  try {
    await deps.queue.send({ kind: 'account', userId, requestedAt });
  } catch (error) {
    logger.warn('deletion message not sent; the clean-up cycle finds the account by its marker', {
      error: error instanceof Error ? error.name : 'unknown',
    });
  }
  return { status: 'pending_deletion' };
}
