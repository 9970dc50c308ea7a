/**
 * The tamper-evident chain of an organization's audit events. Each event's hash covers its
 * pseudonymous content and the previous event's hash; identifying details (email, ip, user agent)
 * stay outside the hash so they can be erased without breaking verification.
 */
import { createHash } from 'node:crypto';
import type { AuditEvent } from '../ports/audit.ts';

export const GENESIS_HASH = '0'.repeat(64);

type HashedPart = Pick<
  AuditEvent,
  'eventId' | 'orgId' | 'seq' | 'at' | 'actor' | 'action' | 'resource' | 'outcome' | 'changes' | 'detail' | 'requestId' | 'prevHash'
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

export interface ChainVerification {
  readonly valid: boolean;
  readonly events: number;
  /** The sequence number of the first event that does not verify. */
  readonly firstBrokenAt?: number;
  readonly headHash: string;
}

/**
 * Walks events in sequence order. Detects edits (hash mismatch), deletions and insertions
 * (sequence gaps or prevHash mismatch) and reorderings (both).
 */
export class ChainVerifier {
  private expectedSeq = 1;
  private prevHash = GENESIS_HASH;
  private count = 0;
  private broken: number | undefined;

  add(event: AuditEvent): void {
    if (this.broken !== undefined) return;
    const ok = event.seq === this.expectedSeq && event.prevHash === this.prevHash && hashEvent(event) === event.hash;
    if (!ok) {
      this.broken = this.expectedSeq;
      return;
    }
    this.count += 1;
    this.expectedSeq += 1;
    this.prevHash = event.hash;
  }

  result(expectedHead?: { seq: number; hash: string }): ChainVerification {
    if (this.broken !== undefined) return { valid: false, events: this.count, firstBrokenAt: this.broken, headHash: this.prevHash };
    if (expectedHead !== undefined && (expectedHead.seq !== this.count || expectedHead.hash !== this.prevHash)) {
      // Events were cut off the end: the head names more (or other) events than the log holds.
      return { valid: false, events: this.count, firstBrokenAt: this.count + 1, headHash: this.prevHash };
    }
    return { valid: true, events: this.count, headHash: this.prevHash };
  }
}
