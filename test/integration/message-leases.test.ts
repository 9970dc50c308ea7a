/**
 * The heartbeat of long consumers (SqsMessageLeases) against fauxqs: a held message stays invisible
 * for as long as its holder renews the lease, far past the queue's own visibility timeout and past
 * the lease itself; once the renewals stop (the holder died or let go), it is delivered again
 * within one lease. Short seconds stand for the 2-minute lease of the deployed queues.
 */
import { afterAll, describe, expect, test } from '@jest/globals';
import {
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { SqsMessageLeases } from '../../shared/adapters/aws/sqs-message-leases.ts';
import { testQueue } from './deletion-support.ts';

const LEASE_SECONDS = 2;
const sqs = new SQSClient({});
afterAll(() => sqs.destroy());

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function receiveOne(queueUrl: string, waitSeconds: number) {
  const { Messages } = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      WaitTimeSeconds: waitSeconds,
      MaxNumberOfMessages: 1,
      MessageSystemAttributeNames: ['ApproximateReceiveCount'],
    }),
  );
  return Messages?.[0];
}

describe('a held message', () => {
  test('stays invisible while its holder renews the lease, and is back within one lease once the renewals stop', async () => {
    // Prepare: a queue whose own visibility (1 s) is shorter than the lease, and a message received from it.
    const queue = await testQueue({ visibilitySeconds: 1, maxReceiveCount: 5 });
    await sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: 'long work' }));
    const received = await receiveOne(queue.url, 2);
    expect(received?.ReceiptHandle).toBeDefined();
    let renewals = 0;
    const lease = await new SqsMessageLeases(sqs, queue.url, LEASE_SECONDS).hold(
      received!.ReceiptHandle!,
      async () => {
        renewals += 1;
      },
    );

    // Act / Assess: for two and a half leases, another consumer polling the queue gets nothing.
    const heldUntil = Date.now() + 2.5 * LEASE_SECONDS * 1000;
    while (Date.now() < heldUntil) {
      expect(await receiveOne(queue.url, 0)).toBeUndefined();
      await sleep(250);
    }
    expect(renewals).toBeGreaterThanOrEqual(3);

    // Act: the holder stops renewing, as a crashed consumer does.
    lease.release();
    const stoppedAt = Date.now();
    const renewalsAtStop = renewals;

    // Assess: delivered again, to the next consumer, within one lease (plus the poll's slack).
    const again = await receiveOne(queue.url, LEASE_SECONDS + 2);
    expect(again?.Body).toBe('long work');
    expect(again?.Attributes?.ApproximateReceiveCount).toBe('2');
    expect(Date.now() - stoppedAt).toBeLessThanOrEqual((LEASE_SECONDS + 1) * 1000);
    expect(renewals).toBe(renewalsAtStop);
  });

  test('a lease on a message deleted meanwhile ends at its next renewal instead of renewing forever', async () => {
    // Prepare: a client that counts the lease's calls.
    const queue = await testQueue({ visibilitySeconds: 30, maxReceiveCount: 5 });
    await sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: 'done elsewhere' }));
    const received = await receiveOne(queue.url, 2);
    const counted = new SQSClient({});
    let visibilityChanges = 0;
    counted.middlewareStack.add(
      (next) => async (args) => {
        visibilityChanges += 1;
        return next(args);
      },
      { step: 'initialize' },
    );
    const lease = await new SqsMessageLeases(counted, queue.url, LEASE_SECONDS).hold(
      received!.ReceiptHandle!,
    );

    // Act: the message is acknowledged by someone else (the event source, after a success).
    await sqs.send(
      new DeleteMessageCommand({ QueueUrl: queue.url, ReceiptHandle: received!.ReceiptHandle! }),
    );
    // Wait for the next renewal, then for three more beats (a third of the lease each) that must stay silent.
    const deadline = Date.now() + 2 * LEASE_SECONDS * 1000;
    while (visibilityChanges < 2 && Date.now() < deadline) await sleep(50);
    await sleep(LEASE_SECONDS * 1000 + 250);

    // Assess: the take and one renewal, which found the message gone; none after it.
    expect(visibilityChanges).toBe(2);
    lease.release();
    counted.destroy();
  });
});
