/**
 * The audit log. Every mutating use case hands an AuditDraft to the store that commits its change,
 * so the change and its event land in one transaction; reads of protected data and security
 * events are appended on their own.
 */
import type { SignedDigest, StoredEvent } from '../domain/audit-digest.ts';
import type { CheckpointClaim } from './checkpoint-claims.ts';
import type {
  AppendedEvent,
  AuditChanges,
  AuditEvent,
  AuditOutcome,
  AuditResource,
  ListedEvent,
} from '../domain/audit-event.ts';

// The event's shape is domain (shared/domain/audit-event.ts); the ports speak it.
export type { AppendedEvent, AuditChanges, AuditEvent, AuditOutcome, AuditResource, ListedEvent };

export interface AuditDraft {
  readonly orgId: string;
  readonly action: string;
  readonly resource: AuditResource;
  readonly outcome: AuditOutcome;
  readonly changes?: AuditChanges;
  /** Extra non-personal detail (counts, formats, reasons given by the caller for restriction). */
  readonly detail?: Readonly<Record<string, string | number | boolean>>;
}

/** Who and from where; kept apart from the draft so use cases cannot forge it. */
export interface AuditActor {
  readonly userId: string;
  /** Identifying detail, stored outside the hashed part so it can be erased. */
  readonly email: string;
  readonly sourceIp: string;
  readonly userAgent: string;
  readonly requestId: string;
}

export interface AuditQuery {
  readonly orgId: string;
  readonly from?: string;
  readonly to?: string;
  readonly actor?: string;
  readonly action?: string;
  readonly resource?: string;
  readonly limit: number;
  /** Where the previous page stopped (its `next`), as this log handed it out. */
  readonly after?: string;
}

/** Events of a time window, for scoping an incident (Art. 33); `from` and `to` inclusive, ISO UTC. */
export interface AuditWindowQuery {
  readonly orgId: string;
  readonly from: string;
  readonly to: string;
  readonly actor?: string;
  readonly sourceIp?: string;
}

/**
 * A page of the log and where the next one starts: a position in the log, not a cursor. The use
 * case seals it before a client sees it (the client must not choose where to read).
 */
export interface AuditPage {
  readonly items: readonly ListedEvent[];
  readonly next: string | null;
}

/** The audit event that must land with a change, and who caused it. */
export interface AuditEntry {
  readonly draft: AuditDraft;
  readonly actor: AuditActor;
}

export interface AuditLog {
  /** Appends an event on its own (reads of protected data, security events). */
  append(draft: AuditDraft, actor: AuditActor): Promise<void>;
  /** Newest first by time, sequenced or not; `from`/`to` bound the key range (one Query). */
  query(query: AuditQuery): Promise<AuditPage>;
  /**
   * The events of the window in time order, sequenced or not: events are keyed by time, so only
   * the window is read, whatever the size of the log; actor and source address filter that range.
   */
  window(query: AuditWindowQuery): AsyncIterable<ListedEvent>;
}

/** The chain head as stored: the last event's sequence number, hash and time. */
export interface AuditChainHead {
  readonly seq: number;
  readonly hash: string;
  readonly at: string;
  /** The latest event time chained so far (SequencedBatch.latestAt of the last batch); absent on old heads. */
  readonly latestAt?: string;
}

/**
 * The chain as stored, for verification, digests, export and erasure. Only the audit functions
 * and the deletion worker use it; every other use case only appends through AuditLog.
 */
