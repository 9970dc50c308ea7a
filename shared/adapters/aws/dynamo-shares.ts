/**
 * ShareStore on the records table, in the organization's partition (swept with it):
 *
 *   ORG#<org>  SHARE#<jobId>#<shareId>                          one share of a job with an extension (field ids, outcome)
 *   ORG#<org>  SHARE#<jobId>#NOTICE#<noticeId>#<extensionId>    one notice about the job to an extension, with its state
 *   ORG#<org>  SHARED#<jobId>                                   the job was offered to an extension at least once
 *
 * So one Query per job reads who received it and what they were told (ULIDs sort before `NOTICE`).
 * Share ids are ULIDs, so a job's records come back oldest first from one Query. A record outlives
 * its job's erasure on purpose: it holds no personal value, and it is what tells who received the
 * data before (Art. 19).
 */
import {
  BatchGetCommand,
  BatchWriteCommand,
  type BatchGetCommandOutput,
  DeleteCommand,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import type { NoticeBatch, RecipientNotice } from '../../ports/notice-queue.ts';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { NotFoundError } from '../../domain/errors.ts';
import type { AuditEntry } from '../../ports/audit.ts';
import type {
  NoticeRecord,
  NoticeState,
  RecipientRecords,
  ShareRecord,
  ShareStore,
} from '../../ports/shares.ts';
import type { AuditedWriter } from './audited-writer.ts';
import { guarded } from './dynamo-errors.ts';
import { ORG_SK, orgPk, stripKeys } from './records-keys.ts';
import { NOTICE_OUTBOX_PK, noticeOutboxKey } from './notice-outbox.ts';
import { commitAudited, orgIsActive, queryPages, queryPartition } from './records-table-ops.ts';

export const shareSk = (jobId: string, shareId: string): string => `SHARE#${jobId}#${shareId}`;
const noticeSk = (jobId: string, noticeId: string, extensionId: string): string =>
  `SHARE#${jobId}#NOTICE#${noticeId}#${extensionId}`;
/** Sorts after every `SHARE#<jobId>#…` record, so the Query of a job's records does not read it. */
const sharedMarkerSk = (jobId: string): string => `SHARED#${jobId}`;
const KIND = 'share';
const NOTICE_KIND = 'notice';
const BATCH_WRITE = 25;
const BATCH_GET = 100;

export class DynamoShares implements ShareStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly writer: AuditedWriter,
  ) {}

  /**
   * The pending record, and the organization and the job marked as shared (changes look up
   * recipients from then on: the organization's marker says whether to look, the job's which jobs).
   */
  async begin(record: ShareRecord): Promise<void> {
    await guarded(
      this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.table,
                Item: this.item(record),
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            {
              Put: {
                TableName: this.table,
                Item: { pk: orgPk(record.orgId), sk: sharedMarkerSk(record.jobId), kind: 'shared-job' },
              },
            },
            {
              Update: {
                TableName: this.table,
                Key: { pk: orgPk(record.orgId), sk: ORG_SK },
                UpdateExpression: 'SET firstShareAt = if_not_exists(firstShareAt, :at)',
                ConditionExpression: 'attribute_exists(pk)',
                ExpressionAttributeValues: { ':at': record.at },
              },
            },
          ],
        }),
      ),
    );
  }

  async settle(record: ShareRecord, audit: AuditEntry): Promise<void> {
    await commitAudited(
      this.writer,
      [{ Put: { TableName: this.table, Item: this.item(record) } }, orgIsActive(this.table, record.orgId)],
      audit,
      () => new NotFoundError('organization'),
    );
  }

  async ofJobs(orgId: string, jobIds: readonly string[]): Promise<RecipientRecords> {
    const items = (
      await Promise.all(
        [...new Set(jobIds)].map((jobId) =>
          queryPartition(this.client, this.table, orgId, `SHARE#${jobId}#`),
        ),
      )
    ).flat();
    return {
      shares: items.filter((item) => item.kind === KIND).map((item) => stripKeys<ShareRecord>(item)),
      notices: items
        .filter((item) => item.kind === NOTICE_KIND)
        .map((item) => stripKeys<NoticeRecord & { orgId: string }>(item))
        .map(({ orgId: _org, ...notice }) => notice),
    };
  }

  async sharedAmong(orgId: string, jobIds: readonly string[]): Promise<string[]> {
    const unique = [...new Set(jobIds)];
    const shared: string[] = [];
    for (let start = 0; start < unique.length; start += BATCH_GET) {
      let keys: Record<string, unknown>[] | undefined = unique
        .slice(start, start + BATCH_GET)
        .map((jobId) => ({ pk: orgPk(orgId), sk: sharedMarkerSk(jobId) }));
      // Unprocessed keys are asked again until none is left (DynamoDB's advice; throttling is brief).
      while (keys !== undefined && keys.length > 0) {
        const answer: BatchGetCommandOutput = await guarded(
          this.client.send(
            new BatchGetCommand({
              RequestItems: {
                [this.table]: { Keys: keys, ProjectionExpression: 'sk', ConsistentRead: true },
              },
            }),
          ),
        );
        for (const item of answer.Responses?.[this.table] ?? [])
          shared.push(String(item.sk).slice('SHARED#'.length));
        keys = answer.UnprocessedKeys?.[this.table]?.Keys;
      }
    }
    return shared;
  }

  async *sharesOfOrg(orgId: string): AsyncGenerator<ShareRecord[]> {
    for await (const page of queryPages(this.client, {
      TableName: this.table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      FilterExpression: '#kind = :kind',
      ExpressionAttributeNames: { '#kind': 'kind' },
      ExpressionAttributeValues: { ':pk': orgPk(orgId), ':prefix': 'SHARE#', ':kind': KIND },
      ConsistentRead: true,
    }))
      yield (page.Items ?? []).map((item) => stripKeys<ShareRecord>(item));
  }

  async batchesBefore(before: string, limit: number): Promise<NoticeBatch[]> {
    const { Items = [] } = await guarded(
      this.client.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk AND sk < :before',
          ExpressionAttributeValues: { ':pk': NOTICE_OUTBOX_PK, ':before': before },
          ConsistentRead: true,
          Limit: limit,
        }),
      ),
    );
    return Items.map((item) => stripKeys<NoticeBatch>(item));
  }

  async clearBatch(batch: NoticeBatch): Promise<void> {
    await guarded(
      this.client.send(new DeleteCommand({ TableName: this.table, Key: noticeOutboxKey(batch) })),
    );
  }

  async recordNotices(notices: readonly RecipientNotice[]): Promise<void> {
    const puts = notices.flatMap((notice) =>
      notice.jobIds.map((jobId) => {
        const record: NoticeRecord = {
          noticeId: notice.noticeId,
          extensionId: notice.extensionId,
          jobId,
          event: notice.event,
          fields: notice.fields,
          at: notice.at,
          state: 'pending',
          attempts: 0,
          updatedAt: notice.at,
        };
        return {
          PutRequest: {
            Item: {
              pk: orgPk(notice.orgId),
              sk: noticeSk(jobId, notice.noticeId, notice.extensionId),
              kind: NOTICE_KIND,
              orgId: notice.orgId,
              ...record,
            },
          },
        };
      }),
    );
    for (let start = 0; start < puts.length; start += BATCH_WRITE) {
      let pending: Record<string, (typeof puts)[number][]> | undefined = {
        [this.table]: puts.slice(start, start + BATCH_WRITE),
      };
      // Unprocessed items are sent again until none is left (DynamoDB's advice; throttling is brief).
      while (pending !== undefined && (pending[this.table]?.length ?? 0) > 0) {
        const answer = await guarded(this.client.send(new BatchWriteCommand({ RequestItems: pending })));
        pending = answer.UnprocessedItems as typeof pending;
      }
    }
  }

  async noticeState(notice: RecipientNotice): Promise<NoticeState | undefined> {
    const jobId = notice.jobIds[0];
    if (jobId === undefined) return undefined;
    const { Item } = await guarded(
      this.client.send(
        new GetCommand({
          TableName: this.table,
          Key: { pk: orgPk(notice.orgId), sk: noticeSk(jobId, notice.noticeId, notice.extensionId) },
          ConsistentRead: true,
        }),
      ),
    );
    return Item?.state as NoticeState | undefined;
  }

  async settleNotice(notice: RecipientNotice, state: 'delivered' | 'failed', at: string): Promise<void> {
    await Promise.all(
      notice.jobIds.map((jobId) =>
        guarded(
          this.client.send(
            new UpdateCommand({
              TableName: this.table,
              Key: { pk: orgPk(notice.orgId), sk: noticeSk(jobId, notice.noticeId, notice.extensionId) },
              UpdateExpression: 'SET #state = :state, updatedAt = :at ADD attempts :one',
              // Only recorded notices (an erased organization's partition is not recreated), and `delivered` is final.
              ConditionExpression: 'attribute_exists(pk) AND #state <> :delivered',
              ExpressionAttributeNames: { '#state': 'state' },
              ExpressionAttributeValues: { ':state': state, ':at': at, ':one': 1, ':delivered': 'delivered' },
            }),
          ),
        ).catch((error: unknown) => {
          if (!(error instanceof ConditionalCheckFailedException)) throw error;
        }),
      ),
    );
  }

  private item(record: ShareRecord): Record<string, unknown> {
    return { pk: orgPk(record.orgId), sk: shareSk(record.jobId, record.shareId), kind: KIND, ...record };
  }
}
