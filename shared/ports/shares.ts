/**
 * The record of each share of a job with an extension (GDPR Art. 19): which extension, which
 * fields (ids, never values), when, and what came of it; and of each notice sent since about that
 * job (rectified, erased, restricted) with its state. The share records are what notices are sent
 * from; both are what the recipients listings show.
 */
import type { NoticeBatch, NoticeEvent, RecipientNotice } from './notice-queue.ts';
import type { AuditEntry } from './audit.ts';

/**
 * `pending`: recorded before sending, outcome not (yet) known — counted as received, since the
 * vendor may have it. `delivered`: the vendor answered 2xx. `refused`: nothing was sent (no
 * consent, restricted, no token, the address guard). `failed`: sent, but the vendor never accepted it.
 */
export type ShareOutcome = 'pending' | 'delivered' | 'refused' | 'failed';

export interface ShareRecord {
  readonly shareId: string;
  readonly orgId: string;
  readonly jobId: string;
  readonly extensionId: string;
  /** The field ids sent (or that would have been), sorted; never values. */
  readonly fields: readonly string[];
  readonly at: string;
  readonly outcome: ShareOutcome;
  /** Why a share was refused or failed: a problem type (`consent-required`, …) or a network code. */
  readonly reason?: string;
  /** The vendor's final HTTP status, when it answered. */
  readonly vendorStatus?: number;
  readonly consentVersion?: number;
  /** Where the data went: notifications about it go there, even after the consent is withdrawn. */
  readonly webhookUrl?: string;
}

/** `failed`: the last attempt failed; it is retried until the queue dead-letters it, and may yet become `delivered`. */
export type NoticeState = 'pending' | 'delivered' | 'failed';

/** A notice about one job to one extension. */
export interface NoticeRecord {
  readonly noticeId: string;
  readonly extensionId: string;
  readonly jobId: string;
  readonly event: NoticeEvent;
  readonly fields: readonly string[];
  readonly at: string;
  readonly state: NoticeState;
  readonly attempts: number;
  readonly updatedAt: string;
}

export interface RecipientRecords {
  readonly shares: ShareRecord[];
  readonly notices: NoticeRecord[];
}

export interface ShareStore {
  /** Records a share about to be sent, before anything leaves (its audit event comes with `settle`). */
  begin(record: ShareRecord): Promise<void>;
  /** Records the share's outcome and its audit event in one transaction. */
  settle(record: ShareRecord, audit: AuditEntry): Promise<void>;
  /** Every share and notice record of these jobs, oldest first per job. */
  ofJobs(orgId: string, jobIds: readonly string[]): Promise<RecipientRecords>;
  /**
   * Of these jobs, the ones ever offered to an extension (a marker written with the first pending
   * share): one batched read per call, so a change looks up share records only for jobs that have them.
   */
  sharedAmong(orgId: string, jobIds: readonly string[]): Promise<string[]>;
  /** Every share record of the organization, page by page (its erasure notifies them all). */
  sharesOfOrg(orgId: string): AsyncGenerator<ShareRecord[]>;
  /** Outbox entries (NoticeBatch) written before `before` and not yet cleared, oldest first, at most `limit`. */
  batchesBefore(before: string, limit: number): Promise<NoticeBatch[]>;
  /** Removes an outbox entry once its notices are recorded and queued. */
  clearBatch(batch: NoticeBatch): Promise<void>;
  /** Records notices as `pending`, one record per job, before they are queued; a `delivered` record stays delivered. */
  recordNotices(notices: readonly RecipientNotice[]): Promise<void>;
  /** The state of a notice (undefined when it was never recorded). */
  noticeState(notice: RecipientNotice): Promise<NoticeState | undefined>;
  /** Records an attempt's outcome on every job of the notice; `delivered` is final. */
  settleNotice(notice: RecipientNotice, state: 'delivered' | 'failed', at: string): Promise<void>;
}

/** Shares whose data the vendor may hold: every one but those refused before sending. */
export const mayHaveReceived = (share: ShareRecord): boolean => share.outcome !== 'refused';
