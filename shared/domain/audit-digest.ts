/**
 * Signed digests of an organization's audit chain, in the spirit of CloudTrail log file
 * validation: on a schedule the service signs (KMS, ECDSA P-256 / SHA-256) the chain head reached
 * since the previous digest, the number of events and their time range, chained to the previous
 * digest's hash. A signed head pins every event before it: rewriting any of them (and re-hashing
 * everything after) changes the head hash the digest signed.
 *
 * `verifyLog` is the one verification both `GET /audit/verify` and the offline CLI run: it walks
 * the events in sequence order with ChainVerifier, merges the digests in as their ranges come,
 * and checks the head. It holds one event and one digest at a time, so memory stays flat.
 *
 * Retention: events expire (DynamoDB TTL) after the retention period, digests do not. A chain whose
 * oldest events expired starts at a later event; that start is accepted only when a signed digest
 * covers the missing predecessor and the predecessor may really have expired (the digest's range
 * began more than the retention period ago). Its hash is then pinned by that digest's signed head.
 */
import { createHash, verify, type KeyObject } from 'node:crypto';
import type { AuditEvent } from './audit-event.ts';
import { ChainVerifier, GENESIS_HASH, canonicalJson } from './audit-chain.ts';

export const DIGEST_VERSION = 1;
export const DIGEST_SIGNING_ALGORITHM = 'ECDSA_SHA_256';

/** What a digest states; its canonical JSON is what is hashed and signed. */
export interface DigestBody {
  readonly version: typeof DIGEST_VERSION;
  readonly orgId: string;
  /** The first event this digest covers: the previous digest's headSeq + 1. */
  readonly fromSeq: number;
  readonly headSeq: number;
  readonly headHash: string;
  /** Events covered: headSeq - fromSeq + 1. */
  readonly count: number;
  /** Time of the event `fromSeq`; null when it had already expired when the digest was made. */
  readonly fromAt: string | null;
  /** Time of the event `headSeq`. */
  readonly toAt: string;
  readonly prevDigestHash: string;
  readonly createdAt: string;
}

export interface SignedDigest extends DigestBody {
  /** SHA-256 (hex) of the body's canonical JSON; the next digest chains to it. */
  readonly digestHash: string;
  /** DER ECDSA signature (base64) over SHA-256 of the body's canonical JSON. */
  readonly signature: string;
  readonly keyId: string;
  readonly signingAlgorithm: typeof DIGEST_SIGNING_ALGORITHM;
}

export function digestBodyOf(digest: DigestBody): DigestBody {
  return {
    version: digest.version,
    orgId: digest.orgId,
    fromSeq: digest.fromSeq,
    headSeq: digest.headSeq,
    headHash: digest.headHash,
    count: digest.count,
    fromAt: digest.fromAt,
    toAt: digest.toAt,
    prevDigestHash: digest.prevDigestHash,
    createdAt: digest.createdAt,
  };
}

/** The bytes that are signed: SHA-256 of the canonical body (KMS `MessageType: DIGEST`). */
export function digestMessage(body: DigestBody): Buffer {
  return createHash('sha256')
    .update(canonicalJson(digestBodyOf(body)))
    .digest();
}

export interface ChainHeadState {
  readonly seq: number;
  readonly hash: string;
  /** Time of the head event. */
  readonly at: string;
}

/** The body of the digest after `previous` for a chain at `head`; undefined when nothing is new. */
export function nextDigestBody(
  orgId: string,
  previous: SignedDigest | undefined,
  head: ChainHeadState,
  fromAt: string | null,
  now: Date,
): DigestBody | undefined {
  const fromSeq = (previous?.headSeq ?? 0) + 1;
  if (head.seq < fromSeq) return undefined;
  return {
    version: DIGEST_VERSION,
    orgId,
    fromSeq,
    headSeq: head.seq,
    headHash: head.hash,
    count: head.seq - fromSeq + 1,
    fromAt,
    toAt: head.at,
    prevDigestHash: previous?.digestHash ?? GENESIS_HASH,
    createdAt: now.toISOString(),
  };
}

