/**
 * The organization the deletion and retention benches measure: active, with one owner and a
 * placeholder wrapped key (the benches open no field), created through the adapter with its
 * audit event, as the API creates one.
 */
import type { AuditActor } from '../shared/ports/audit.ts';
import type { OrganizationStore } from '../shared/ports/organizations.ts';

export const BENCH_OWNER = 'bench-owner';

/** The actor of the bench's own events (documentation addresses only). */
export const benchActor: AuditActor = {
  userId: BENCH_OWNER,
  email: 'owner@example.test',
  sourceIp: '192.0.2.1',
  userAgent: 'bench',
  requestId: 'bench',
};

export async function createBenchOrg(
  orgs: Pick<OrganizationStore, 'create'>,
  orgId: string,
  now: string,
): Promise<void> {
  await orgs.create(
    {
      orgId,
      name: 'Bench',
      status: 'active',
      createdAt: now,
      updatedAt: now,
      createdBy: BENCH_OWNER,
      wrappedKeys: [{ keyId: 'k1', ciphertext: 'AAAA' }],
      ownerCount: 1,
    },
    {
      orgId,
      userId: BENCH_OWNER,
      email: benchActor.email,
      role: 'owner',
      addedAt: now,
      addedBy: BENCH_OWNER,
    },
    {
      draft: { orgId, action: 'org.create', resource: { type: 'org', id: orgId }, outcome: 'success' },
      actor: benchActor,
    },
  );
}
