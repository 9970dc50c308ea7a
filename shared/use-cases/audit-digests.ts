/**
 * Signed checkpoints of the audit chains (shared/domain/audit-digest.ts). When a batch advances a
 * chain, the sequencer asks for a checkpoint when the interval since the last one ends (a delayed
 * message, once per interval), and audit-checkpoint signs it then, so a quiet tail is signed
 * within the interval too (docs/decisions/0018); a checkpoint that leaves a tail asks again for it
 * (docs/decisions/0021). The scheduled run reviews every organization whose chain advanced since
 * its last review: it signs, through the same claim, a tail the requests left unsigned, then
 * verifies the whole log. It finds them by the flag the
 * sequencer leaves on the head (a Query), never by scanning the audit table. Idempotent: a digest
 * is keyed by its head sequence and written only if absent, so overlapping runs write it once.
 */
import { digestMessage, nextDigestBody, type SignedDigest } from '../domain/audit-digest.ts';
import type { AuditChainHead, AuditChainStore, DigestSigner } from '../ports/audit.ts';
import type { CheckpointClaim, CheckpointClaims } from '../ports/checkpoint-claims.ts';
import type { CheckpointQueue } from '../ports/checkpoint-queue.ts';
import type { Clock } from '../ports/clock.ts';
import { verifyOrganizationLog } from './audit-verify.ts';

export interface AuditDigestDeps {
  readonly store: AuditChainStore;
  readonly signer: DigestSigner;
  readonly clock: Clock;
}

/** A log that did not verify: the organization (a tenant, not a person) and where it broke. */
export interface BrokenLog {
  readonly orgId: string;
  readonly firstBrokenAt?: number;
  readonly reason?: string;
}

export interface DigestRunSummary {
  /** Organizations reviewed (their chain advanced since the last run). */
  readonly organizations: number;
  readonly written: number;
  /** Organizations whose digest could not be written, or whose log could not be read to the end. */
  readonly failed: number;
  readonly verified: number;
  readonly broken: readonly BrokenLog[];
}

/** Signs the digest of one organization's current head; undefined when nothing is new. */
export async function digestOrganization(
  deps: AuditDigestDeps,
  orgId: string,
  head: { seq: number; hash: string; at: string },
  claim?: CheckpointClaim,
): Promise<SignedDigest | undefined> {
  const previous = await deps.store.latestDigest(orgId);
  const fromSeq = (previous?.headSeq ?? 0) + 1;
  if (head.seq < fromSeq) return undefined;
  const fromAt = (await deps.store.event(orgId, fromSeq))?.at ?? null;
  const body = nextDigestBody(orgId, previous, head, fromAt, deps.clock.now());
  if (body === undefined) return undefined;
  const message = digestMessage(body);
  const { signature, keyId } = await deps.signer.sign(message);
  const digest: SignedDigest = {
    ...body,
    digestHash: message.toString('hex'),
    signature,
    keyId,
    signingAlgorithm: 'ECDSA_SHA_256',
  };
  return (await deps.store.putDigest(digest, claim)) ? digest : undefined;
}

export interface CheckpointSigningDeps extends AuditDigestDeps {
  readonly claims: CheckpointClaims;
  /** Where a checkpoint asks again for the tail it could not sign (the checkpoint queue). */
  readonly queue: CheckpointQueue;
}

/** What one checkpoint attempt found, and the head it read. */
export type CheckpointAttempt =
  /** Nothing to sign: no chain, or its head is covered by the last checkpoint. */
  | { readonly outcome: 'covered'; readonly head?: AuditChainHead }
  /** The last checkpoint is younger than the interval: its signer asked again for what came after. */
  | { readonly outcome: 'young'; readonly head: AuditChainHead }
  /** Another request holds the organization's claim: this one asked again for when it lapses. */
  | { readonly outcome: 'claimed'; readonly head: AuditChainHead }
  /**
   * Signed (`digest` undefined when it was not written: a concurrent request wrote the same
   * checkpoint first, or this one's claim lapsed while it signed and another request took it).
   */
  | { readonly outcome: 'signed'; readonly head: AuditChainHead; readonly digest?: SignedDigest };