/** Checks a digest's signature with the public key alone (what the offline verifier has). */
export function signatureMatches(publicKey: KeyObject, digest: SignedDigest): boolean {
  if (digest.signingAlgorithm !== DIGEST_SIGNING_ALGORITHM) return false;
  // ECDSA_SHA_256 over SHA-256(body): verifying the body with 'sha256' hashes it the same way.
  return verify(
    'sha256',
    Buffer.from(canonicalJson(digestBodyOf(digest))),
    { key: publicKey, dsaEncoding: 'der' },
    Buffer.from(digest.signature, 'base64'),
  );
}

export type BrokenReason =
  'chain' | 'head' | 'digest' | 'signature' | 'missing-start' | 'stray' | 'unsequenced';

export interface LogVerification {
  readonly valid: boolean;
  /** Events whose hash, position and link verified. */
  readonly events: number;
  /** Signed digests that verified. */
  readonly digests: number;
  /** The sequence number of the first event (position) that does not verify. */
  readonly firstBrokenAt?: number;
  readonly reason?: BrokenReason;
}

export interface StoredEvent {
  readonly event: AuditEvent;
  /** The position the sequenced batch gives the event; NaN when unknown (a malformed export line). */
  readonly storedAt?: number;
}

export interface VerifyLogInput {
  readonly orgId: string;
  /** In storage (sequence) order. */
  readonly events: AsyncIterable<StoredEvent> | Iterable<StoredEvent>;
  /** In headSeq order. */
  readonly digests: AsyncIterable<SignedDigest> | Iterable<SignedDigest>;
  /**
   * The chain head as stored (undefined when the organization has none), asked for once the events
   * are consumed: a head read after the walk commits to every event the walk saw.
   */
  readonly head: () => Promise<{ readonly seq: number; readonly hash: string } | undefined>;
  readonly checkSignature: (digest: SignedDigest) => Promise<boolean> | boolean;
  readonly retentionDays: number;
  readonly now: Date;
}

class Broken extends Error {
  constructor(
    readonly seq: number,
    readonly reason: BrokenReason,
  ) {
    super(`broken at ${seq}: ${reason}`);
  }
}

const DAY_MS = 24 * 60 * 60 * 1000;

async function* iterate<T>(source: AsyncIterable<T> | Iterable<T>): AsyncGenerator<T> {
  for await (const item of source) yield item;
}

