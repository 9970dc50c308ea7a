/** NoticeQueue on SQS (server-side encrypted with its KMS key, see the data stack), ten per call. */
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { NoticeQueue, RecipientNotice } from '../../ports/notice-queue.ts';

const SQS_BATCH = 10;

export class SqsNoticeQueue implements NoticeQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async send(notices: readonly RecipientNotice[]): Promise<void> {
    for (let start = 0; start < notices.length; start += SQS_BATCH) {
      const batch = notices.slice(start, start + SQS_BATCH);
      const { Failed = [] } = await this.client.send(
        new SendMessageBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: batch.map((notice, index) => ({ Id: String(index), MessageBody: JSON.stringify(notice) })),
        }),
      );
      if (Failed.length > 0)
        throw new Error(`${Failed.length} notices were not queued (${Failed[0]?.Code ?? 'unknown'})`);
    }
  }
}
