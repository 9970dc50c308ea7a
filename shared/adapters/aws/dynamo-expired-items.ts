/**
 * Expired exports, backups and link tokens on the records table: items with an `expiresAt` (epoch
 * seconds, the table's TTL attribute) in the past. DynamoDB's TTL deletes them in the cloud, up to
 * days late and never their S3 object; this sweep deletes the object, then the item, everywhere,
 * the local stack included, where no TTL or lifecycle rule runs.
 *
 * Cost: a Scan with a filter reads the whole table (the filter saves transfer, not read units):
 * about one read unit per 8 KB scanned, once per cycle. The scan is budget-limited and resumes
 * from a stored cursor, so a large table is covered over several cycles instead of one long run.
 * A sparse GSI keyed on expiry would read only the expired items; it needs an index in
 * infra/resources.ts and the portability writers to set its keys, and is the way to go once the
 * table is large. The clean-up function needs `dynamodb:Scan` on the records table for this.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  ScanCommand,
  type DynamoDBDocumentClient,
  type ScanCommandOutput,
} from '@aws-sdk/lib-dynamodb';
import type { Budget, ExpiredItem, ExpiredItems, SweepResult } from '../../ports/tenant-sweeper.ts';
import { EXPIRY_SCAN_KEY } from './deletion-keys.ts';
import { guarded, mapDynamoError } from './dynamo-errors.ts';

const PAGE_SIZE = 1000;

export class DynamoExpiredItems implements ExpiredItems {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async scanExpired(
    now: Date,
    budget: Budget,
    onPage: (items: readonly ExpiredItem[]) => Promise<void>,
  ): Promise<SweepResult> {
    const cursor = await guarded(
      this.client.send(new GetCommand({ TableName: this.table, Key: EXPIRY_SCAN_KEY, ConsistentRead: true })),
    );
    let start = cursor.Item?.cursor as Record<string, unknown> | undefined;
    const nowSeconds = Math.floor(now.getTime() / 1000);
    for (;;) {
      if (!budget.remaining()) {
        if (start !== undefined)
          await guarded(
            this.client.send(
              new PutCommand({ TableName: this.table, Item: { ...EXPIRY_SCAN_KEY, cursor: start } }),
            ),
          );
        return { complete: false };
      }
      const page: ScanCommandOutput = await guarded(
        this.client.send(
          new ScanCommand({
            TableName: this.table,
            FilterExpression: 'expiresAt <= :now',
            ProjectionExpression: 'pk, sk, fileKey, expiresAt',
            ExpressionAttributeValues: { ':now': nowSeconds },
            Limit: PAGE_SIZE,
            ExclusiveStartKey: start,
          }),
        ),
      );
      const items = (page.Items ?? []).flatMap((item): ExpiredItem[] => {
        const pk = item.pk;
        const sk = item.sk;
        // Only tenant items expire through here; anything else with an expiresAt is not ours to judge.
        if (
          typeof pk !== 'string' ||
          typeof sk !== 'string' ||
          !pk.startsWith('ORG#') ||
          typeof item.expiresAt !== 'number'
        )
          return [];
        return [
          {
            orgId: pk.slice(4),
            key: { pk, sk },
            fileKey: typeof item.fileKey === 'string' ? item.fileKey : undefined,
            expiresAt: item.expiresAt,
          },
        ];
      });
      if (items.length > 0) await onPage(items);
      start = page.LastEvaluatedKey;
      if (start === undefined) {
        if (cursor.Item !== undefined)
          await guarded(this.client.send(new DeleteCommand({ TableName: this.table, Key: EXPIRY_SCAN_KEY })));
        return { complete: true };
      }
    }
  }

  async deleteExpired(item: ExpiredItem, now: Date): Promise<void> {
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.table,
          Key: item.key,
          ConditionExpression: 'expiresAt <= :now',
          ExpressionAttributeValues: { ':now': Math.floor(now.getTime() / 1000) },
        }),
      );
    } catch (error) {
      // Gone already, or its expiry was extended since the scan: either way not ours to delete.
      if (!(error instanceof ConditionalCheckFailedException)) throw mapDynamoError(error);
    }
  }
}
