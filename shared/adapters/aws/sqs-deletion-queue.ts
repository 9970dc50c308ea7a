/**
 * The deletion queue on SQS. The queue is KMS-encrypted and has a dead-letter queue (declared in
 * infra/resources.ts); a message is removed only once its deletion is finished, so a run that
 * stops early (budget, crash) leaves it to come back after the visibility timeout, and a body
 * that never parses is received again until the redrive policy moves it to the dead-letter queue.
 */
import { DeleteMessageCommand, ReceiveMessageCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { env } from '../../config.ts';
import { parseDeletionRequest, type DeletionQueue, type DeletionRequest, type ReceivedDeletion } from '../../ports/deletion-queue.ts';
import { sqs } from './clients.ts';

export class SqsDeletionQueue implements DeletionQueue {
  constructor(
    private readonly client: SQSClient = sqs(),
    private readonly queueUrl: string = env.deletionQueueUrl(),
  ) {}

  async send(request: DeletionRequest): Promise<void> {
    await this.client.send(new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: JSON.stringify(request) }));
  }

  async receive(max: number, waitSeconds: number): Promise<ReceivedDeletion[]> {
    const { Messages } = await this.client.send(
      new ReceiveMessageCommand({ QueueUrl: this.queueUrl, MaxNumberOfMessages: Math.min(10, Math.max(1, max)), WaitTimeSeconds: waitSeconds }),
    );
    return (Messages ?? []).flatMap((message) =>
      message.ReceiptHandle === undefined
        ? []
        : [{ messageId: message.MessageId ?? '', receipt: message.ReceiptHandle, request: parseDeletionRequest(message.Body ?? '') }],
    );
  }

  async acknowledge(receipt: string): Promise<void> {
    await this.client.send(new DeleteMessageCommand({ QueueUrl: this.queueUrl, ReceiptHandle: receipt }));
  }
}
