/**
 * The local SQS event source against the real SQS emulator of the local stack: partial batch
 * failures stay on the queue, a thrown error keeps the whole batch, successes are deleted, and a
 * message that keeps failing reaches the dead-letter queue through the queue's redrive policy.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { FunctionSpec } from '../../infra/manifest.ts';
import { FunctionRuntime } from '../../infra/local/invoke.ts';
import { startLocalStack, type LocalStack } from '../../infra/local/local-stack.ts';
import { startPoller, type Poller } from '../../infra/local/poller.ts';
import { deliveries } from './fixtures/batch-consumer.ts';

const consumer: FunctionSpec = {
  name: 'batch-consumer',
  entry: 'test/e2e/fixtures/batch-consumer.ts',
  description: 'Test consumer',
  memoryMb: 256,
  timeoutSeconds: 10,
  access: {},
  routes: [],
  consumes: { queue: 'work', batchSize: 10 },
};

let stack: LocalStack;
let sqs: SQSClient;
let poller: Poller;
let queueUrl: string;
let dlqUrl: string;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('Condition not reached in time');
    await sleep(200);
  }
}

async function messagesLeft(url: string): Promise<number> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(Attributes?.ApproximateNumberOfMessages ?? 0) +
    Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
  );
}

beforeAll(async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'custos-e2e-poller-'));
  stack = await startLocalStack({ port: 0, dataDir, fresh: true, quiet: true, schedulers: false });
  sqs = new SQSClient({
    endpoint: stack.endpoints.sqs,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  // A queue of its own, so the stack's own consumers never take these messages.
  dlqUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'poller-test-dlq' }))).QueueUrl!;
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }),
  );
  queueUrl = (
    await sqs.send(
      new CreateQueueCommand({
        QueueName: 'poller-test',
        Attributes: {
          VisibilityTimeout: '5400',
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: Attributes?.QueueArn, maxReceiveCount: 2 }),
        },
      }),
    )
  ).QueueUrl!;
}, 90_000);

afterAll(async () => {
  await poller?.stop();
  sqs?.destroy();
  await stack?.stop();
}, 30_000);

describe('startPoller', () => {
  test('deletes successes, retries failures, and dead-letters a message that keeps failing', async () => {
    // Prepare
    for (const body of [
      { id: 'ok-1' },
      { id: 'poison', fail: true },
      { id: 'flaky', throwOnce: true },
      { id: 'ok-2' },
    ]) {
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(body) }));
    }

    // Act
    poller = startPoller({
      runtime: new FunctionRuntime(),
      sqs,
      queueUrls: {
        deletion: stack.env.DELETION_QUEUE_URL!,
        work: queueUrl,
        notices: stack.env.NOTICE_QUEUE_URL!,
        checkpoints: stack.env.AUDIT_CHECKPOINT_QUEUE_URL!,
      },
      functions: [consumer],
      retryDelaySeconds: 1,
    });
    const dead = await until(async () => {
      const { Messages } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: dlqUrl, WaitTimeSeconds: 1 }),
      );
      return Messages?.[0];
    }, 20_000);

    // Assess
    expect(JSON.parse(dead.Body ?? '{}')).toEqual({ id: 'poison', fail: true });
    const countOf = (id: string) => deliveries().filter((d) => d.id === id).length;
    expect(
      deliveries()
        .filter((d) => d.id === 'poison')
        .map((d) => d.receiveCount),
    ).toEqual([1, 2]);
    // A thrown error kept its whole batch: whatever shared the first batch with `flaky` came again.
    expect(countOf('flaky')).toBe(2);
    for (const id of ['ok-1', 'ok-2']) expect(countOf(id)).toBeGreaterThanOrEqual(1);
    await until(async () => ((await messagesLeft(queueUrl)) === 0 ? true : undefined), 5_000);
  }, 40_000);
});
