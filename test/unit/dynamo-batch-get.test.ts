/**
 * The shared BatchGetItem read. A stand-in client here, because DynamoDB Local never answers with
 * UnprocessedKeys (it does not throttle), so the retry path cannot be reached against the emulator;
 * the integration suites read through the same function against DynamoDB Local.
 */
import { describe, expect, test } from '@jest/globals';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { batchGetItems } from '../../shared/adapters/aws/dynamo-batch-get.ts';

interface SentGet {
  input: {
    RequestItems: Record<
      string,
      { Keys: { sk: string }[]; ConsistentRead?: boolean; ProjectionExpression?: string }
    >;
  };
}

const keysOf = (count: number) => Array.from({ length: count }, (_, i) => ({ pk: 'ORG#1', sk: `K#${i}` }));

describe('batchGetItems', () => {
  test('reads 100 keys a call, and asks again for the keys left unprocessed until none is left', async () => {
    // Prepare: every call's first key comes back unprocessed twice.
    const calls: number[] = [];
    let held = 0;
    const client = {
      send: async (command: SentGet) => {
        const { Keys } = command.input.RequestItems.records!;
        calls.push(Keys.length);
        const unprocessed = held < 2 ? Keys.slice(0, 1) : [];
        held += unprocessed.length;
        return {
          Responses: { records: Keys.slice(unprocessed.length).map((key) => ({ ...key, found: true })) },
          UnprocessedKeys: unprocessed.length === 0 ? {} : { records: { Keys: unprocessed } },
        };
      },
    } as unknown as DynamoDBDocumentClient;

    // Act
    const items = await batchGetItems(client, 'records', keysOf(150));

    // Assess: 100 + 50 keys, then the two held back, each asked again; every item once.
    expect(calls.slice(0, 2).sort()).toEqual([100, 50]);
    expect(calls.slice(2)).toEqual([1, 1]);
    expect(items.map((item) => item.sk).sort()).toEqual(
      keysOf(150)
        .map((key) => key.sk)
        .sort(),
    );
  });

  test('reads consistently by default, and passes a projection', async () => {
    const sent: SentGet[] = [];
    const client = {
      send: async (command: SentGet) => (sent.push(command), { Responses: { records: [] } }),
    } as unknown as DynamoDBDocumentClient;

    await batchGetItems(client, 'records', keysOf(1));
    await batchGetItems(client, 'records', keysOf(1), { consistent: false, projection: 'sk' });

    expect(sent.map((c) => c.input.RequestItems.records!)).toEqual([
      { Keys: keysOf(1), ConsistentRead: true },
      { Keys: keysOf(1), ConsistentRead: false, ProjectionExpression: 'sk' },
    ]);
  });

  test('gives up when keys keep coming back unprocessed', async () => {
    const client = {
      send: async (command: SentGet) => ({
        UnprocessedKeys: { records: { Keys: command.input.RequestItems.records!.Keys } },
      }),
    } as unknown as DynamoDBDocumentClient;

    await expect(batchGetItems(client, 'records', keysOf(2))).rejects.toThrow('2 reads still unprocessed');
  });
});
