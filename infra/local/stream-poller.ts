/**
 * The local DynamoDB stream event source mapping: for every manifest function that `streams` a
 * table, read that table's stream (DynamoDB Local serves DynamoDB Streams) shard by shard from the
 * oldest record kept, and hand batches to the function as DynamoDB stream events, in order. It
 * keeps Lambda's cadence: each shard is polled 4 times a second, and records are gathered until
 * the batch is full or the mapping's batching window has passed since the first of them (the
 * manifest's `batchSize` and `batchingWindowSeconds`, which the CDK mapping is given too), one batch
 * per shard at a time (a parallelization factor of 1). As Lambda does, a batch whose invocation
 * fails is retried, and the shard waits behind it; after `maxRetries` it is dropped with a log line
 * where the cloud sends it to the on-failure queue.
 */
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type DynamoDBStreamsClient,
  type _Record as StreamRecord,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import type { TableName } from '../resources.ts';
import { FUNCTIONS, type FunctionSpec, type StreamConsumerSpec } from '../manifest.ts';
import { errorName, type Invoker } from './invoke.ts';
import { LOCAL_REGION } from './lambda-events.ts';

/** Lambda polls each shard of a DynamoDB stream at a base rate of 4 times a second. */
const POLL_MS = 250;
/**
 * A write shows in DynamoDB Local's stream a moment after it returns: caughtUp() waits for an idle
 * pass that began at least this long after it was called.
 */
const STREAM_DELAY_MS = 1_500;
/** How often new shards are looked for. */
const SHARD_REFRESH_MS = 5_000;
/** Errors after which a shard's iterator is taken again. */
const ITERATOR_LOST = new Set(['ExpiredIteratorException', 'TrimmedDataAccessException']);
/** Pause before a failed batch is retried (the cloud backs off too). */
const RETRY_DELAY_MS = 500;

export interface StreamPollerOptions {
  readonly runtime: Invoker;
  readonly dynamodb: DynamoDBClient;
  readonly streams: DynamoDBStreamsClient;
  readonly tableNames: Readonly<Record<TableName, string>>;
  readonly functions?: readonly FunctionSpec[];
  readonly log?: (line: string) => void;
  /**
   * Where a shard is first read: `oldest` (default, as an event source mapping at TRIM_HORIZON:
   * nothing appended while the stack was down is missed) or `latest` (tests that must not replay
   * the records of the tests before them).
   */
  readonly startAt?: 'oldest' | 'latest';
}

export interface StreamPoller {
  /** Resolves once every record written to the streams before the call has been handed over. */
  caughtUp(): Promise<void>;
  stop(): Promise<void>;
}

/** The event Lambda's event source mapping hands a function for these stream records. */
export function dynamodbStreamEvent(
  streamArn: string,
  records: readonly StreamRecord[],
): DynamoDBStreamEvent {
  return {
    Records: records.map((record) => ({
      eventID: record.eventID,
      eventName: record.eventName,
      eventVersion: record.eventVersion ?? '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: LOCAL_REGION,
      eventSourceARN: streamArn,
      dynamodb: {
        ...(record.dynamodb?.Keys === undefined ? {} : { Keys: record.dynamodb.Keys }),
        ...(record.dynamodb?.NewImage === undefined ? {} : { NewImage: record.dynamodb.NewImage }),
        ...(record.dynamodb?.SequenceNumber === undefined
          ? {}
          : { SequenceNumber: record.dynamodb.SequenceNumber }),
        ...(record.dynamodb?.SizeBytes === undefined ? {} : { SizeBytes: record.dynamodb.SizeBytes }),
        ...(record.dynamodb?.StreamViewType === undefined
          ? {}
          : { StreamViewType: record.dynamodb.StreamViewType }),
        ...(record.dynamodb?.ApproximateCreationDateTime === undefined
          ? {}
          : { ApproximateCreationDateTime: record.dynamodb.ApproximateCreationDateTime.getTime() / 1000 }),
      },
    })) as DynamoDBStreamEvent['Records'],
  };
}

