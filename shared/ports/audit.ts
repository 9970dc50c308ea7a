/**
 * The audit log. Every mutating use case hands an AuditDraft to the store that commits its change,
 * so the change and its event land in one transaction; reads of protected data and security
 * events are appended on their own.
 */
import type { SignedDigest, StoredEvent } from '../domain/audit-digest.ts';

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

/** Events of a time window, for scoping an incident (Art. 33); `from` and `to` inclusive, ISO UTC. */
export interface AuditWindowQuery {
  readonly orgId: string;
  readonly from: string;
  readonly to: string;
  readonly actor?: string;
  readonly sourceIp?: string;
}

export interface Page<T> {
  readonly items: readonly T[];
  readonly nextCursor: string | null;
}

export interface AuditLog {
  /** Appends an event on its own (reads of protected data, security events). */
  append(draft: AuditDraft, actor: AuditActor): Promise<void>;
  query(query: AuditQuery): Promise<Page<AuditEvent>>;
  /**
   * The events of the window in time order, read through an index on (organization, time) so only
   * the window is read, whatever the size of the log; actor and source address filter that range.
   */
  window(query: AuditWindowQuery): AsyncIterable<AuditEvent>;
}

/** The chain head as stored: the last event's sequence number, hash and time. */
export interface AuditChainHead {
  readonly seq: number;
  readonly hash: string;
  readonly at: string;
}

/**
 * The chain as stored, for verification, digests, export and erasure. Only the audit functions
 * and the deletion worker use it; every other use case only appends through AuditLog.
 */
export interface AuditChainStore {
  head(orgId: string): Promise<AuditChainHead | undefined>;
  /**
   * Every stored event item of the organization in key order, with the position its key names;
   * only those after `afterSeq` when given.
   */
  events(orgId: string, afterSeq?: number): AsyncIterable<StoredEvent>;
  /** Every digest of the organization in headSeq order. */
  digests(orgId: string): AsyncIterable<SignedDigest>;
  latestDigest(orgId: string): Promise<SignedDigest | undefined>;
  event(orgId: string, seq: number): Promise<AuditEvent | undefined>;
  /** Writes a digest unless one already exists at its headSeq; false when one did. */
  putDigest(digest: SignedDigest): Promise<boolean>;
  /** The chain head of every organization that has one. */
  heads(): AsyncIterable<{ readonly orgId: string } & AuditChainHead>;
  /**
   * Removes the identifying details kept outside the hash (email, ip, user agent) from every event
   * of `userId` in the organization; answers how many events changed. Deletion worker only.
   */
  pseudonymiseActor(orgId: string, userId: string): Promise<number>;
}

/** Signs digests with the audit signing key and hands out its public key. */
export interface DigestSigner {
  /** Signs a SHA-256 digest; answers the DER signature (base64) and the key's id. */
  sign(sha256: Buffer): Promise<{ readonly signature: string; readonly keyId: string }>;
  /** PEM (SPKI) of the public key with `keyId` (the signing key when omitted). */
  publicKeyPem(keyId?: string): Promise<string>;
}
