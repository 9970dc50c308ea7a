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
  DeleteCommand,
  GetCommand,
  PutCommand,
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
import type { AuditedWriter, WriteOp } from './audited-writer.ts';
import { batchGetItems } from './dynamo-batch-get.ts';
import { guarded } from './dynamo-errors.ts';
import { ORG_SK, orgPk, stripKeys } from './records-keys.ts';
import { NOTICE_OUTBOX_PK, noticeOutboxKey } from './notice-outbox.ts';
import { commitAudited, orgIsActive, queryPages, queryPartition } from './records-table-ops.ts';

/** Every share and notice record of an organization has a sort key starting so (not the `SHARED#` markers). */
export const SHARE_SK_PREFIX = 'SHARE#';
export const shareSk = (jobId: string, shareId: string): string => `${SHARE_SK_PREFIX}${jobId}#${shareId}`;
const noticeSk = (jobId: string, noticeId: string, extensionId: string): string =>
  `SHARE#${jobId}#NOTICE#${noticeId}#${extensionId}`;
/** Sorts after every `SHARE#<jobId>#…` record, so the Query of a job's records does not read it. */
const sharedMarkerSk = (jobId: string): string => `SHARED#${jobId}`;
/** The `kind` of a share record (a notice record shares its sort-key prefix). */
export const SHARE_KIND = 'share';
const KIND = SHARE_KIND;
const NOTICE_KIND = 'notice';
/** Notice records written at once: what one BatchWrite carried, each now a conditional Put. */
const WRITES_IN_FLIGHT = 25;

/**
 * The job's marker (ADR 0020): it was offered to an extension at least once. The same item each
 * time, so writing it again changes nothing. Written by `begin` and by the one-off backfill of
 * share records older than the markers (scripts/backfill-share-markers.ts).
 */
export function sharedJobMarker(table: string, orgId: string, jobId: string): WriteOp {
  return {
    Put: { TableName: table, Item: { pk: orgPk(orgId), sk: sharedMarkerSk(jobId), kind: 'shared-job' } },
  };
}

/**
 * The organization's marker (ADR 0020): the time of its first share, kept once set; only on an
 * organization item that exists (`extraCondition` narrows that further, ANDed).
 */
export function firstShareUpdate(
  table: string,
  orgId: string,
  at: string,
  extraCondition?: Condition,
): WriteOp {
  return {
    Update: {
      TableName: table,
      Key: { pk: orgPk(orgId), sk: ORG_SK },
      UpdateExpression: 'SET firstShareAt = if_not_exists(firstShareAt, :at)',
      ...withCondition('attribute_exists(pk)', { ':at': at }, extraCondition),
    },
  };
}

/** A condition on the organization item to AND with an operation's own. */
export interface Condition {
  readonly expression: string;
  readonly names?: Record<string, string>;
  readonly values?: Record<string, unknown>;
}

function withCondition(
  expression: string,
  values: Record<string, unknown>,
  extra: Condition | undefined,
): {
  ConditionExpression: string;
  ExpressionAttributeValues: Record<string, unknown>;
  ExpressionAttributeNames?: Record<string, string>;
} {
  if (extra === undefined) return { ConditionExpression: expression, ExpressionAttributeValues: values };
  return {
    ConditionExpression: `${expression} AND (${extra.expression})`,
    ExpressionAttributeValues: { ...values, ...extra.values },
    ...(extra.names === undefined ? {} : { ExpressionAttributeNames: extra.names }),
  };
}

/**
 * Of these jobs, those with a `SHARED#` marker (one batched read). The share store's
 * `sharedAmong`, and the one-off backfill's, which needs no audit table for it.
 */
export async function sharedJobsAmong(
  client: DynamoDBDocumentClient,
  table: string,
  orgId: string,
  jobIds: readonly string[],
): Promise<string[]> {
  const keys = [...new Set(jobIds)].map((jobId) => ({ pk: orgPk(orgId), sk: sharedMarkerSk(jobId) }));
  const items = await batchGetItems(client, table, keys, { projection: 'sk' });
  return items.map((item) => String(item.sk).slice('SHARED#'.length));
}

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
            sharedJobMarker(this.table, record.orgId, record.jobId),
            firstShareUpdate(this.table, record.orgId, record.at),
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

  sharedAmong(orgId: string, jobIds: readonly string[]): Promise<string[]> {
    return sharedJobsAmong(this.client, this.table, orgId, jobIds);
  }

  async *sharesOfOrg(orgId: string): AsyncGenerator<ShareRecord[]> {
    for await (const page of queryPages(this.client, {
      TableName: this.table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      FilterExpression: '#kind = :kind',
      ExpressionAttributeNames: { '#kind': 'kind' },
      ExpressionAttributeValues: { ':pk': orgPk(orgId), ':prefix': SHARE_SK_PREFIX, ':kind': KIND },
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

  /**
   * One conditional Put per (notice, job), 25 in flight at a time (a BatchWrite takes no condition):
   * recording a notice again (a resumed deletion, an outbox entry queued twice) resets a `pending`
   * or `failed` record, but never a `delivered` one, which the notifier would otherwise send again.
   */
  async recordNotices(notices: readonly RecipientNotice[]): Promise<void> {
    const items = notices.flatMap((notice) =>
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
          pk: orgPk(notice.orgId),
          sk: noticeSk(jobId, notice.noticeId, notice.extensionId),
          kind: NOTICE_KIND,
          orgId: notice.orgId,
          ...record,
        };
      }),
    );
    for (let start = 0; start < items.length; start += WRITES_IN_FLIGHT) {
      await Promise.all(
        items.slice(start, start + WRITES_IN_FLIGHT).map((item) =>
          guarded(
            this.client.send(
              new PutCommand({
                TableName: this.table,
                Item: item,
                ConditionExpression: 'attribute_not_exists(pk) OR #state <> :delivered',
                ExpressionAttributeNames: { '#state': 'state' },
                ExpressionAttributeValues: { ':delivered': 'delivered' },
              }),
            ),
          ).catch((error: unknown) => {
            // Delivered already: the record stays as it is.
            if (!(error instanceof ConditionalCheckFailedException)) throw error;
          }),
        ),
      );
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
