/**
 * ShareStore on the records table, in the organization's partition (swept with it):
 *
 *   ORG#<org>  SHARE#<jobId>#<shareId>                          one share of a job with an extension (field ids, outcome)
 *   ORG#<org>  SHARE#<jobId>#NOTICE#<noticeId>#<extensionId>    one notice about the job to an extension, with its state
 *
 * So one Query per job reads who received it and what they were told (ULIDs sort before `NOTICE`).
 * Share ids are ULIDs, so a job's records come back oldest first from one Query. A record outlives
 * its job's erasure on purpose: it holds no personal value, and it is what tells who received the
 * data before (Art. 19).
 */
import {
  BatchWriteCommand,
  GetCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import type { RecipientNotice } from '../../ports/notice-queue.ts';
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
import { commitAudited, orgIsActive, queryPartition } from './records-table-ops.ts';

export const shareSk = (jobId: string, shareId: string): string => `SHARE#${jobId}#${shareId}`;
const noticeSk = (jobId: string, noticeId: string, extensionId: string): string =>
  `SHARE#${jobId}#NOTICE#${noticeId}#${extensionId}`;
const KIND = 'share';
const NOTICE_KIND = 'notice';
const BATCH_WRITE = 25;

export class DynamoShares implements ShareStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly writer: AuditedWriter,
  ) {}

  /** The pending record, and the organization marked as having shared (changes look up recipients from then on). */
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