export function startStreamPoller(options: StreamPollerOptions): StreamPoller {
  const log = options.log ?? (() => {});
  const abort = new AbortController();
  const signal = abort.signal;
  /** Callers of caughtUp(), each waiting for an idle pass that began long enough after its call. */
  const idleWaiters: { since: number; resolve: () => void }[] = [];

  // Paced 4 times a second: each pause takes its abort listener away again, or they would pile up.
  const pause = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const stop = (): void => (clearTimeout(timer), resolve());
      const timer = setTimeout(() => (signal.removeEventListener('abort', stop), resolve()), Math.max(0, ms));
      signal.addEventListener('abort', stop, { once: true });
    });

  async function deliver(
    fn: FunctionSpec,
    spec: StreamConsumerSpec,
    streamArn: string,
    records: StreamRecord[],
  ): Promise<void> {
    for (let attempt = 0; !signal.aborted; attempt += 1) {
      try {
        await options.runtime.invoke(fn, dynamodbStreamEvent(streamArn, records));
        return;
      } catch (error) {
        log(`${fn.name} failed on ${records.length} stream records: ${errorName(error)}`);
        if (attempt >= spec.maxRetries) {
          log(
            `${fn.name}: ${records.length} stream records dropped after ${spec.maxRetries} retries (the cloud sends them to the on-failure queue)`,
          );
          return;
        }
        await pause(RETRY_DELAY_MS);
      }
    }
  }

  async function consume(fn: FunctionSpec, spec: StreamConsumerSpec): Promise<void> {
    let streamArn: string | undefined;
    const iterators = new Map<string, string>();
    /** The last record handed over per shard, to resume after an iterator expired. */
    const lastSequence = new Map<string, string>();
    const finished = new Set<string>();
    /** `latest`: shards still being read up to their end at start, without handing anything over. */
    const skipping = new Set<string>();
    /** Records gathered per shard for the next batch, and when the first of them was read. */
    const pending = new Map<string, { records: StreamRecord[]; since: number }>();
    const windowMs = spec.batchingWindowSeconds * 1000;
    let refreshedAt = 0;
    let firstRefresh = true;
    while (!signal.aborted) {
      const passStarted = Date.now();
      try {
        streamArn ??= (
          await options.dynamodb.send(
            new DescribeTableCommand({ TableName: options.tableNames[spec.table] }),
            { abortSignal: signal },
          )
        ).Table?.LatestStreamArn;
        if (streamArn === undefined) throw new Error(`table ${spec.table} has no stream`);
        if (Date.now() - refreshedAt > SHARD_REFRESH_MS) {
          const { StreamDescription } = await options.streams.send(
            new DescribeStreamCommand({ StreamArn: streamArn }),
            { abortSignal: signal },
          );
          for (const shard of StreamDescription?.Shards ?? []) {
            const id = shard.ShardId;
            if (id === undefined || iterators.has(id) || finished.has(id)) continue;
            // `latest` reads from the oldest record too, skipping up to the end: a LATEST iterator has
            // no position to resume from once DynamoDB Local trims it.
            const after = lastSequence.get(id);
            const position =
              after !== undefined
                ? ({ ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: after } as const)
                : ({ ShardIteratorType: 'TRIM_HORIZON' } as const);
            if (after === undefined && options.startAt === 'latest' && firstRefresh) skipping.add(id);
            const { ShardIterator } = await options.streams.send(
              new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: id, ...position }),
              { abortSignal: signal },
            );
            if (ShardIterator !== undefined) iterators.set(id, ShardIterator);
          }
          refreshedAt = Date.now();
          firstRefresh = false;
        }
        let busy = false;
        let full = false;
        for (const [shardId, iterator] of iterators) {
          const gathered = pending.get(shardId) ?? { records: [], since: Date.now() };
          const page = await options.streams.send(
            new GetRecordsCommand({
              ShardIterator: iterator,
              Limit: spec.batchSize - gathered.records.length,
            }),
            { abortSignal: signal },
          );
          const records = page.Records ?? [];
          if (records.length === 0) skipping.delete(shardId);
          else {
            if (!skipping.has(shardId)) {
              if (gathered.records.length === 0) gathered.since = Date.now();
              gathered.records.push(...records);
              pending.set(shardId, gathered);
            }
            const last = records.at(-1)?.dynamodb?.SequenceNumber;
            if (last !== undefined) lastSequence.set(shardId, last);
          }
          if (page.NextShardIterator === undefined) {
            iterators.delete(shardId);
            finished.add(shardId);
          } else iterators.set(shardId, page.NextShardIterator);
          // A full batch, a window passed, or a shard that ended: the batch goes as it is.
          const batch = pending.get(shardId);
          if (batch !== undefined && batch.records.length > 0) {
            busy = true;
            const isFull = batch.records.length >= spec.batchSize;
            full ||= isFull;
            if (isFull || Date.now() - batch.since >= windowMs || finished.has(shardId)) {
              pending.delete(shardId);
              await deliver(fn, spec, streamArn, batch.records);
            }
          }
        }
        if (!busy && skipping.size === 0) {
          for (const waiter of idleWaiters.splice(0)) {
            if (passStarted - waiter.since >= STREAM_DELAY_MS) waiter.resolve();
            else idleWaiters.push(waiter);
          }
        }
        // A shard that filled a batch is read again at once, as Lambda does while it catches up.
        if (!full) await pause(POLL_MS - (Date.now() - passStarted));
      } catch (error) {
        if (signal.aborted) return;
        if (error instanceof Error && ITERATOR_LOST.has(error.name)) {
          // Iterators expire (15 minutes in the cloud, sooner in DynamoDB Local): take new ones,
          // after the last record handed over.
          iterators.clear();
          refreshedAt = 0;
          continue;
        }
        log(`reading the ${spec.table} stream for ${fn.name} failed: ${errorName(error)}`);
        await pause(1000);
      }
    }
  }

  const loops = (options.functions ?? FUNCTIONS).flatMap((fn) =>
    fn.streams === undefined ? [] : [consume(fn, fn.streams)],
  );

  return {
    caughtUp() {
      return new Promise((resolve) => idleWaiters.push({ since: Date.now(), resolve }));
    },
    async stop() {
      abort.abort();
      for (const waiter of idleWaiters.splice(0)) waiter.resolve();
      await Promise.allSettled(loops);
    },
  };
}
