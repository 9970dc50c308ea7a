/**
 * The audit log. Every mutating use case hands an AuditDraft to the store that commits its change,
 * so the change and its event land in one transaction; reads of protected data and security
 * events are appended on their own.
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

export interface AuditEvent {
  readonly eventId: string;
  readonly orgId: string;
  readonly seq: number;
  readonly at: string;
  readonly actor: string;
  readonly action: string;
  readonly resource: AuditResource;
  readonly outcome: AuditOutcome;
  readonly changes?: AuditChanges;
  readonly detail?: Readonly<Record<string, string | number | boolean>>;
  readonly requestId: string;
  readonly prevHash: string;
  readonly hash: string;
  /** Outside the hash: may be erased (replaced by a pseudonym) without breaking the chain. */
  readonly actorEmail?: string;
  readonly ip?: string;
  readonly userAgent?: string;
}

export interface AuditQuery {
  readonly orgId: string;
  readonly from?: string;
  readonly to?: string;
  readonly actor?: string;
  readonly action?: string;
  readonly resource?: string;
  readonly limit: number;
  readonly cursor?: string;
}

export interface Page<T> {
  readonly items: readonly T[];
  readonly nextCursor: string | null;
}

export interface AuditLog {
  /** Appends an event on its own (reads of protected data, security events). */
  append(draft: AuditDraft, actor: AuditActor): Promise<void>;
  query(query: AuditQuery): Promise<Page<AuditEvent>>;
}
