/** CheckpointQueue on SQS: one message per request, held back by DelaySeconds (at most 15 minutes). */
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { CheckpointQueue } from '../../ports/checkpoint-queue.ts';

/** SQS's largest per-message delay. */
const MAX_DELAY_SECONDS = 900;

export class SqsCheckpointQueue implements CheckpointQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async schedule(orgId: string, delaySeconds: number): Promise<void> {
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: JSON.stringify({ orgId }),
        DelaySeconds: Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.ceil(delaySeconds))),
      }),
    );
  }
}
