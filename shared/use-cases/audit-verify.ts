/**
 * Verifies an organization's whole audit log: the hash chain event by event, the chain head, and
 * every signed digest (signature with the signing key's public key, link to the previous digest,
 * head, count and time range against the events); then that no event item sits outside the chain
 * (a forged item, or an event the sequencer never reached): the items appended in a window must
 * be exactly as many as the events the batches name there. Page by page, so memory stays flat.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { SEQUENCER_LAG_BOUND_MS } from '../domain/audit-chain.ts';
import {
  signatureMatches,
  verifyLog,
  type LogVerification,
  type SignedDigest,
  type StoredEvent,
} from '../domain/audit-digest.ts';
import type { RequestContext } from '../domain/principal.ts';
import type {
  AppendWindow,
  AuditChainHead,
  AuditChainStore,
  AuditLog,
  DigestSigner,
} from '../ports/audit.ts';
import type { Clock } from '../ports/clock.ts';
import type { OrganizationStore } from '../ports/organizations.ts';
import { auditActorOf, authorize, resolveScope, successDraft } from './org-access.ts';

export interface AuditVerifyDeps {
  readonly orgs: OrganizationStore;
  readonly audit: AuditLog & AuditChainStore;
  readonly signer: DigestSigner;
  readonly clock: Clock;
  readonly retentionDays: number;
}

/**
 * The stored events, then any appended while the walk ran, up to a head read after them; `onEvent`
 * hears of each (the census counts those of its window).
 */
async function* eventsUpToHead(
  store: AuditChainStore,
  orgId: string,
  onHead: (head: AuditChainHead | undefined) => void,
  onEvent: (stored: StoredEvent) => void,
): AsyncGenerator<StoredEvent> {
  let last = 0;
  for await (const stored of store.events(orgId)) {
    last = Number.isInteger(stored.storedAt) ? (stored.storedAt as number) : last;
    onEvent(stored);
    yield stored;
  }
  // If the head moved on meanwhile, walk on to it. The sequencer writes a delivery's batches
  // before it moves the head once past them, so a head read just now may still be behind batches
  // the walk saw: it is read again a moment later. One that stays behind (a batch no sequencer
  // applies, which a forger could write) is judged as it stands.
  for (let round = 0; round < HEAD_ROUNDS; round += 1) {
    const head = await store.head(orgId);
    onHead(head);
    const at = head?.seq ?? 0;
    if (at < last) {
      if (round < HEAD_ROUNDS - 1) await pause(HEAD_BEHIND_PAUSE_MS * (round + 1));
      continue;
    }
    if (at === last) return;
    for await (const stored of store.events(orgId, last)) {
      last = Number.isInteger(stored.storedAt) ? (stored.storedAt as number) : last;
      onEvent(stored);
      yield stored;
    }
  }
}

/** Reads of the head after the walk: each either finds it where the walk ended, or walks on to it. */
const HEAD_ROUNDS = 5;
/** The first pause before a head found behind the walked batches is read again (then 2×, 3×, 4×: 1 s in all). */
const HEAD_BEHIND_PAUSE_MS = 100;

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The window in which every appended item must be named by a batch: from a day inside the
 * retention period (older items may be expiring between the two walks) to the sequencer's lag
 * bound ago (younger ones may still be on their way).
 */
function censusWindow(now: Date, retentionDays: number): AppendWindow {
  return {
    from: new Date(now.getTime() - (retentionDays - 1) * DAY_MS).toISOString(),
    before: new Date(now.getTime() - SEQUENCER_LAG_BOUND_MS).toISOString(),
  };
}

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
  const window = censusWindow(now, deps.retentionDays);
  let named = 0;
  const count = ({ event }: StoredEvent): void => {
    if (event.at >= window.from && event.at < window.before) named += 1;
  };
  const chain = await verifyLog({
    orgId,
    events: eventsUpToHead(deps.audit, orgId, (h) => (head = h), count),
    digests: deps.audit.digests(orgId),
    head: async () => head,
    checkSignature,
    retentionDays: deps.retentionDays,
    now,
  });
  if (!chain.valid) return chain;
  const census = await deps.audit.census(orgId, window);
  if (census.stray !== undefined)
    return { ...chain, valid: false, firstBrokenAt: census.stray, reason: 'stray' };
  // Every named event of the window has its item (the walk broke otherwise), so more items than
  // named events means an item no batch names (`unsequenced`); fewer, an event the chain names
  // twice (`chain`). Finding which would take memory in proportion to the log: the break is
  // reported just past the head, where the unnamed item would have had to go.
  if (census.appended !== named)
    return {
      ...chain,
      valid: false,
      firstBrokenAt: (head?.seq ?? 0) + 1,
      reason: census.appended > named ? 'unsequenced' : 'chain',
    };
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
    successDraft({
      orgId,
      action: 'audit.verify',
      resource: { type: 'audit', id: orgId },
      detail: { valid: result.valid, events: result.events },
    }),
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
