/**
 * The Art. 19 notice queue worked the way the SQS event source works it: receive, invoke the
 * manifest's recipient notifier as that function, delete what succeeded. A failed message comes
 * back when the notifier's lease ends (NOTICE_QUEUE_LEASE_SECONDS, one second in these tests).
 * Shared by the files that follow notices to a fake vendor.
 */
import {
  SQSClient,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type Message,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse } from 'aws-lambda';
import { FunctionRuntime } from '../../infra/local/invoke.ts';
import { sqsEvent } from '../../infra/local/lambda-events.ts';
import { functionNamed } from '../../infra/manifest.ts';
import { startFakeVendor, type FakeVendor } from '../support/fake-vendor.ts';
import { testEnv } from '../support/test-stack.ts';

export interface NoticeQueueDriver {
  readonly queueUrl: string;
  /** Hands one message to the notifier; deletes it and answers true when it succeeded. */
  handOver(message: Message): Promise<boolean>;
  /**
   * Works the queue until it is empty. After a failure it waits (long polling) for the message to
   * come back at the end of its lease.
   */
  drain(afterFailure?: boolean): Promise<void>;
}

export async function noticeQueueDriver(sqs: SQSClient): Promise<NoticeQueueDriver> {
  const runtime = new FunctionRuntime();
  const queueUrl = testEnv('NOTICE_QUEUE_URL');
  const queueArn =
    (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] })))
      .Attributes?.QueueArn ?? '';
  async function handOver(message: Message): Promise<boolean> {
    const result = (await runtime.invoke(
      functionNamed('recipient-notifier'),
      sqsEvent(queueArn, [message]),
    )) as SQSBatchResponse;
    if (result.batchItemFailures.length > 0) return false;
    await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
    return true;
  }
  async function drain(afterFailure = false): Promise<void> {
    let failed = afterFailure;
    for (;;) {
      const { Messages = [] }: { Messages?: Message[] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 1,
          WaitTimeSeconds: failed ? 3 : 0,
          VisibilityTimeout: 30,
          MessageSystemAttributeNames: ['All'],
        }),
      );
      if (Messages.length === 0) return;
      failed = !(await handOver(Messages[0]!));
    }
  }
  return { queueUrl, handOver, drain };
}

/** What the files that follow notices to a fake vendor share: the vendor, a queue client and its driver. */
export interface NoticeWorld {
  readonly vendor: FakeVendor;
  readonly sqs: SQSClient;
  readonly driver: NoticeQueueDriver;
  /** Stops the vendor and the client and gives the environment back as it was. */
  close(): Promise<void>;
}

const NOTICE_ENV = [
  'ALLOWED_PRIVATE_WEBHOOK_HOSTS',
  'WEBHOOK_CA_FILE',
  'NOTICE_QUEUE_LEASE_SECONDS',
] as const;

/** Starts a fake HTTPS vendor the notifier may reach (its CA trusted, loopback allowed), with a one-second lease. */
export async function startNoticeWorld(): Promise<NoticeWorld> {
  const saved = Object.fromEntries(NOTICE_ENV.map((name) => [name, process.env[name]]));
  const vendor = await startFakeVendor();
  process.env.ALLOWED_PRIVATE_WEBHOOK_HOSTS = 'localhost';
  process.env.WEBHOOK_CA_FILE = vendor.caFile;
  // Read when the notifier first holds a message, like a cold start's environment.
  process.env.NOTICE_QUEUE_LEASE_SECONDS = '1';
  const sqs = new SQSClient({});
  const driver = await noticeQueueDriver(sqs);
  return {
    vendor,
    sqs,
    driver,
    async close() {
      for (const name of NOTICE_ENV) {
        const value = saved[name];
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
      sqs.destroy();
      await vendor.stop();
    },
  };
}
