/**
 * What an audit event is: the domain the chain, the digests and the ports all speak. It lives here,
 * below the ports, so the chain and digest logic need nothing from the ports that use them.
 */

export type AuditOutcome = 'success' | 'denied' | 'failure';

export interface AuditResource {
  readonly type: string;
  readonly id: string;
}

/**
 * Which fields changed. `values` only ever holds non-personal, non-encrypted fields; everything
 * else is named in `fields` without its value.
 */
export interface AuditChanges {
  readonly fields: readonly string[];
  readonly values?: Readonly<Record<string, string | number | boolean | null>>;
}

/**
 * An event as the change's transaction appends it: everything but its place in the chain, which the
 * sequencer gives it moments later (docs/decisions/0011-audit-sequencer.md).
 */
export interface AppendedEvent {
  readonly eventId: string;
  readonly orgId: string;
  readonly at: string;
  readonly actor: string;
  readonly action: string;
  readonly resource: AuditResource;
  readonly outcome: AuditOutcome;
  readonly changes?: AuditChanges;
  readonly detail?: Readonly<Record<string, string | number | boolean>>;
  readonly requestId: string;
  /** Outside the hash: may be erased (replaced by a pseudonym) without breaking the chain. */
  readonly actorEmail?: string;
  readonly ip?: string;
  readonly userAgent?: string;
}

/** A sequenced event: its position in the organization's chain and the hashes that link it. */
export interface AuditEvent extends AppendedEvent {
  readonly seq: number;
  readonly prevHash: string;
  readonly hash: string;
}

/** An event as listed: sequenced, or appended and not sequenced yet (no seq, prevHash or hash). */
export type ListedEvent = AppendedEvent & Partial<Pick<AuditEvent, 'seq' | 'prevHash' | 'hash'>>;
