/** Building blocks every records-table adapter shares. */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  GetCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
  type QueryCommandInput,
  type QueryCommandOutput,
} from '@aws-sdk/lib-dynamodb';
import type { AuditEntry } from '../../ports/audit.ts';
import type { PagePosition } from '../../ports/page.ts';
import { ConditionFailed, type AuditedWriter, type WriteOp } from './audited-writer.ts';
import { guarded, mapDynamoError } from './dynamo-errors.ts';
import { GSI_BY_USER, ORG_SK, orgPk } from './records-keys.ts';

/** A transaction condition: the organization exists and is active (not pending deletion). */
export function orgIsActive(table: string, orgId: string): WriteOp {
  return {
    ConditionCheck: {
      TableName: table,
      Key: { pk: orgPk(orgId), sk: ORG_SK },
      ConditionExpression: '#status = :active',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':active': 'active' },
    },
  };
}

/**
 * Commits `ops` with the audit event; when one of `ops` had its condition fail, throws what
 * `onConditionFailed` makes of its index (nothing was written).
 */
export async function commitAudited(
  writer: AuditedWriter,
  ops: readonly WriteOp[],
  audit: AuditEntry,
  onConditionFailed: (index: number) => Error,
): Promise<void> {
  try {
    await writer.commit(ops, audit.draft, audit.actor);
  } catch (error) {
    if (error instanceof ConditionFailed) throw onConditionFailed(error.index);
    throw error;
  }
}

/** A LastEvaluatedKey handed out through a port: opaque to the caller, which only gives it back. */
export function pagePosition(key: Record<string, unknown> | undefined): PagePosition | undefined {
  return key as PagePosition | undefined;
}

/** The pages of a query, following LastEvaluatedKey to the end. */
export async function* queryPages(
  client: DynamoDBDocumentClient,
  input: QueryCommandInput,
): AsyncGenerator<QueryCommandOutput> {
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await guarded(client.send(new QueryCommand({ ...input, ExclusiveStartKey })));
    yield page;
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey !== undefined);
}

/** The items of a query as its pages arrive (flat memory for long partitions). */
export async function* queryItems(
  client: DynamoDBDocumentClient,
  input: QueryCommandInput,
): AsyncGenerator<Record<string, unknown>> {
  for await (const page of queryPages(client, input)) yield* page.Items ?? [];
}

/**
 * Every item of a query, collected. For the small, bounded collections of an organization
 * (members, roles, orchestrations, extensions); long lists page to the caller.
 */
export async function queryAll(
  client: DynamoDBDocumentClient,
  input: QueryCommandInput,
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  for await (const item of queryItems(client, input)) items.push(item);
  return items;
}

/** One item of an organization's partition by its sort key, read consistently (keys and all). */
export async function getOrgItem(
  client: DynamoDBDocumentClient,
  table: string,
  orgId: string,
  sk: string,
): Promise<Record<string, unknown> | undefined> {
  const { Item } = await guarded(
    client.send(new GetCommand({ TableName: table, Key: { pk: orgPk(orgId), sk }, ConsistentRead: true })),
  );
  return Item;
}

/**
 * The item of `kind` that gsi1 (the by-user index) lists under `gsi1pk` — a link or a request
 * looked up by its hash or id alone — as the index holds it. The index is eventually consistent:
 * callers read the item itself (getOrgItem) for its current state.
 */
export async function findOnUserIndex(
  client: DynamoDBDocumentClient,
  table: string,
  gsi1pk: string,
  kind: string,
): Promise<Record<string, unknown> | undefined> {
  const page = await guarded(
    client.send(
      new QueryCommand({
        TableName: table,
        IndexName: GSI_BY_USER,
        KeyConditionExpression: 'gsi1pk = :pk',
        ExpressionAttributeValues: { ':pk': gsi1pk },
        Limit: 1,
      }),
    ),
  );
  const found = page.Items?.[0];
  return found?.kind === kind ? found : undefined;
}

/** The items of an organization's partition whose sort key starts with `prefix`. */
export function queryPartition(
  client: DynamoDBDocumentClient,
  table: string,
  orgId: string,
  prefix: string,
): Promise<Record<string, unknown>[]> {
  return queryAll(client, {
    TableName: table,
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: { ':pk': orgPk(orgId), ':prefix': prefix },
    ConsistentRead: true,
  });
}

/**
 * Takes one try from a counter on an item (a download password, a verification code), counted
 * before the check so parallel guesses cannot exceed `max`: the tries used so far, or 'locked'
 * when they are spent or the item is gone.
 */
export async function reserveTry(
  client: DynamoDBDocumentClient,
  table: string,
  key: Record<string, string>,
  counter: string,
  max: number,
): Promise<number | 'locked'> {
  try {
    const { Attributes } = await client.send(
      new UpdateCommand({
        TableName: table,
        Key: key,
        UpdateExpression: 'SET #tries = #tries + :one',
        ConditionExpression: 'attribute_exists(pk) AND #tries < :max',
        ExpressionAttributeNames: { '#tries': counter },
        ExpressionAttributeValues: { ':one': 1, ':max': max },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return Number(Attributes?.[counter]);
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return 'locked';
    throw mapDynamoError(error);
  }
}

/** Gives back a try `reserveTry` took (the right secret was given); nothing if the item is gone. */
export async function releaseTry(
  client: DynamoDBDocumentClient,
  table: string,
  key: Record<string, string>,
  counter: string,
): Promise<void> {
  try {
    await client.send(
      new UpdateCommand({
        TableName: table,
        Key: key,
        UpdateExpression: 'SET #tries = #tries - :one',
        ConditionExpression: 'attribute_exists(pk) AND #tries > :zero',
        ExpressionAttributeNames: { '#tries': counter },
        ExpressionAttributeValues: { ':one': 1, ':zero': 0 },
      }),
    );
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw mapDynamoError(error);
  }
}