/**
 * Signs the organization's head unless its last checkpoint is younger than `intervalMs` or
 * covers it. Before KMS is asked, the organization's claim is taken (a conditional write,
 * docs/decisions/0021): of two requests for one interval, even in parallel, one signs; a claim
 * whose signature never came lapses after the interval. Every path that signs a checkpoint (the
 * requests and the scheduled review) goes through here, so KMS signs at most once per
 * organization per interval. A tail it leaves unsigned is asked for again on the checkpoint
 * queue: when the claim lapses, or when the head moved on while it signed.
 */
export async function checkpoint(
  deps: CheckpointSigningDeps,
  orgId: string,
  intervalMs: number,
): Promise<CheckpointAttempt> {
  const latest = await deps.store.latestDigest(orgId);
  const now = deps.clock.now();
  const head = await deps.store.head(orgId);
  if (head === undefined || head.seq <= (latest?.headSeq ?? 0))
    return head === undefined ? { outcome: 'covered' } : { outcome: 'covered', head };
  if (latest !== undefined && now.getTime() - Date.parse(latest.createdAt) < intervalMs)
    return { outcome: 'young', head };
  const claim = await deps.claims.claim(orgId, now, intervalMs);
  if (claim === undefined) {
    // The holder may die before its signature: the claim lapses an interval from now at the latest.
    await deps.queue.schedule(orgId, intervalMs / 1000);
    return { outcome: 'claimed', head };
  }
  // Written only while the claim is still this one: a Sign that outlasted it forks nothing.
  const digest = await digestOrganization(deps, orgId, head, claim);
  await askAgainIfMoved(deps, orgId, digest, intervalMs);
  return digest === undefined ? { outcome: 'signed', head } : { outcome: 'signed', head, digest };
}

/**
 * A batch chained between the head read and the digest write is not covered, and the sequencer
 * that chained it may have asked only for the due time this checkpoint just served: reading the
 * head after the write finds it, and one request for the next due time signs it within the
 * interval. A batch chained after this read sees the new checkpoint and asks for itself.
 */
async function askAgainIfMoved(
  deps: CheckpointSigningDeps,
  orgId: string,
  written: SignedDigest | undefined,
  intervalMs: number,
): Promise<void> {
  const signed = written ?? (await deps.store.latestDigest(orgId));
  const head = await deps.store.head(orgId);
  if (signed === undefined || head === undefined || head.seq <= signed.headSeq) return;
  const due = Date.parse(signed.createdAt) + intervalMs;
  await deps.queue.schedule(orgId, Math.max(0, (due - deps.clock.now().getTime()) / 1000));
}

/** The checkpoint a request asked for (audit-checkpoint): the digest, when this call signed one. */
export async function checkpointIfDue(
  deps: CheckpointSigningDeps,
  orgId: string,
  intervalMs: number,
): Promise<SignedDigest | undefined> {
  const attempt = await checkpoint(deps, orgId, intervalMs);
  return attempt.outcome === 'signed' ? attempt.digest : undefined;
}

/**
 * The checkpoints this sequencer instance already asked for, by organization: the time each is
 * due. A burst of batches within one interval asks once; an instance that starts afresh may ask
 * again, and the checkpoint it asks for is still signed at most once (checkpointIfDue).
 */
export class TailSchedule {
  private readonly due = new Map<string, number>();

  /** Whether `orgId`'s checkpoint due at `at` was already asked for. */
  asked(orgId: string, at: number): boolean {
    return this.due.get(orgId) === at;
  }

  /** Records that `orgId`'s checkpoint due at `at` has been asked for. */
  record(orgId: string, at: number, now: number): void {
    if (this.due.size >= MAX_TRACKED)
      for (const [org, when] of this.due) if (when <= now) this.due.delete(org);
    this.due.set(orgId, at);
  }
}

