/**
 * Verifies an organization's whole audit log: the hash chain event by event, the chain head, and
 * every signed digest (signature with the signing key's public key, link to the previous digest,
 * head, count and time range against the events); then that no event item sits outside the chain
 * (a forged item, or an event the sequencer never reached). Page by page, so memory stays flat.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import {
  signatureMatches,
  verifyLog,
  type LogVerification,
  type SignedDigest,
  type StoredEvent,
} from '../domain/audit-digest.ts';
import type { RequestContext } from '../domain/principal.ts';
import type { AuditChainHead, AuditChainStore, AuditLog, DigestSigner } from '../ports/audit.ts';
import type { Clock } from '../ports/clock.ts';
import type { OrganizationStore } from '../ports/organizations.ts';
import { auditActorOf, authorize, resolveScope } from './org-access.ts';

export interface AuditVerifyDeps {
  readonly orgs: OrganizationStore;
  readonly audit: AuditLog & AuditChainStore;
  readonly signer: DigestSigner;
  readonly clock: Clock;
  readonly retentionDays: number;
}

/** The stored events, then any appended while the walk ran, up to a head read after them. */
async function* eventsUpToHead(
  store: AuditChainStore,
  orgId: string,
  onHead: (head: AuditChainHead | undefined) => void,
): AsyncGenerator<StoredEvent> {
  let last = 0;
  for await (const stored of store.events(orgId)) {
    last = Number.isInteger(stored.storedAt) ? (stored.storedAt as number) : last;
    yield stored;
  }
  // The sequencer marks a batch's events before it moves the head, so a head read now covers every
  // event seen; if it moved on meanwhile, walk on to it (an event past the head would be forged).
  for (let round = 0; round < 5; round += 1) {
    const head = await store.head(orgId);
    onHead(head);
    if (head === undefined || head.seq <= last) return;
    for await (const stored of store.events(orgId, last)) {
      last = Number.isInteger(stored.storedAt) ? (stored.storedAt as number) : last;
      yield stored;
    }
  }
}

/**
 * How long an appended event may stay unsequenced before verification calls it missing from the
 * chain: far beyond the sequencer's usual lag (about a second), within the stream's 24 h retention.
 */
export const SEQUENCER_LAG_BOUND_MS = 15 * 60 * 1000;

export async function verifyOrganizationLog(
  deps: Pick<AuditVerifyDeps, 'signer' | 'clock' | 'retentionDays'> & { readonly audit: AuditChainStore },
  orgId: string,
): Promise<LogVerification> {
  const keys = new Map<string, KeyObject>();
  const checkSignature = async (digest: SignedDigest): Promise<boolean> => {
    let key = keys.get(digest.keyId);
    if (key === undefined) {
      key = createPublicKey(await deps.signer.publicKeyPem(digest.keyId));
      keys.set(digest.keyId, key);
    }
    return signatureMatches(key, digest);
  };
  let head: AuditChainHead | undefined;
  const now = deps.clock.now();
  const chain = await verifyLog({
    orgId,
    events: eventsUpToHead(deps.audit, orgId, (h) => (head = h)),
    digests: deps.audit.digests(orgId),
    head: async () => head,
    checkSignature,
    retentionDays: deps.retentionDays,
    now,
  });
  if (!chain.valid) return chain;
  for await (const stray of deps.audit.strays(orgId, new Date(now.getTime() - SEQUENCER_LAG_BOUND_MS))) {
    return stray.seq === undefined
      ? { ...chain, valid: false, firstBrokenAt: (head?.seq ?? 0) + 1, reason: 'unsequenced' }
      : { ...chain, valid: false, firstBrokenAt: stray.seq, reason: 'stray' };
  }
  return chain;
}

export interface AuditVerificationView {
  readonly valid: boolean;
  readonly events: number;
  readonly digests: number;
  readonly firstBrokenAt?: number;
  readonly reason?: string;
}

export async function verifyAuditLog(
  deps: AuditVerifyDeps,
  ctx: RequestContext,
  orgId: string,
): Promise<AuditVerificationView> {
  const scope = await resolveScope(deps.orgs, ctx, orgId);
  authorize(scope.actor, 'audit.read');
  const result = await verifyOrganizationLog(deps, orgId);
  await deps.audit.append(
    {
      orgId,
      action: 'audit.verify',
      resource: { type: 'audit', id: orgId },
      outcome: 'success',
      detail: { valid: result.valid, events: result.events },
    },
    auditActorOf(ctx),
  );
  return result;
}

/** The public key (PEM) that verifies this deployment's digests, for the offline verifier. */
export async function auditPublicKey(
  deps: Pick<AuditVerifyDeps, 'orgs' | 'signer'>,
  ctx: RequestContext,
  orgId: string,
): Promise<{ publicKeyPem: string }> {
  const scope = await resolveScope(deps.orgs, ctx, orgId);
  authorize(scope.actor, 'audit.read');
  return { publicKeyPem: await deps.signer.publicKeyPem() };
}
