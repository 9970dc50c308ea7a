/**
 * An organization's connections to marketplace extensions: the current consent (versioned, every
 * grant and withdrawal kept as history) and the vendor's token, sealed with the organization's key
 * (OrgCrypto purpose `extension-token`, record = extension id), and the consent's webhook signing
 * secret, sealed the same way. The store never sees a plaintext token or secret and hands the sealed
 * ones only to the use cases that send webhooks.
 */
import type { AuditEntry } from './audit.ts';

/** One field a consent covers. */
export interface ConsentField {
  readonly orchestrationId: string;
  readonly fieldId: string;
  /** Whether the field held personal data when consent was given. */
  readonly personal: boolean;
}

export interface Consent {
  readonly version: number;
  readonly fields: readonly ConsentField[];
  readonly purpose: string;
  /** The organization's own endpoint, for extensions whose webhook is per organization. */
  readonly webhookUrl?: string;
  readonly grantedBy: string;
  readonly grantedAt: string;
}

export interface Withdrawal {
  readonly version: number;
  readonly withdrawnBy: string;
  readonly withdrawnAt: string;
}

/** The history of consent of one extension: every grant and every withdrawal, by version. */
export type ConsentHistoryEntry =
  ({ readonly change: 'grant' } & Consent) | ({ readonly change: 'withdrawal' } & Withdrawal);

export interface ExtensionConnection {
  readonly orgId: string;
  readonly extensionId: string;
  /** The version of the last grant or withdrawal (0: never consented). */
  readonly version: number;
  /** The consent in force; absent when never given or withdrawn. */
  readonly consent?: Consent;
  /** The vendor token as sealed by OrgCrypto; absent when none is stored. */
  readonly sealedToken?: string;
  readonly tokenSetAt?: string;
  readonly tokenSetBy?: string;
  /**
   * The webhook signing secret of the last consent, sealed by OrgCrypto (purpose
   * `extension-signing-secret`). Replaced by each new consent; kept on withdrawal, because
   * notifications about data already shared still go out, signed (Art. 19).
   */
  readonly sealedSigningSecret?: string;
}

export interface ExtensionStore {
  get(orgId: string, extensionId: string): Promise<ExtensionConnection | undefined>;
  list(orgId: string): Promise<ExtensionConnection[]>;
  /** Grants and withdrawals, oldest first. */
  history(orgId: string, extensionId: string): Promise<ConsentHistoryEntry[]>;
  /**
   * Makes `consent` current with its sealed signing secret (replacing the previous one) and adds
   * it to the history, if the connection is still at `consent.version - 1` (ConflictError
   * otherwise), with its audit event.
   */
  grant(
    orgId: string,
    extensionId: string,
    consent: Consent,
    sealedSigningSecret: string,
    audit: AuditEntry,
  ): Promise<void>;
  /** Stores (replaces) the sealed token, with its audit event. */
  setToken(
    orgId: string,
    extensionId: string,
    sealedToken: string,
    at: string,
    by: string,
    audit: AuditEntry,
  ): Promise<void>;
  /**
   * Withdraws the current consent (a withdrawal entry at `withdrawal.version`) and deletes the
   * token, if the connection is still at `withdrawal.version - 1` (ConflictError otherwise), with
   * its audit event, in one transaction.
   */
  revoke(orgId: string, extensionId: string, withdrawal: Withdrawal, audit: AuditEntry): Promise<void>;
}
