/**
 * Reading many items of one table by key: BatchGetItem with 100 keys a call (the API's limit), the
 * calls of one read at once, and the keys DynamoDB leaves unprocessed (under throttling) asked again
 * with capped exponential backoff and full jitter, as the SDK retries throttling. Items that do not
 * exist are simply absent from the answer.
 */
import { BatchGetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { backoffMs } from './dynamo-batch-delete.ts';
import { guarded } from './dynamo-errors.ts';

export const BATCH_GET_LIMIT = 100;
const MAX_ATTEMPTS = 8;

export interface BatchGetOptions {
  /** Strongly consistent reads (the default); false for eventually consistent ones, at half the cost. */
  readonly consistent?: boolean;
  /** Only these attributes (a projection; the read costs the same). */
  readonly projection?: string;
}

export async function batchGetItems(
  client: DynamoDBDocumentClient,
  table: string,
  keys: readonly Record<string, unknown>[],
  options: BatchGetOptions = {},
): Promise<Record<string, unknown>[]> {
  const chunks: Record<string, unknown>[][] = [];
  for (let i = 0; i < keys.length; i += BATCH_GET_LIMIT) chunks.push(keys.slice(i, i + BATCH_GET_LIMIT));
  const pages = await Promise.all(chunks.map((chunk) => getChunk(client, table, chunk, options)));
  return pages.flat();
}

async function getChunk(
  client: DynamoDBDocumentClient,
  table: string,
  keys: Record<string, unknown>[],
  options: BatchGetOptions,
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let pending = keys;
  for (let attempt = 0; pending.length > 0; attempt += 1) {
    if (attempt >= MAX_ATTEMPTS)
      throw new Error(`${pending.length} reads still unprocessed after ${MAX_ATTEMPTS} attempts`);
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, backoffMs(attempt)));
    const result = await guarded(
      client.send(
        new BatchGetCommand({
          RequestItems: {
            [table]: {
              Keys: pending,
              ConsistentRead: options.consistent ?? true,
              ...(options.projection === undefined ? {} : { ProjectionExpression: options.projection }),
            },
          },
        }),
      ),
    );
    items.push(...(result.Responses?.[table] ?? []));
    pending = result.UnprocessedKeys?.[table]?.Keys ?? [];
  }
  return items;
}
