/**
 * The deletion queue on SQS. The queue is KMS-encrypted and has a dead-letter queue (declared in
 * infra/resources.ts); a message is removed only once its deletion is finished, so a run that
 * stops early (budget, crash) leaves it to come back, and a body that never parses is received
 * again until the redrive policy moves it to the dead-letter queue. A valid request is held on a
 * renewed lease while the run lasts (sqs-message-leases.ts): a run that dies gives it back within
 * one lease. A malformed one is not held: it returns after the queue's own visibility timeout.
 */
import {
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { env } from '../../config.ts';
import {
  parseDeletionRequest,
  type DeletionQueue,
  type DeletionRequest,
  type ReceivedDeletion,
} from '../../ports/deletion-queue.ts';
import type { MessageLease } from '../../ports/message-lease.ts';
import { sqs } from './sqs-client.ts';
import { SqsMessageLeases } from './sqs-message-leases.ts';

export class SqsDeletionQueue implements DeletionQueue {
  private readonly held = new Map<string, MessageLease>();
  private leases: SqsMessageLeases | undefined;

  /** `leaseSeconds` is read on the first receive: the functions that only send need not know it. */
  constructor(
    private readonly client: SQSClient = sqs(),
    private readonly queueUrl: string = env.deletionQueueUrl(),
    private readonly leaseSeconds: () => number = env.deletionQueueLeaseSeconds,
  ) {}

  async send(request: DeletionRequest): Promise<void> {
    await this.client.send(
      new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: JSON.stringify(request) }),
    );
  }

  async receive(max: number, waitSeconds: number): Promise<ReceivedDeletion[]> {
    const { Messages } = await this.client.send(
      new ReceiveMessageCommand({
        QueueUrl: this.queueUrl,
        MaxNumberOfMessages: Math.min(10, Math.max(1, max)),
        WaitTimeSeconds: waitSeconds,
      }),
    );
    const received = (Messages ?? []).flatMap((message) =>
      message.ReceiptHandle === undefined
        ? []
        : [
            {
              messageId: message.MessageId ?? '',
              receipt: message.ReceiptHandle,
              request: parseDeletionRequest(message.Body ?? ''),
            },
          ],
    );
    this.leases ??= new SqsMessageLeases(this.client, this.queueUrl, this.leaseSeconds());
    const leases = this.leases;
    await Promise.all(
      received
        .filter((message) => message.request !== undefined)
        .map(async (message) => this.held.set(message.receipt, await leases.hold(message.receipt))),
    );
    return received;
  }

  async acknowledge(receipt: string): Promise<void> {
    this.held.get(receipt)?.release();
    this.held.delete(receipt);
    await this.client.send(new DeleteMessageCommand({ QueueUrl: this.queueUrl, ReceiptHandle: receipt }));
  }

  releaseHeld(): void {
    for (const lease of this.held.values()) lease.release();
    this.held.clear();
  }
}
