/**
 * JobStore on the records table: `ORG#<org>` / `JOB#<jobId>`, indexed by orchestration (gsi3), by
 * the subject's blind index (gsi2) and, while neither held nor anonymized, as a retention
 * candidate (gsi4). Every write is conditional: on the job's version (so no update is lost), on
 * it not being restricted or held, and on the orchestration's revision (so values are always
 * validated against the definition in force).
 */
import {
  BatchWriteCommand,
  QueryCommand,
  TransactWriteCommand,
  type BatchWriteCommandOutput,
  type QueryCommandInput,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { NotFoundError } from '../../domain/errors.ts';
import {
  JobBatchConflict,
  JobWriteConflict,
  SUBJECT_BATCH_LIMIT,
  type DueQuery,
  type HoldChange,
  type JobBatchChange,
  type JobPage,
  type JobPageRequest,
  type JobStore,
  type OrchestrationGuard,
  type PerChangeAudit,
  type StoredJob,
} from '../../ports/jobs.ts';
import { retentionCutoff } from '../../domain/retention.ts';
import type { AuditEntry } from '../../ports/audit.ts';
import type { NoticeBatch } from '../../ports/notice-queue.ts';
import type { PagePosition } from '../../ports/page.ts';
import { noticeOutboxPut } from './notice-outbox.ts';
import { ConditionFailed, type AuditedWriter, type WriteOp } from './audited-writer.ts';
import { commitAudited, getOrgItem, orgIsActive, pagePosition, queryPages } from './records-table-ops.ts';
import { batchGetItems } from './dynamo-batch-get.ts';
import { guarded, mapDynamoError } from './dynamo-errors.ts';
import {
  GSI_BY_ORCHESTRATION,
  GSI_BY_RETENTION,
  GSI_BY_SUBJECT,
  jobSk,
  orchestrationGsiPk,
  orchestrationSk,
  orgPk,
  retentionGsiSk,
  stripKeys,
  subjectGsiPk,
} from './records-keys.ts';

const BATCH_SIZE = 25;
const MAX_BATCH_ATTEMPTS = 8;

export class DynamoJobs implements JobStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly writer: AuditedWriter,
  ) {}

  async get(orgId: string, jobId: string): Promise<StoredJob | undefined> {
    const item = await getOrgItem(this.client, this.table, orgId, jobSk(jobId));
    return item === undefined ? undefined : stripKeys<StoredJob>(item);
  }

  /** One page of an orchestration's jobs, oldest first; only the owner's with an owner filter. */
  listByOrchestration(orgId: string, orchestrationId: string, request: JobPageRequest): Promise<JobPage> {
    return this.fullPage(
      {
        TableName: this.table,
        IndexName: GSI_BY_ORCHESTRATION,
        KeyConditionExpression: 'gsi3pk = :pk',
        ExpressionAttributeValues: {
          ':pk': orchestrationGsiPk(orgId, orchestrationId),
          ...(request.ownerId === undefined ? {} : { ':owner': request.ownerId }),
        },
        ...(request.ownerId === undefined ? {} : { FilterExpression: 'ownerId = :owner' }),
      },
      request.limit,
      request.startKey,
    );
  }

  async create(job: StoredJob, guard: OrchestrationGuard, audit: AuditEntry): Promise<void> {
    await this.commit(
      [
        {
          Put: {
            TableName: this.table,
            Item: this.item(job),
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        {
          Update: {
            TableName: this.table,
            Key: { pk: orgPk(job.orgId), sk: orchestrationSk(guard.orchestrationId) },
            UpdateExpression: 'SET jobCount = jobCount + :one',
            ConditionExpression: 'revision = :revision',
            ExpressionAttributeValues: { ':one': 1, ':revision': guard.revision },
          },
        },
        orgIsActive(this.table, job.orgId),
      ],
      audit,
    );
  }

  async replace(
    next: StoredJob,
    guard: OrchestrationGuard,
    audit: AuditEntry,
    outbox?: NoticeBatch,
  ): Promise<void> {
    await this.commit(
      [
        {
          Put: {
            TableName: this.table,
            Item: this.item(next),
            ConditionExpression: 'version = :expected AND attribute_not_exists(restriction)',
            ExpressionAttributeValues: { ':expected': next.version - 1 },
          },
        },
        this.orchestrationAt(next.orgId, guard),
        orgIsActive(this.table, next.orgId),
        ...this.outboxOps(outbox),
      ],
      audit,
    );
  }

  async delete(
    job: StoredJob,
    expectedVersion: number,
    audit: AuditEntry,
    outbox?: NoticeBatch,
  ): Promise<void> {
    await this.commit(
      [
        {
          Delete: {
            TableName: this.table,
            Key: { pk: orgPk(job.orgId), sk: jobSk(job.jobId) },
            ConditionExpression:
              'version = :expected AND attribute_not_exists(restriction) AND attribute_not_exists(legalHold)',
            ExpressionAttributeValues: { ':expected': expectedVersion },
          },
        },
        {
          Update: {
            TableName: this.table,
            Key: { pk: orgPk(job.orgId), sk: orchestrationSk(job.orchestrationId) },
            UpdateExpression: 'SET jobCount = jobCount - :one',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeValues: { ':one': 1 },
          },
        },
        orgIsActive(this.table, job.orgId),
        ...this.outboxOps(outbox),
      ],
      audit,
    );
  }

  async sweep(orgId: string, orchestrationId: string): Promise<number> {
    let deleted = 0;
    // Query from the start each round: the previous round's items are gone, so nothing is skipped.
    for (;;) {
      const page = await guarded(
        this.client.send(
          new QueryCommand({
            TableName: this.table,
            IndexName: GSI_BY_ORCHESTRATION,
            KeyConditionExpression: 'gsi3pk = :pk',
            ExpressionAttributeValues: { ':pk': orchestrationGsiPk(orgId, orchestrationId) },
            ProjectionExpression: 'pk, sk',
            Limit: 250,
          }),
        ),
      );
      const keys = (page.Items ?? []).map((item) => ({ pk: item.pk, sk: item.sk }));
      if (keys.length === 0) return deleted;
      for (let i = 0; i < keys.length; i += BATCH_SIZE) {
        await this.deleteBatch(keys.slice(i, i + BATCH_SIZE));
      }
      deleted += keys.length;
    }
  }

  async findBySubject(
    orgId: string,
    blindIndex: string,
    request: { readonly limit: number; readonly startKey?: Record<string, unknown> },
  ): Promise<JobPage> {
    const page = await guarded(
      this.client.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: GSI_BY_SUBJECT,
          KeyConditionExpression: 'gsi2pk = :pk',
          ExpressionAttributeValues: { ':pk': subjectGsiPk(orgId, blindIndex) },
          ProjectionExpression: 'pk, sk',
          Limit: Math.min(request.limit, 100),
          ExclusiveStartKey: request.startKey,
        }),
      ),
    );
    const keys = (page.Items ?? []).map((item) => ({ pk: item.pk, sk: item.sk }));
    const items = (await this.getConsistently(keys)).filter((job) => job.subjectIndex === blindIndex);
    // The index is eventually consistent; the table is the truth, so the page keeps the index's order.
    const order = new Map(keys.map((key, i) => [String(key.sk), i]));
    items.sort((a, b) => (order.get(jobSk(a.jobId)) ?? 0) - (order.get(jobSk(b.jobId)) ?? 0));
    const lastKey = pagePosition(page.LastEvaluatedKey);
    return lastKey === undefined ? { items } : { items, lastKey };
  }

  async writeBatch(
    orgId: string,
    changes: readonly JobBatchChange[],
    audit?: AuditEntry | PerChangeAudit,
    outbox?: NoticeBatch,
  ): Promise<void> {
    if (changes.length === 0) return;
    if (changes.length > SUBJECT_BATCH_LIMIT)
      throw new Error(`A job batch holds at most ${SUBJECT_BATCH_LIMIT} changes`);
    const ops: WriteOp[] = changes.map((change) => this.batchOp(orgId, change));
    const removed = new Map<string, number>();
    for (const change of changes) {
      if (change.kind === 'delete')
        removed.set(change.job.orchestrationId, (removed.get(change.job.orchestrationId) ?? 0) + 1);
    }
    for (const [orchestrationId, count] of removed) {
      ops.push({
        Update: {
          TableName: this.table,
          Key: { pk: orgPk(orgId), sk: orchestrationSk(orchestrationId) },
          UpdateExpression: 'SET jobCount = jobCount - :n',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':n': count },
        },
      });
    }
    ops.push(...this.outboxOps(outbox));
    ops.push(orgIsActive(this.table, orgId));
    const jobIdAt = (index: number): string | undefined => {
      const change = changes[index];
      return change === undefined
        ? undefined
        : change.kind === 'delete'
          ? change.job.jobId
          : change.next.jobId;
    };
    if (audit !== undefined) {
      try {
        if ('drafts' in audit) await this.writer.commitEach(ops, audit.drafts, audit.actor);
        else await this.writer.commit(ops, audit.draft, audit.actor);
      } catch (error) {
        if (!(error instanceof ConditionFailed)) throw error;
        if (error.index === ops.length - 1) throw new NotFoundError('organization');
        throw new JobBatchConflict(jobIdAt(error.index));
      }
      return;
    }
    try {
      await this.client.send(new TransactWriteCommand({ TransactItems: ops }));
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw mapDynamoError(error);
      const reasons = error.CancellationReasons ?? [];
      const failed = reasons.findIndex((r) => r.Code === 'ConditionalCheckFailed');
      if (failed === ops.length - 1) throw new NotFoundError('organization');
      // A conflicting concurrent transaction is a conflict too: the caller re-reads and retries.
      if (failed >= 0 || reasons.some((r) => r.Code === 'TransactionConflict'))
        throw new JobBatchConflict(jobIdAt(failed));
      throw mapDynamoError(error);
    }
  }

  findDue(orgId: string, orchestrationId: string, query: DueQuery): Promise<JobPage> {
    return this.fullPage(this.dueQuery(orgId, orchestrationId, query), query.limit, query.startKey);
  }

  async countDue(
    orgId: string,
    orchestrationId: string,
    query: Omit<DueQuery, 'limit' | 'startKey'>,
  ): Promise<number> {
    let count = 0;
    for await (const page of queryPages(this.client, {
      ...this.dueQuery(orgId, orchestrationId, query),
      Select: 'COUNT',
    }))
      count += page.Count ?? 0;
    return count;
  }

  getMany(orgId: string, jobIds: readonly string[]): Promise<StoredJob[]> {
    return this.getConsistently(jobIds.map((jobId) => ({ pk: orgPk(orgId), sk: jobSk(jobId) })));
  }

  async writeHold(next: StoredJob, change: HoldChange, audit: AuditEntry): Promise<void> {
    const delta = change === 'place' ? 1 : change === 'lift' ? -1 : 0;
    await this.commit(
      [
        {
          Put: {
            TableName: this.table,
            Item: this.item(next),
            ConditionExpression: 'version = :expected',
            ExpressionAttributeValues: { ':expected': next.version - 1 },
          },
        },
        {
          Update: {
            TableName: this.table,
            Key: { pk: orgPk(next.orgId), sk: orchestrationSk(next.orchestrationId) },
            UpdateExpression: 'SET heldCount = if_not_exists(heldCount, :zero) + :delta',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeValues: { ':zero': 0, ':delta': delta },
          },
        },
        orgIsActive(this.table, next.orgId),
      ],
      audit,
    );
  }

  async heldJobIds(orgId: string, orchestrationId: string, limit: number): Promise<string[]> {
    const ids: string[] = [];
    const pages = queryPages(this.client, {
      TableName: this.table,
      IndexName: GSI_BY_ORCHESTRATION,
      KeyConditionExpression: 'gsi3pk = :pk',
      FilterExpression: 'attribute_exists(legalHold)',
      ExpressionAttributeValues: { ':pk': orchestrationGsiPk(orgId, orchestrationId) },
      ProjectionExpression: 'jobId',
    });
    for await (const page of pages) {
      for (const item of page.Items ?? []) if (ids.length < limit) ids.push(String(item.jobId));
      if (ids.length >= limit) break;
    }
    return ids;
  }

  async countOwnedBy(orgId: string, ownerId: string): Promise<number> {
    let count = 0;
    const pages = queryPages(this.client, {
      TableName: this.table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :job)',
      FilterExpression: 'ownerId = :owner',
      ExpressionAttributeValues: { ':pk': orgPk(orgId), ':job': 'JOB#', ':owner': ownerId },
      Select: 'COUNT',
    });
    for await (const page of pages) count += page.Count ?? 0;
    return count;
  }

  private batchOp(orgId: string, change: JobBatchChange): WriteOp {
    if (change.kind === 'delete') {
      return {
        Delete: {
          TableName: this.table,
          Key: { pk: orgPk(orgId), sk: jobSk(change.job.jobId) },
          ConditionExpression: 'version = :expected',
          ExpressionAttributeValues: { ':expected': change.job.version },
        },
      };
    }
    return {
      Put: {
        TableName: this.table,
        Item: this.item(change.next),
        ConditionExpression: change.allowRestricted
          ? 'version = :expected'
          : 'version = :expected AND attribute_not_exists(restriction)',
        ExpressionAttributeValues: { ':expected': change.next.version - 1 },
      },
    };
  }

  /**
   * A page of `limit` jobs of a query that may filter. DynamoDB may evaluate items without
   * returning them, so this reads on (each read limited to what is still missing, so the last
   * evaluated key is exactly where the page ends) until the page is full or the index is exhausted.
   */
  private async fullPage(
    query: Omit<QueryCommandInput, 'Limit' | 'ExclusiveStartKey'>,
    limit: number,
    from: PagePosition | undefined,
  ): Promise<JobPage> {
    const items: StoredJob[] = [];
    let startKey = from;
    do {
      const page = await guarded(
        this.client.send(
          new QueryCommand({ ...query, Limit: limit - items.length, ExclusiveStartKey: startKey }),
        ),
      );
      for (const item of page.Items ?? []) items.push(stripKeys<StoredJob>(item));
      startKey = pagePosition(page.LastEvaluatedKey);
    } while (startKey !== undefined && items.length < limit);
    return startKey === undefined ? { items } : { items, lastKey: startKey };
  }

  /** The items under `keys`, read consistently; missing ones absent. */
  private async getConsistently(keys: readonly Record<string, unknown>[]): Promise<StoredJob[]> {
    return (await batchGetItems(this.client, this.table, keys)).map((item) => stripKeys<StoredJob>(item));
  }

  private async deleteBatch(keys: Record<string, unknown>[]): Promise<void> {
    let requests = keys.map((Key) => ({ DeleteRequest: { Key } }));
    for (let attempt = 0; requests.length > 0; attempt += 1) {
      if (attempt >= MAX_BATCH_ATTEMPTS) throw new Error('Batch deletes kept coming back unprocessed');
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 20 * 2 ** attempt)));
      const result: BatchWriteCommandOutput = await guarded(
        this.client.send(new BatchWriteCommand({ RequestItems: { [this.table]: requests } })),
      );
      requests = (result.UnprocessedItems?.[this.table] ?? []).flatMap((r) =>
        r.DeleteRequest?.Key ? [{ DeleteRequest: { Key: r.DeleteRequest.Key } }] : [],
      );
    }
  }

  /**
   * The retention index read for a rule: every candidate created up to the cutoff (the earliest
   * any basis can be), filtered down to those whose basis is (records-keys.ts explains the index).
   */
  private dueQuery(orgId: string, orchestrationId: string, query: Omit<DueQuery, 'limit' | 'startKey'>) {
    const cutoff = retentionCutoff(query.rule, query.now);
    // `$` sorts after the `#` that follows the time in the key, so jobs created at the cutoff itself are in.
    const keyValues = { ':pk': orchestrationGsiPk(orgId, orchestrationId), ':upper': `${cutoff}$` };
    const base = {
      TableName: this.table,
      IndexName: GSI_BY_RETENTION,
      KeyConditionExpression: 'gsi4pk = :pk AND gsi4sk < :upper',
    };
    // Restricted jobs stay in the index (a restriction is lifted in place) but are never due (domain/retention.ts).
    const unrestricted = 'attribute_not_exists(restriction)';
    switch (query.rule.from) {
      case 'created':
        return { ...base, FilterExpression: unrestricted, ExpressionAttributeValues: keyValues };
      case 'updated':
        return {
          ...base,
          FilterExpression: `${unrestricted} AND updatedAt <= :cutoff`,
          ExpressionAttributeValues: { ...keyValues, ':cutoff': cutoff },
        };
      case 'final_stage':
        return {
          ...base,
          FilterExpression: `${unrestricted} AND #stage = :final AND (stageEnteredAt <= :cutoff OR (attribute_not_exists(stageEnteredAt) AND updatedAt <= :cutoff))`,
          ExpressionAttributeNames: { '#stage': 'stage' },
          // A rule on an orchestration without stages matches no job (no stage is named like this).
          ExpressionAttributeValues: { ...keyValues, ':cutoff': cutoff, ':final': query.finalStage ?? '' },
        };
    }
  }

  private item(job: StoredJob): Record<string, unknown> {
    const { subjectIndex, ...rest } = job;
    const candidate = job.legalHold === undefined && job.anonymizedAt === undefined;
    return {
      pk: orgPk(job.orgId),
      sk: jobSk(job.jobId),
      kind: 'job',
      gsi3pk: orchestrationGsiPk(job.orgId, job.orchestrationId),
      gsi3sk: jobSk(job.jobId),
      // Held and anonymized jobs leave the retention index: the cycle never reads them again.
      ...(candidate
        ? {
            gsi4pk: orchestrationGsiPk(job.orgId, job.orchestrationId),
            gsi4sk: retentionGsiSk(job.createdAt, job.jobId),
          }
        : {}),
      // The blind index, never the email, becomes the key of the subject index.
      ...(subjectIndex === undefined
        ? {}
        : { gsi2pk: subjectGsiPk(job.orgId, subjectIndex), gsi2sk: jobSk(job.jobId), subjectIndex }),
      ...rest,
    };
  }

  private orchestrationAt(orgId: string, guard: OrchestrationGuard): WriteOp {
    return {
      ConditionCheck: {
        TableName: this.table,
        Key: { pk: orgPk(orgId), sk: orchestrationSk(guard.orchestrationId) },
        ConditionExpression: 'revision = :revision',
        ExpressionAttributeValues: { ':revision': guard.revision },
      },
    };
  }

  /** The outbox entry of the change's notices (unconditional: it never fails the transaction). */
  private outboxOps(outbox: NoticeBatch | undefined): WriteOp[] {
    return outbox === undefined ? [] : [noticeOutboxPut(this.table, outbox)];
  }

  /** Op 0 is always the job, op 1 the orchestration, op 2 the organization. */
  private commit(ops: WriteOp[], audit: AuditEntry): Promise<void> {
    return commitAudited(this.writer, ops, audit, (index) =>
      index === 0
        ? new JobWriteConflict('job-changed')
        : index === 1
          ? new JobWriteConflict('orchestration-changed')
          : new NotFoundError('organization'),
    );
  }
}