export async function verifyLog(input: VerifyLogInput): Promise<LogVerification> {
  const digests = iterate(input.digests);
  const retentionMs = input.retentionDays * DAY_MS;
  let nextDigest = (await digests.next()).value as SignedDigest | undefined;
  let accepted: SignedDigest | undefined;
  /** The accepted digest whose range the walk is inside, until its head event is reached. */
  let pending: SignedDigest | undefined;
  /** The accepted digest that covers the position before the first stored event. */
  let coveringStart: SignedDigest | undefined;
  let chain: ChainVerifier | undefined;
  let digestCount = 0;
  let eventCount = 0;

  const acceptDigest = async (digest: SignedDigest): Promise<void> => {
    const expectedFrom = (accepted?.headSeq ?? 0) + 1;
    const consistent =
      digest.version === DIGEST_VERSION &&
      digest.orgId === input.orgId &&
      digest.fromSeq === expectedFrom &&
      digest.headSeq >= digest.fromSeq &&
      digest.count === digest.headSeq - digest.fromSeq + 1 &&
      digest.prevDigestHash === (accepted?.digestHash ?? GENESIS_HASH) &&
      digest.digestHash === digestMessage(digest).toString('hex');
    if (!consistent) throw new Broken(expectedFrom, 'digest');
    if (!(await input.checkSignature(digest))) throw new Broken(digest.fromSeq, 'signature');
    accepted = digest;
    digestCount += 1;
    nextDigest = (await digests.next()).value as SignedDigest | undefined;
  };

  /**
   * Whether events of a digest's range may have expired: its first event's time plus the retention
   * has passed (or that event had already expired when the digest was made).
   */
  const mayHaveExpired = (covering: SignedDigest): boolean =>
    covering.fromAt === null || Date.parse(covering.fromAt) + retentionMs <= input.now.getTime();

  try {
    for await (const { event, storedAt } of iterate(input.events)) {
      const position = storedAt !== undefined && Number.isInteger(storedAt) ? storedAt : event.seq;
      while (nextDigest !== undefined && nextDigest.fromSeq <= position) {
        if (pending !== undefined) throw new Broken(pending.headSeq, 'digest');
        const digest = nextDigest;
        await acceptDigest(digest);
        if (digest.fromSeq <= position - 1 && position - 1 <= digest.headSeq) coveringStart = digest;
        if (digest.headSeq >= position) pending = digest;
        else if (chain !== undefined) throw new Broken(digest.fromSeq, 'digest');
      }

      if (chain === undefined) chain = startChain(event, position, coveringStart, accepted, mayHaveExpired);
      chain.add(event, storedAt);
      if (chain.isBroken) break;
      eventCount += 1;

      if (pending !== undefined) {
        if (event.seq === pending.fromSeq && pending.fromAt !== null && event.at !== pending.fromAt)
          throw new Broken(pending.fromSeq, 'digest');
        if (event.seq === pending.headSeq) {
          if (event.hash !== pending.headHash || event.at !== pending.toAt)
            throw new Broken(pending.fromSeq, 'digest');
          pending = undefined;
        }
      }
    }

    if (chain?.isBroken) {
      const result = chain.result();
      return {
        valid: false,
        events: result.events,
        digests: digestCount,
        firstBrokenAt: result.firstBrokenAt ?? 1,
        reason: 'chain',
      };
    }
    const lastSeq = chain?.result().lastSeq ?? 0;
    const head = await input.head();
    // Digests past the last stored event: events were cut off the end.
    while (nextDigest !== undefined) {
      const digest = nextDigest;
      await acceptDigest(digest);
      if (chain !== undefined || digest.headSeq > (head?.seq ?? 0))
        throw new Broken(Math.max(digest.fromSeq, lastSeq + 1), 'digest');
    }
    if (pending !== undefined) throw new Broken(lastSeq + 1, 'digest');

    if (chain === undefined) return verifyEmpty(head, accepted, digestCount, retentionMs, input.now);
    const result = chain.result(head);
    if (!result.valid)
      return {
        valid: false,
        events: eventCount,
        digests: digestCount,
        firstBrokenAt: result.firstBrokenAt ?? lastSeq + 1,
        reason: 'head',
      };
    return { valid: true, events: eventCount, digests: digestCount };
  } catch (error) {
    if (!(error instanceof Broken)) throw error;
    return {
      valid: false,
      events: eventCount,
      digests: digestCount,
      firstBrokenAt: error.seq,
      reason: error.reason,
    };
  }
}

/**
 * The walk's start. From the genesis when the first stored event is at position 1; later only when
 * the events before it may have expired and a signed digest pins the link (see the module comment).
 */
function startChain(
  first: AuditEvent,
  position: number,
  covering: SignedDigest | undefined,
  accepted: SignedDigest | undefined,
  mayHaveExpired: (digest: SignedDigest) => boolean,
): ChainVerifier {
  if (position <= 1) return new ChainVerifier();
  if (covering === undefined || !mayHaveExpired(covering)) {
    // The missing events cannot have expired (or nothing signed vouches for them): deleted.
    throw new Broken(
      covering?.fromSeq ?? (accepted !== undefined && accepted.headSeq < position ? accepted.headSeq + 1 : 1),
      'missing-start',
    );
  }
  if (covering.headSeq === position - 1 && covering.headHash !== first.prevHash)
    throw new Broken(position, 'chain');
  return new ChainVerifier({ seq: position, prevHash: first.prevHash });
}

/** No event left: valid when there never was one, or when all expired under a matching digest. */
function verifyEmpty(
  head: { readonly seq: number; readonly hash: string } | undefined,
  accepted: SignedDigest | undefined,
  digests: number,
  retentionMs: number,
  now: Date,
): LogVerification {
  const headSeq = head?.seq ?? 0;
  if (headSeq === 0 && accepted === undefined) return { valid: true, events: 0, digests };
  const allExpired =
    accepted !== undefined &&
    accepted.headSeq === headSeq &&
    accepted.headHash === head?.hash &&
    Date.parse(accepted.toAt) + retentionMs <= now.getTime();
  if (allExpired) return { valid: true, events: 0, digests };
  return { valid: false, events: 0, digests, firstBrokenAt: 1, reason: 'missing-start' };
}
