/**
 * Erasure of a person from the audit log without breaking its verification: the hashed part of
 * an event names the actor by pseudonymous user id only; the identifying details kept beside it
 * (email, source ip, user agent) are removed. Only the deletion worker is granted this (IAM: the
 * audit table's `delete` access); every other function may only append.
 */
import type { AuditChainStore } from '../ports/audit.ts';

export async function pseudonymiseActor(
  store: Pick<AuditChainStore, 'pseudonymiseActor'>,
  orgId: string,
  userId: string,
): Promise<number> {
  return store.pseudonymiseActor(orgId, userId);
}
