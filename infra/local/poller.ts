/**
 * The local SQS event source mapping: for every manifest function that `consumes` a queue, long-poll
 * that queue, hand each batch to the function as an SQS event, and delete what it processed.
 * Partial batch responses are honoured (ReportBatchItemFailures): the messages it lists stay on
 * the queue, a thrown error keeps the whole batch, and an invalid response counts as a thrown error.
 * The queue's redrive policy moves a message that keeps failing to the dead-letter queue.
 */
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { QUEUES, type QueueDefinition, type QueueName } from '../resources.ts';
import { FUNCTIONS, type FunctionSpec } from '../manifest.ts';
import { errorName, type Invoker } from './invoke.ts';
import { sqsEvent } from './lambda-events.ts';

/** Long-poll wait: short enough that stopping never waits long. */
const WAIT_TIME_SECONDS = 5;
/** SQS returns at most 10 messages per receive. */
const MAX_RECEIVE = 10;
/**
 * In the cloud a failed message returns after the queue's visibility timeout (90 minutes here,
 * sized for the longest consumer run). Locally nobody waits that long to see a retry, so a failed
 * message is made visible again after a few seconds; the receive count, and so the redrive to the
 * dead-letter queue, behaves as in the cloud. A queue whose consumer needs the retry to come no
 * sooner than in the cloud says so (`retriedAfterVisibilityLocally`) and keeps its visibility timeout.
 */
export const LOCAL_RETRY_DELAY_SECONDS = 5;

/** Seconds until a failed message of `queue` is visible again locally; `override` is a test's own. */
export function localRetryDelaySeconds(queue: QueueDefinition, override?: number): number {
  if (override !== undefined) return override;
  return queue.retriedAfterVisibilityLocally === true
    ? queue.visibilityTimeoutSeconds
    : Math.min(LOCAL_RETRY_DELAY_SECONDS, queue.visibilityTimeoutSeconds);
}

export interface PollerOptions {
  readonly runtime: Invoker;
  readonly sqs: SQSClient;
  readonly queueUrls: Readonly<Record<QueueName, string>>;
  readonly functions?: readonly FunctionSpec[];
  readonly log?: (line: string) => void;
  /** Seconds until a failed message is visible again, for every queue; default `localRetryDelaySeconds`. */
  readonly retryDelaySeconds?: number;
}

export interface Poller {
  stop(): Promise<void>;
}

/**
 * The ids of the messages to keep, from the function's outcome. Lambda's rules: no
 * `batchItemFailures` (or an empty list) means all succeeded; an identifier that is empty or not in
 * the batch makes the response invalid, and then the whole batch failed.
 */
export function failedMessageIds(
  outcome: { result: unknown } | { error: unknown },
  batchIds: readonly string[],
): Set<string> {
  const all = new Set(batchIds);
  if ('error' in outcome) return all;
  const result = outcome.result;
  if (typeof result !== 'object' || result === null || !('batchItemFailures' in result)) return new Set();
  const failures = result.batchItemFailures;
  if (failures === undefined || failures === null) return new Set();
  if (!Array.isArray(failures)) return all;
  const failed = new Set<string>();
  for (const failure of failures as unknown[]) {
    const id =
      typeof failure === 'object' && failure !== null && 'itemIdentifier' in failure
        ? failure.itemIdentifier
        : undefined;
    if (typeof id !== 'string' || !all.has(id)) return all;
    failed.add(id);
  }
  return failed;
}

const entries = (messages: readonly Message[]) =>
  messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle }));

export function startPoller(options: PollerOptions): Poller {
  const { sqs, runtime } = options;
  const log = options.log ?? (() => {});
  const abort = new AbortController();
  const signal = abort.signal;

  const pause = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
    });

  async function deliver(
    fn: FunctionSpec,
    queue: QueueName,
    queueUrl: string,
    queueArn: string,
    messages: Message[],
  ): Promise<void> {
    let outcome: { result: unknown } | { error: unknown };
    try {
      outcome = { result: await runtime.invoke(fn, sqsEvent(queueArn, messages)) };
    } catch (error) {
      log(`${fn.name} failed on a batch of ${messages.length}: ${errorName(error)}`);
      outcome = { error };
    }
    const failed = failedMessageIds(
      outcome,
      messages.map((m) => m.MessageId ?? ''),
    );
    const succeeded = messages.filter((m) => !failed.has(m.MessageId ?? ''));
    const retried = messages.filter((m) => failed.has(m.MessageId ?? ''));
    if (succeeded.length > 0) {
      await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries(succeeded) }));
    }
    if (retried.length > 0) {
      const visibility = entries(retried).map((e) => ({
        ...e,
        VisibilityTimeout: localRetryDelaySeconds(QUEUES[queue], options.retryDelaySeconds),
      }));
      await sqs.send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: queueUrl, Entries: visibility }));
    }
  }

  async function consume(fn: FunctionSpec, queue: QueueName, batchSize: number): Promise<void> {
    const queueUrl = options.queueUrls[queue];
    let queueArn: string | undefined;
    while (!signal.aborted) {
      try {
        queueArn ??=
          (
            await sqs.send(
              new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
              { abortSignal: signal },
            )
          ).Attributes?.QueueArn ?? '';
        const received = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: Math.min(batchSize, MAX_RECEIVE),
            WaitTimeSeconds: WAIT_TIME_SECONDS,
            // The current name of ReceiveMessage's `AttributeNames`: ApproximateReceiveCount and friends.
            MessageSystemAttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
          { abortSignal: signal },
        );
        const messages = received.Messages ?? [];
        if (messages.length > 0) await deliver(fn, queue, queueUrl, queueArn, messages);
      } catch (error) {
        if (signal.aborted) return;
        log(`polling ${queue} for ${fn.name} failed: ${errorName(error)}`);
        await pause(1000);
      }
    }
  }

  const loops = (options.functions ?? FUNCTIONS).flatMap((fn) =>
    fn.consumes === undefined ? [] : [consume(fn, fn.consumes.queue, fn.consumes.batchSize)],
  );

  return {
    async stop() {
      abort.abort();
      await Promise.allSettled(loops);
    },
  };
}