/** Organizations an instance remembers before it forgets those whose checkpoint is past. */
const MAX_TRACKED = 10_000;

export interface CheckpointDeps {
  readonly store: Pick<AuditChainStore, 'latestDigest'>;
  readonly clock: Clock;
  readonly queue: CheckpointQueue;
  readonly scheduled: TailSchedule;
}

/**
 * After the sequencer advanced `orgId`'s chain: asks for a checkpoint when the last one will be an
 * interval old (at once when it already is), once per interval. The sequencer never signs itself:
 * with one signing path (audit-checkpoint, checkpointIfDue) a sequencer and a delayed request that
 * fall due together cannot both sign, so KMS signs at most once per organization per interval.
 */
export async function checkpointOrSchedule(
  deps: CheckpointDeps,
  orgId: string,
  intervalMs: number,
): Promise<void> {
  const latest = await deps.store.latestDigest(orgId);
  const now = deps.clock.now().getTime();
  // No checkpoint yet: due now, and asked for once (due "at 0") until the first one is signed.
  const due = latest === undefined ? 0 : Date.parse(latest.createdAt) + intervalMs;
  if (deps.scheduled.asked(orgId, due)) return;
  await deps.queue.schedule(orgId, Math.max(0, (due - now) / 1000));
  // Remembered once sent: a request whose send failed is asked for again when the batch is redelivered.
  deps.scheduled.record(orgId, due, now);
}

export interface DigestRunDeps extends CheckpointSigningDeps {
  readonly retentionDays: number;
  readonly intervalMs: number;
}

export interface OrganizationReview {
  /** Whether this review signed the chain's tail. */
  readonly signed: boolean;
  /** Set when the log did not verify. */
  readonly broken?: BrokenLog;
}

/**
 * Reviews one organization: signs the unsigned tail through the same claim and interval as the
 * requests (checkpoint), verifies the log, and clears the flag only up to a head a checkpoint
 * covers. When the last checkpoint is younger than the interval, or another request holds the
 * claim, the tail is left to the request pending for it and the flag stays: the next run verifies
 * that tail's signature. Throws when the log could not be read or signed to the end.
 */
export async function reviewOrganization(deps: DigestRunDeps, orgId: string): Promise<OrganizationReview> {
  const attempt = await checkpoint(deps, orgId, deps.intervalMs);
  if (attempt.head === undefined) return { signed: false };
  const signed = attempt.outcome === 'signed' && attempt.digest !== undefined;
  const result = await verifyOrganizationLog(
    { audit: deps.store, signer: deps.signer, clock: deps.clock, retentionDays: deps.retentionDays },
    orgId,
  );
  if (attempt.outcome === 'covered' || attempt.outcome === 'signed')
    await deps.store.markReviewed(orgId, attempt.head);
  if (result.valid) return { signed };
  return {
    signed,
    broken: {
      orgId,
      ...(result.firstBrokenAt === undefined ? {} : { firstBrokenAt: result.firstBrokenAt }),
      ...(result.reason === undefined ? {} : { reason: result.reason }),
    },
  };
}

/**
 * The scheduled review of every flagged organization. One organization's failure is retried next
 * run (its flag stays) and does not hold up the others; `onFailure` hears of it.
 */
export async function reviewAuditLogs(
  deps: DigestRunDeps,
  onFailure: (error: unknown) => void = () => {},
): Promise<DigestRunSummary> {
  let organizations = 0;
  let written = 0;
  let failed = 0;
  let verified = 0;
  const broken: BrokenLog[] = [];
  for await (const orgId of deps.store.unreviewed()) {
    organizations += 1;
    try {
      const review = await reviewOrganization(deps, orgId);
      if (review.signed) written += 1;
      if (review.broken === undefined) verified += 1;
      else broken.push(review.broken);
    } catch (error) {
      // Not evidence of tampering (throttling, a timeout, KMS): the flag stays, the next run retries.
      failed += 1;
      onFailure(error);
    }
  }
  return { organizations, written, failed, verified, broken };
}
