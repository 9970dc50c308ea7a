/**
 * Runs the portability worker the way the SQS event source does, for integration tests: receive
 * from the work queue, invoke the manifest's worker with the SQS event, delete what it processed.
 * The queue is shared by every test file of the run, so whoever drains it processes whatever is
 * there (any request is processed correctly by any worker); each test waits for its own request.
 */
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse } from 'aws-lambda';
import { FunctionRuntime } from '../../infra/local/invoke.ts';
import { sqsEvent } from '../../infra/local/lambda-events.ts';
import { functionNamed } from '../../infra/manifest.ts';
import { testEnv } from '../support/test-stack.ts';

const runtime = new FunctionRuntime();
let sqs: SQSClient | undefined;
let queueArn: string | undefined;

async function drainOnce(): Promise<number> {
  sqs ??= new SQSClient({});
  const queueUrl = testEnv('WORK_QUEUE_URL');
  queueArn ??=
    (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] })))
      .Attributes?.QueueArn ?? '';
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: 1,
      WaitTimeSeconds: 1,
      VisibilityTimeout: 60,
    }),
  );
  for (const message of Messages) {
    const result = (await runtime.invoke(
      functionNamed('portability-worker'),
      sqsEvent(queueArn, [message]),
    )) as SQSBatchResponse;
    // A failed message stays (visible again after its timeout), as with the event source mapping.
    if (result.batchItemFailures.length === 0) {
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: [{ Id: '0', ReceiptHandle: message.ReceiptHandle }],
        }),
      );
    }
  }
  return Messages.length;
}

/** Works the queue until `done()` holds (checked between messages), or fails after `timeoutMs`. */
export async function workUntil(done: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error('The portability work did not finish in time');
    await drainOnce();
  }
}

export function stopWorkQueue(): void {
  sqs?.destroy();
  sqs = undefined;
}
