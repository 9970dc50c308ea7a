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

export interface NoticeQueue {
  send(notices: readonly RecipientNotice[]): Promise<void>;
}
