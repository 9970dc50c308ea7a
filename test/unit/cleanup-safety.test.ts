/** The clean-up cycle's pure parts: the partition guard, backoff, message parsing, kinds and the time budget. */
import { describe, expect, test } from '@jest/globals';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  assertInPartition,
  backoffMs,
  deleteBatch,
  PartitionSafetyError,
} from '../../shared/adapters/aws/dynamo-batch-delete.ts';
import { kindOf } from '../../shared/adapters/aws/dynamo-tenant-sweeper.ts';
import { parseDeletionRequest } from '../../shared/ports/deletion-queue.ts';
import { budgetMs } from '../../functions/cleanup/budget.ts';

const ORG = '01JAAAAAAAAAAAAAAAAAAAAAAA';
const PK = `ORG#${ORG}`;

describe('the partition guard', () => {
  test.each([
    ['the id plus a character', `ORG#${ORG}0`],
    ['an index key of the organization', `${PK}#SUBJ#abc`],
    ['a shorter id', `ORG#${ORG.slice(0, 25)}`],
    ['a sibling sharing 25 characters', `ORG#${ORG.slice(0, 25)}B`],
    ['another table layout', 'DELETION#PENDING'],
  ])('refuses %s', (_case, pk) => {
    expect(() =>
      assertInPartition(
        [
          { pk: PK, sk: 'JOB#1' },
          { pk, sk: 'JOB#1' },
        ],
        PK,
      ),
    ).toThrow(PartitionSafetyError);
  });

  test('accepts keys of exactly the partition', () => {
    expect(() =>
      assertInPartition(
        [
          { pk: PK, sk: 'JOB#1' },
          { pk: PK, sk: 'MEMBER#u' },
        ],
        PK,
      ),
    ).not.toThrow();
  });

  test('a batch with one foreign key sends nothing', async () => {
    // Prepare
    const sent: unknown[] = [];
    const client = {
      send: async (command: unknown) => void sent.push(command),
    } as unknown as DynamoDBDocumentClient;

    // Act
    const attempt = deleteBatch(client, 'records', PK, [
      { pk: PK, sk: 'JOB#1' },
      { pk: `ORG#${ORG}0`, sk: 'JOB#1' },
    ]);

    // Assess
    await expect(attempt).rejects.toThrow(PartitionSafetyError);
    expect(sent).toEqual([]);
  });

  test('retries unprocessed deletes until none is left', async () => {
    // Prepare
    const batches: number[] = [];
    const client = {
      send: async (command: { input: { RequestItems: Record<string, unknown[]> } }) => {
        const requests = command.input.RequestItems.records!;
        batches.push(requests.length);
        return { UnprocessedItems: batches.length < 3 ? { records: requests.slice(1) } : {} };
      },
    } as unknown as DynamoDBDocumentClient;

    // Act
    await deleteBatch(
      client,
      'records',
      PK,
      [1, 2, 3].map((n) => ({ pk: PK, sk: `JOB#${n}` })),
    );

    // Assess
    expect(batches).toEqual([3, 2, 1]);
  });
});

describe('backoff', () => {
  test('grows exponentially, is capped, and is jittered from zero', () => {
    expect(backoffMs(1, () => 0.999)).toBeLessThanOrEqual(50);
    expect(backoffMs(4, () => 0.999)).toBeGreaterThan(backoffMs(2, () => 0.999));
    expect(backoffMs(30, () => 0.999)).toBeLessThanOrEqual(2000);
    expect(backoffMs(5, () => 0)).toBe(0);
  });
});

describe('deletion messages', () => {
  test.each([
    ['an organization', { kind: 'org', orgId: ORG, requestedBy: 'u1', requestedAt: '2026-01-01T00:00:00Z' }],
    ['an account', { kind: 'account', userId: 'u1', requestedAt: '2026-01-01T00:00:00Z' }],
  ])('parses %s', (_case, body) => {
    expect(parseDeletionRequest(JSON.stringify(body))).toEqual(body);
  });

  test.each([
    ['not json'],
    ['{}'],
    [JSON.stringify({ kind: 'org', orgId: '../x', requestedBy: 'u', requestedAt: '2026-01-01T00:00:00Z' })],
    [
      JSON.stringify({
        kind: 'org',
        orgId: ORG,
        requestedBy: 'u',
        requestedAt: '2026-01-01T00:00:00Z',
        extra: 1,
      }),
    ],
  ])('rejects %s as poison', (body) => {
    expect(parseDeletionRequest(body)).toBeUndefined();
  });
});

test('kinds come from the sort key', () => {
  expect(['JOB#1', 'MEMBER#u#x', 'ORG', 'EXPORT#e'].map(kindOf)).toEqual(['job', 'member', 'org', 'export']);
});

test('the budget leaves time for the last page, the checkpoint and the report', () => {
  expect(budgetMs(900_000)).toBe(840_000);
  expect(budgetMs(30_000)).toBe(20_000);
  expect(budgetMs(5_000)).toBe(0);
});
