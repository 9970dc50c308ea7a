/** WorkQueue on SQS (server-side encrypted with its KMS key, see the data stack). */
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { env } from '../../config.ts';
import type { WorkMessage, WorkQueue } from '../../ports/work-queue.ts';
import { sqs } from './sqs-client.ts';

export class SqsWorkQueue implements WorkQueue {
  constructor(
    private readonly client: SQSClient = sqs(),
    private readonly queueUrl: string = env.workQueueUrl(),
  ) {}

  async send(message: WorkMessage): Promise<void> {
    await this.client.send(
      new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: JSON.stringify(message) }),
    );
  }
}
