/**
 * The tables as stored, read around our adapters: for assertions on what actually lands in
 * DynamoDB (ciphertext instead of plaintext, nothing left after an erasure, audit events written).
 * Tests share the tables, so filter by your own organization's partition.
 */
import { DynamoDBClient, paginateQuery, paginateScan, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, paginateScan as paginateDocumentScan } from '@aws-sdk/lib-dynamodb';
import { TABLES, type TableName } from '../../infra/resources.ts';

export type RawItem = Record<string, AttributeValue>;

let client: DynamoDBClient | undefined;
let documentClient: DynamoDBDocumentClient | undefined;

/** Region, credentials and endpoint come from the environment the global setup prepared. */
function dynamodb(): DynamoDBClient {
  client ??= new DynamoDBClient({});
  return client;
}

function documents(): DynamoDBDocumentClient {
  documentClient ??= DynamoDBDocumentClient.from(dynamodb());
  return documentClient;
}

function tableName(table: TableName): string {
  const name = process.env[TABLES[table].envVar];
  if (name === undefined) throw new Error(`${TABLES[table].envVar} is not set: the global setup did not run`);
  return name;
}

/** Every item of the table, as DynamoDB attribute values. */
export async function scanTableRaw(table: TableName): Promise<RawItem[]> {
  const items: RawItem[] = [];
  for await (const page of paginateScan(
    { client: dynamodb() },
    { TableName: tableName(table), ConsistentRead: true },
  )) {
    items.push(...(page.Items ?? []));
  }
  return items;
}

/** Every item of the table, unmarshalled (binary attributes become Uint8Array). */
export async function scanTable(table: TableName): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  for await (const page of paginateDocumentScan(
    { client: documents() },
    { TableName: tableName(table), ConsistentRead: true },
  )) {
    items.push(...(page.Items ?? []));
  }
  return items;
}

/** Every item under one partition key (e.g. an organization's partition), as stored. */
export async function partitionRaw(table: TableName, partitionKey: string): Promise<RawItem[]> {
  const definition = TABLES[table];
  const items: RawItem[] = [];
  const pages = paginateQuery(
    { client: dynamodb() },
    {
      TableName: tableName(table),
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': definition.partitionKey },
      ExpressionAttributeValues: { ':pk': { S: partitionKey } },
      ConsistentRead: true,
    },
  );
  for await (const page of pages) items.push(...(page.Items ?? []));
  return items;
}