export interface AuditChainStore {
  head(orgId: string): Promise<AuditChainHead | undefined>;
  /**
   * The sequenced events in chain order, as the sequenced batches name them, each with the
   * position its batch gave it; only those after `afterSeq` when given. A named event whose item
   * is gone is skipped (the walk then breaks at its position).
   */
  events(orgId: string, afterSeq?: number): AsyncIterable<StoredEvent>;
  /**
   * Walks the organization's event items once: the first item that claims a position (a `seq` of
   * its own, which appended items never carry) that the batch there does not give it, and how
   * many items were appended within `window` (by their key's time), for the verifier to compare
   * with the events the batches name in that window.
   */
  census(orgId: string, window: AppendWindow): Promise<EventCensus>;
  /** Every digest of the organization in headSeq order. */
  digests(orgId: string): AsyncIterable<SignedDigest>;
  latestDigest(orgId: string): Promise<SignedDigest | undefined>;
  event(orgId: string, seq: number): Promise<AuditEvent | undefined>;
  /**
   * Writes a digest unless one already exists at its headSeq; false when one did. With `claim`,
   * only while the organization's checkpoint claim is still that one (one transaction): false too
   * when it lapsed and another took it, whose checkpoint this one would fork (docs/decisions/0021).
   */
  putDigest(digest: SignedDigest, claim?: CheckpointClaim): Promise<boolean>;
  /**
   * Organizations whose chain the sequencer advanced since the digest run last reviewed them: the
   * sequencer flags the head it moves, and a sparse index of flagged heads answers this with a
   * Query, never a Scan of the table.
   */
  unreviewed(): AsyncIterable<string>;
  /** Clears the organization's flag unless its chain moved past `head` meanwhile. */
  markReviewed(orgId: string, head: AuditChainHead): Promise<void>;
  /**
   * Removes the identifying details kept outside the hash (email, ip, user agent) from every event
   * of `userId` in the organization; answers how many events changed. Deletion worker only.
   */
  pseudonymiseActor(orgId: string, userId: string): Promise<number>;
}

/** A time range of appended events, by their key's time: `from` inclusive, `before` exclusive (ISO). */
export interface AppendWindow {
  readonly from: string;
  readonly before: string;
}

export interface EventCensus {
  /** Event items whose key's time falls in the window. */
  readonly appended: number;
  /** The position claimed by the first item found out of place, if any. */
  readonly stray?: number;
}

/** A batch the sequencer chained: the events it holds, in chain order, from `firstSeq` on. */
export interface SequencedBatch {
  readonly orgId: string;
  readonly firstSeq: number;
  /** The hash before the batch (the previous batch's last hash, or the genesis hash). */
  readonly prevHash: string;
  /** Each event's reference (`<at>#<eventId>`, its storage key without the prefix), in order. */
  readonly refs: readonly string[];
  /** Each event's chain hash, in the same order. */
  readonly hashes: readonly string[];
  /**
   * The latest event time chained so far, this batch included: never decreasing along the chain,
   * so the batches that may hold an event appended at `t` are those from the first whose
   * `latestAt` reaches `t`. Readers find an event's position by it; absent on old batches, whose
   * events carry their position on their item.
   */
  readonly latestAt?: string;
}

/** What the sequencer reads and writes. Only the audit sequencer function uses it. */
export interface AuditSequencerStore {
  head(orgId: string): Promise<AuditChainHead | undefined>;
  /** The batch that starts at `firstSeq`, if one was written. */
  batchAt(orgId: string, firstSeq: number): Promise<SequencedBatch | undefined>;
  /** Of the given events, the ids of those a batch already names (a redelivery). */
  sequencedIds(orgId: string, events: readonly AppendedEvent[]): Promise<ReadonlySet<string>>;
  /**
   * Of the given events, the references whose item is gone (deleted before it was sequenced:
   * evidence of tampering; the batch still chains it, and verification breaks there).
   */
  missing(orgId: string, events: readonly AppendedEvent[]): Promise<readonly string[]>;
  /** Claims the batch's positions; false when another batch already starts there. */
  putBatch(batch: SequencedBatch): Promise<boolean>;
  /** Moves the head from `from` to `to` (no-op when another sequencer already did). */
  advanceHead(orgId: string, from: AuditChainHead | undefined, to: AuditChainHead): Promise<void>;
}

/** Signs digests with the audit signing key and hands out its public key. */
export interface DigestSigner {
  /** Signs a SHA-256 digest; answers the DER signature (base64) and the key's id. */
  sign(sha256: Buffer): Promise<{ readonly signature: string; readonly keyId: string }>;
  /** PEM (SPKI) of the public key with `keyId` (the signing key when omitted). */
  publicKeyPem(keyId?: string): Promise<string>;
}
