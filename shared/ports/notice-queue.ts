/**
 * Art. 19 notices on their way to the extensions that received a job's data. One message per
 * (change, extension): a vendor that fails is retried and dead-lettered on its own, and the others
 * are not notified twice. A message names jobs and field ids, never values.
 */
export type NoticeEvent = 'job.rectified' | 'job.erased' | 'job.restricted';

export interface RecipientNotice {
  /** The same on every retry: the Idempotency-Key and the key of the notice's state. */
  readonly noticeId: string;
  readonly extensionId: string;
  readonly event: NoticeEvent;
  readonly orgId: string;
  readonly jobIds: readonly string[];
  /** The field ids concerned, among those the extension received. */
  readonly fields: readonly string[];
  readonly at: string;
  /** Where the jobs' data was sent (the share records'): the notice goes there too. */
  readonly webhookUrl: string;
}

/**
 * The notices of one change, planned before it commits and written in its transaction (the
 * outbox entry): if the process dies between the commit and the queue, the entry is still there
 * and the clean-up cycle queues its notices (use-cases/recipient-notices.ts). The ids are minted
 * once, in the plan, so queuing an entry twice queues the same notices, which the notifier sends once.
 */
export interface NoticeBatch {
  readonly batchId: string;
  readonly orgId: string;
  /** When the change was planned (the domain clock): the cycle takes entries older than a grace period. */
  readonly at: string;
  readonly notices: readonly RecipientNotice[];
}

export interface NoticeQueue {
  send(notices: readonly RecipientNotice[]): Promise<void>;
}
