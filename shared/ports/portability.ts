/**
 * Export and backup requests of an organization, and what the download link needs of a backup.
 * Each request is an item of the organization's partition with its file's key and an expiry:
 * the clean-up cycle deletes both when the expiry has passed (and DynamoDB's TTL the item in the
 * cloud), so the request, its link and its file go together.
 */
import type { AuditEntry } from './audit.ts';

export type PortabilityStatus = 'pending' | 'running' | 'ready' | 'failed';
export type ExportFormat = 'csv' | 'xlsx';
/** Whether the backup's email went out: `failed` stays until a redelivery of the work succeeds. */
export type EmailStatus = 'pending' | 'sent' | 'failed';

interface PortabilityRequest {
  readonly orgId: string;
  /** The member who asked; the worker re-evaluates their rights from it. */
  readonly requestedBy: string;
  readonly status: PortabilityStatus;
  readonly rowsWritten: number;
  /** `orgs/<orgId>/…`: where the file is (or will be) stored. */
  readonly fileKey: string;
  /** ISO time after which the file and the record are gone. */
  readonly expiresAt: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** Why it failed, in words safe to show the requester (no personal data). */
  readonly failure?: string;
  /** How many times a worker started on it (a crashed or failed run is retried); absent until the first. */
  readonly attempt?: number;
  /**
   * ISO time of the worker's last sign of life: its progress writes and the renewals of its
   * message's lease. A `running` request whose `progressAt` is older than one lease has lost its
   * worker; the queue hands the work to another within that lease (docs/operations.md).
   */
  readonly progressAt?: string;
}

export interface ExportRecord extends PortabilityRequest {
  readonly exportId: string;
  readonly format: ExportFormat;
  readonly orchestrationId?: string;
}

export interface BackupRecord extends PortabilityRequest {
  readonly backupId: string;
  /** scrypt hash of the ZIP password (domain/password-hash.ts), for the download page only. */
  readonly passwordHash: string;
  readonly email: EmailStatus;
  /** SHA-256 of the emailed link's token; absent until the email is being sent. */
  readonly linkHash?: string;
  /** Password tries counted on the download page (reserved before checking, released on success). */
  readonly attempts: number;
}

export interface ProgressChange {
  readonly status?: PortabilityStatus;
  readonly rowsWritten?: number;
  readonly attempt?: number;
  readonly progressAt?: string;
  readonly failure?: string;
  readonly expiresAt?: string;
}

export interface BackupChange extends ProgressChange {
  readonly email?: EmailStatus;
  readonly linkHash?: string;
}

export interface PortabilityStore {
  /** Stores a new request with its audit event, while the organization is active. */
  createExport(record: ExportRecord, audit: AuditEntry): Promise<void>;
  getExport(orgId: string, exportId: string): Promise<ExportRecord | undefined>;
  updateExport(orgId: string, exportId: string, change: ProgressChange, at: string): Promise<void>;

  createBackup(record: BackupRecord, audit: AuditEntry): Promise<void>;
  getBackup(orgId: string, backupId: string): Promise<BackupRecord | undefined>;
  updateBackup(orgId: string, backupId: string, change: BackupChange, at: string): Promise<void>;
  /** The backup whose current link token hashes to `linkHash`. */
  backupByLink(linkHash: string): Promise<BackupRecord | undefined>;
  /**
   * Counts one password try before it is checked, only while fewer than `max` are counted:
   * the tries now counted, or `locked`. Concurrent guesses cannot exceed `max` between them.
   */
  reserveAttempt(orgId: string, backupId: string, max: number): Promise<number | 'locked'>;
  /** Gives back a reserved try whose password was right. */
  releaseAttempt(orgId: string, backupId: string): Promise<void>;

  /** Extension consent records of the organization, secrets (sealed tokens) left out. */
  consents(orgId: string): AsyncIterable<Readonly<Record<string, unknown>>>;
  /** The organization's audit events in order, as stored. */
  auditEvents(orgId: string): AsyncIterable<Readonly<Record<string, unknown>>>;
}
