/**
 * Deleting many items of one partition, and nothing outside it: BatchWriteItem with 25 keys a call
 * (the API's limit), UnprocessedItems retried with capped exponential backoff and full jitter, and
 * a bound on the calls in flight. Every key is checked against the partition it must lie in right
 * before the call that deletes it, so no bug upstream (a wrong query, a mixed-up page) can reach
 * a neighbour's data.
 */
import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { guarded } from './dynamo-errors.ts';

export const BATCH_WRITE_LIMIT = 25;
const MAX_ATTEMPTS = 10;
const BASE_DELAY_MS = 25;
const MAX_DELAY_MS = 2000;

export interface ItemKey {
  readonly pk: string;
  readonly sk: string;
}

/** A key about to be deleted lies outside the partition being erased: the sweep stops at once. */
export class PartitionSafetyError extends Error {
  override readonly name = 'PartitionSafetyError';
  constructor() {
    // No key in the message: it would carry ids into the logs for nothing.
    super('Refusing to delete a key outside the partition being erased');
  }
}

/** Throws unless every key's partition key is exactly `partitionKey` (not a prefix, not a superstring). */
export function assertInPartition(keys: readonly ItemKey[], partitionKey: string): void {
  for (const key of keys) {
    if (typeof key.pk !== 'string' || key.pk !== partitionKey) throw new PartitionSafetyError();
  }
}

/** Capped exponential backoff with full jitter (AWS architecture blog, "Exponential Backoff And Jitter"). */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  return Math.floor(random() * Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** attempt));
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** At most `limit` tasks run at once; the others wait their turn in order. */
export class Limiter {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running += 1;
    try {
      return await task();
    } finally {
      this.running -= 1;
      this.waiting.shift()?.();
    }
  }
}

/** Deletes up to 25 keys of `partitionKey`, retrying what DynamoDB left unprocessed. */
export async function deleteBatch(
  client: DynamoDBDocumentClient,
  table: string,
  partitionKey: string,
  keys: readonly ItemKey[],
): Promise<void> {
  if (keys.length > BATCH_WRITE_LIMIT) throw new Error(`A batch deletes at most ${BATCH_WRITE_LIMIT} keys`);
  assertInPartition(keys, partitionKey);
  let requests = keys.map((key) => ({ DeleteRequest: { Key: { pk: key.pk, sk: key.sk } } }));
  for (let attempt = 0; requests.length > 0; attempt += 1) {
    if (attempt >= MAX_ATTEMPTS)
      throw new Error(`${requests.length} deletes still unprocessed after ${MAX_ATTEMPTS} attempts`);
    if (attempt > 0) await sleep(backoffMs(attempt));
    const output = await guarded(client.send(new BatchWriteCommand({ RequestItems: { [table]: requests } })));
    requests = (output.UnprocessedItems?.[table] ?? []).flatMap((request) => {
      const key = request.DeleteRequest?.Key as ItemKey | undefined;
      return key === undefined ? [] : [{ DeleteRequest: { Key: { pk: key.pk, sk: key.sk } } }];
    });
  }
}

/**
 * Deletes `keys` (any number) in batches of 25 through `limiter`. Resolves with the keys deleted,
 * or rejects after every batch settled, carrying the keys that were deleted (so a caller can
 * still count them) as `deleted` on the error.
 */
export async function deleteKeys(
  client: DynamoDBDocumentClient,
  table: string,
  partitionKey: string,
  keys: readonly ItemKey[],
  limiter: Limiter,
): Promise<readonly ItemKey[]> {
  assertInPartition(keys, partitionKey);
  const batches: ItemKey[][] = [];
  for (let i = 0; i < keys.length; i += BATCH_WRITE_LIMIT) batches.push(keys.slice(i, i + BATCH_WRITE_LIMIT));
  const settled = await Promise.allSettled(
    batches.map((batch) => limiter.run(() => deleteBatch(client, table, partitionKey, batch))),
  );
  const deleted = batches.filter((_, i) => settled[i]?.status === 'fulfilled').flat();
  const failure = settled.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failure !== undefined) throw new PartialDeleteError(failure.reason, deleted);
  return deleted;
}

/** Some batches of a page failed; `deleted` are the keys that are gone nonetheless. */
export class PartialDeleteError extends Error {
  override readonly name = 'PartialDeleteError';
  constructor(
    override readonly cause: unknown,
    readonly deleted: readonly ItemKey[],
  ) {
    super('Some deletes of a page failed');
  }
}
