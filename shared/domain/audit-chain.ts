/**
 * The tamper-evident chain of an organization's audit events. Each event's hash covers its
 * pseudonymous content and the previous event's hash; identifying details (email, ip, user agent)
 * stay outside the hash so they can be erased without breaking verification.
 */
import { createHash } from 'node:crypto';
import type { AppendedEvent, AuditEvent } from './audit-event.ts';

export const GENESIS_HASH = '0'.repeat(64);

type HashedPart = Pick<
  AuditEvent,
  | 'eventId'
  | 'orgId'
  | 'seq'
  | 'at'
  | 'actor'
  | 'action'
  | 'resource'
  | 'outcome'
  | 'changes'
  | 'detail'
  | 'requestId'
  | 'prevHash'
>;

/** JSON with keys sorted at every level, so the same event always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

export function hashEvent(event: HashedPart): string {
  const hashed: HashedPart = {
    eventId: event.eventId,
    orgId: event.orgId,
    seq: event.seq,
    at: event.at,
    actor: event.actor,
    action: event.action,
    resource: event.resource,
    outcome: event.outcome,
    changes: event.changes,
    detail: event.detail,
    requestId: event.requestId,
    prevHash: event.prevHash,
  };
  return createHash('sha256').update(canonicalJson(hashed)).digest('hex');
}

/** Where a chain stands: the last position and its hash (position 0: the genesis). */
export interface ChainPosition {
  readonly seq: number;
  readonly hash: string;
}

/**
 * Gives appended events their places after `head`, in the order given: each one's position, the
 * previous event's hash and its own hash. Pure: the same events after the same head always chain
 * the same, so a sequencer that retries a batch writes identical links.
 */
export function chainEvents(head: ChainPosition, events: readonly AppendedEvent[]): AuditEvent[] {
  let prevHash = head.hash;
  return events.map((appended, i) => {
    const {
      seq: _seq,
      prevHash: _prev,
      hash: _hash,
      ...content
    } = appended as AppendedEvent & Partial<Pick<AuditEvent, 'seq' | 'prevHash' | 'hash'>>;
    const linked = { ...content, seq: head.seq + i + 1, prevHash };
    const event: AuditEvent = { ...linked, hash: hashEvent(linked) };
    prevHash = event.hash;
    return event;
  });
}

/**
 * How long an appended event may stay unsequenced before verification calls it missing from the
 * chain: far beyond the sequencer's usual lag (about a second), within the stream's 24 h
 * retention. Readers that look for an event's position stop looking this far past its time.
 */
export const SEQUENCER_LAG_BOUND_MS = 15 * 60 * 1000;

/** An event's reference in a sequenced batch: its time and id, which is also its storage key. */
export const eventRef = (event: Pick<AppendedEvent, 'at' | 'eventId'>): string =>
  `${event.at}#${event.eventId}`;

/** The time part of an event reference `<at>#<eventId>`. */
export const refAt = (ref: string): string => ref.slice(0, ref.lastIndexOf('#'));

/** Where a sequenced event sits: its position and the hashes that link it, as its batch gives them. */
export interface ChainPlace {
  readonly seq: number;
  readonly prevHash: string;
  readonly hash: string;
}

export interface ChainVerification {
  readonly valid: boolean;
  readonly events: number;
  /** The sequence number of the first event that does not verify. */
  readonly firstBrokenAt?: number;
  readonly headHash: string;
  /** The sequence number of the last event verified (0 when none was). */
  readonly lastSeq: number;
}

/** Where a walk starts: the genesis, or (once the oldest events expired) a later, anchored event. */
export interface ChainStart {
  readonly seq: number;
  readonly prevHash: string;
}

/**
 * Walks events in sequence order. Detects edits (hash mismatch), deletions and insertions
 * (sequence gaps or prevHash mismatch) and reorderings (both). When the caller knows the position
 * the storage gave an event (its key), an event stored under another position's key is broken
 * there too: an item slipped between two events, or moved, fails at the place it occupies.
 */
export class ChainVerifier {
  private expectedSeq: number;
  private prevHash: string;
  private count = 0;
  private broken: number | undefined;

  constructor(start: ChainStart = { seq: 1, prevHash: GENESIS_HASH }) {
    this.expectedSeq = start.seq;
    this.prevHash = start.prevHash;
  }

  /** `storedAt`: the sequence number the event's storage key names, when there is one. */
  add(event: AuditEvent, storedAt?: number): void {
    if (this.broken !== undefined) return;
    const ok =
      event.seq === this.expectedSeq &&
      (storedAt === undefined || storedAt === event.seq) &&
      event.prevHash === this.prevHash &&
      hashEvent(event) === event.hash;
    if (!ok) {
      this.broken = this.expectedSeq;
      return;
    }
    this.count += 1;
    this.expectedSeq += 1;
    this.prevHash = event.hash;
  }

  /** Marks the chain broken at `seq` for a reason found outside it (a digest, the head). */
  breakAt(seq: number): void {
    if (this.broken === undefined || seq < this.broken) this.broken = seq;
  }

  get isBroken(): boolean {
    return this.broken !== undefined;
  }

  result(expectedHead?: { seq: number; hash: string }): ChainVerification {
    const lastSeq = this.expectedSeq - 1;
    if (this.broken !== undefined)
      return {
        valid: false,
        events: this.count,
        firstBrokenAt: this.broken,
        headHash: this.prevHash,
        lastSeq,
      };
    if (expectedHead !== undefined && (expectedHead.seq !== lastSeq || expectedHead.hash !== this.prevHash)) {
      // Same length, other hash: the last event is not the one the head committed. Otherwise events
      // were cut off the end or added after it, and the first position the two disagree on is broken.
      const firstBrokenAt = expectedHead.seq === lastSeq ? lastSeq : Math.min(lastSeq, expectedHead.seq) + 1;
      return { valid: false, events: this.count, firstBrokenAt, headHash: this.prevHash, lastSeq };
    }
    return { valid: true, events: this.count, headHash: this.prevHash, lastSeq };
  }
}
