/**
 * The clean-up cycle's storage: erasing an organization's records and audit partitions, with its
 * progress checkpointed on the organization item itself.
 *
 * Order, and why it is safe to stop anywhere:
 *  1. claim — one conditional UpdateItem: status `deleting`, the lease, and REMOVE wrappedKeys.
 *     The data keys go first (crypto-shredding): whatever a crash leaves behind, and every table
 *     backup, is ciphertext nobody can open any more. Nothing later needs the keys.
 *     Except Art. 19: an organization that ever shared a job (`firstShareAt`) is claimed with its
 *     keys, at the `notices` phase, because its erasure notices are signed with secrets sealed
 *     under them; `shred` removes them once the notices are out, before anything is swept.
 *  2. records — the partition `ORG#<orgId>` but the organization item, swept by sort-key kind in
 *     parallel segments, then one consistent pass over the whole partition for anything else.
 *  3. audit — the audit partition `ORG#<orgId>` (events and chain head).
 *  4. files — by the cycle, through the Files port.
 *  5. final — one transaction: the deletion record in, the organization item and its pending
 *     marker out. The organization item goes last because it IS the checkpoint (phase, counts,
 *     lease) and keeps the organization discoverable as `deleting` until nothing else is left.
 * Each phase is idempotent (deleting what is gone is a no-op, a query finds only what is left),
 * so a crash resumes at the checkpointed phase and redoes at most one page of it. Counts are
 * checkpointed after each page's deletes (those of a page that partly failed included): only a
 * process killed between a page's deletes and its checkpoint undercounts, by at most that page.
 */
import {
  DeleteCommand,
  GetCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import type {
  AccountDeletionMarker,
  Budget,
  ClaimResult,
  DeletionCounts,
  DeletionPhase,
  DeletionProgress,
  DeletionRecord,
  Lease,
  PendingDeletion,
  SweepResult,
  TenantSweeper,
} from '../../ports/tenant-sweeper.ts';
import { deleteKeys, Limiter, PartialDeleteError, type ItemKey } from './dynamo-batch-delete.ts';
import { deletionRecordKey, PENDING_DELETIONS_PK, pendingAccountSk, pendingOrgSk } from './deletion-keys.ts';
import { queryItems, queryPages } from './records-table-ops.ts';
import { guarded, mapDynamoError } from './dynamo-errors.ts';
import { ORG_SK, orgPk } from './records-keys.ts';

/** Sort-key kinds swept side by side; a final pass catches any kind not listed. */
export const RECORD_SEGMENTS = ['JOB#', 'ORCH#', 'MEMBER#', 'ROLE#', 'EXT#', 'EXPORT#', 'BACKUP#'] as const;

export interface SweeperTuning {
  /** Segments queried at once. */
  readonly segments: number;
  /** BatchWriteItem calls in flight at once, across segments. */
  readonly batchesInFlight: number;
  /** Items per Query page (bounds memory: keys only are kept). */
  readonly pageSize: number;
}

const DEFAULT_TUNING: SweeperTuning = { segments: 4, batchesInFlight: 8, pageSize: 1000 };

/** Our lease on the organization is gone (expired and taken by another cycle): stop at once. */
export class LeaseLostError extends Error {
  override readonly name = 'LeaseLostError';
  constructor() {
    super('The deletion lease was lost to another clean-up cycle');
  }
}

/** `JOB#01…` → `job`; a key without `#` is its own kind. */
export function kindOf(sk: string): string {
  const hash = sk.indexOf('#');
  return (hash < 0 ? sk : sk.slice(0, hash)).toLowerCase();
}

function countKinds(keys: readonly ItemKey[], kind?: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const key of keys) {
    const k = kind ?? kindOf(key.sk);
    counts[k] = (counts[k] ?? 0) + 1;
  }
  return counts;
}

const isPhase = (value: unknown): value is DeletionPhase =>
  value === 'notices' || value === 'records' || value === 'audit' || value === 'files' || value === 'final';

export class DynamoTenantSweeper implements TenantSweeper, AccountDeletionMarker {
  private readonly tuning: SweeperTuning;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly recordsTable: string,
    private readonly auditTable: string,
    tuning: Partial<SweeperTuning> = {},
  ) {
    this.tuning = { ...DEFAULT_TUNING, ...tuning };
  }

  async pending(): Promise<PendingDeletion[]> {
    const found: PendingDeletion[] = [];
    const markers = queryItems(this.client, {
      TableName: this.recordsTable,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': PENDING_DELETIONS_PK },
      ProjectionExpression: 'sk',
      ConsistentRead: true,
    });
    for await (const item of markers) {
      const sk = String(item.sk);
      if (sk.startsWith('ORG#')) found.push({ kind: 'org', orgId: sk.slice(4) });
      else if (sk.startsWith('USER#')) found.push({ kind: 'account', userId: sk.slice(5) });
    }
    return found;
  }

  async claim(orgId: string, lease: Lease, now: Date): Promise<ClaimResult> {
    // First as an organization that never shared (keys shredded at once), then as one that did.
    for (const shared of [false, true]) {
      try {
        const { Attributes } = await this.client.send(
          new UpdateCommand({
            TableName: this.recordsTable,
            Key: { pk: orgPk(orgId), sk: ORG_SK },
            UpdateExpression:
              'SET #status = :deleting, deletionLeaseOwner = :owner, deletionLeaseUntil = :until, updatedAt = :at, ' +
              'deletionPhase = if_not_exists(deletionPhase, :first), deletionStartedAt = if_not_exists(deletionStartedAt, :at), ' +
              `deletionCounts = if_not_exists(deletionCounts, :none)${shared ? '' : ' REMOVE wrappedKeys'}`,
            ConditionExpression:
              'attribute_exists(pk) AND #status IN (:pending, :deleting) AND ' +
              '(attribute_not_exists(deletionLeaseUntil) OR deletionLeaseUntil < :nowMs OR deletionLeaseOwner = :owner) AND ' +
              `attribute_${shared ? '' : 'not_'}exists(firstShareAt)`,
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ':deleting': 'deleting',
              ':pending': 'pending_deletion',
              ':owner': lease.owner,
              ':until': lease.until,
              ':nowMs': now.getTime(),
              ':at': now.toISOString(),
              ':first': (shared ? 'notices' : 'records') satisfies DeletionPhase,
              ':none': {},
            },
            ReturnValues: 'ALL_NEW',
          }),
        );
        return { outcome: 'claimed', progress: progressOf(Attributes ?? {}) };
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw mapDynamoError(error);
      }
    }
    const { Item } = await guarded(
      this.client.send(
        new GetCommand({
          TableName: this.recordsTable,
          Key: { pk: orgPk(orgId), sk: ORG_SK },
          ConsistentRead: true,
        }),
      ),
    );
    if (Item === undefined) {
      const record = await guarded(
        this.client.send(
          new GetCommand({
            TableName: this.recordsTable,
            Key: deletionRecordKey(orgId),
            ConsistentRead: true,
          }),
        ),
      );
      return { outcome: 'gone', recorded: record.Item !== undefined };
    }
    return Item.status === 'active' ? { outcome: 'active' } : { outcome: 'busy' };
  }

  async release(orgId: string, owner: string): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.recordsTable,
          Key: { pk: orgPk(orgId), sk: ORG_SK },
          UpdateExpression: 'REMOVE deletionLeaseOwner, deletionLeaseUntil',
          ConditionExpression: 'deletionLeaseOwner = :owner',
          ExpressionAttributeValues: { ':owner': owner },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw mapDynamoError(error);
    }
  }

  async sweepRecords(orgId: string, owner: string, budget: Budget): Promise<SweepResult> {
    const limiter = new Limiter(this.tuning.batchesInFlight);
    const segments = new Limiter(this.tuning.segments);
    const results = await Promise.all(
      RECORD_SEGMENTS.map((prefix) =>
        segments.run(() =>
          this.sweepPartition(this.recordsTable, orgId, owner, budget, limiter, {
            prefix,
            consistent: false,
          }),
        ),
      ),
    );
    if (results.some((complete) => !complete)) return { complete: false };
    // Whatever kind the segments do not know, and anything a concurrent writer added meanwhile.
    return {
      complete: await this.sweepPartition(this.recordsTable, orgId, owner, budget, limiter, {
        consistent: true,
      }),
    };
  }

  async sweepAudit(orgId: string, owner: string, budget: Budget): Promise<SweepResult> {
    const limiter = new Limiter(this.tuning.batchesInFlight);
    return {
      complete: await this.sweepPartition(this.auditTable, orgId, owner, budget, limiter, {
        consistent: true,
        kind: 'audit',
      }),
    };
  }

  async addCounts(orgId: string, owner: string, counts: DeletionCounts): Promise<void> {
    const entries = Object.entries(counts).filter(([, n]) => n > 0);
    if (entries.length === 0) return;
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = { ':owner': owner, ':zero': 0 };
    const sets = entries.map(([kind, n], i) => {
      names[`#k${i}`] = kind;
      values[`:n${i}`] = n;
      return `deletionCounts.#k${i} = if_not_exists(deletionCounts.#k${i}, :zero) + :n${i}`;
    });
    await this.underLease(
      new UpdateCommand({
        TableName: this.recordsTable,
        Key: { pk: orgPk(orgId), sk: ORG_SK },
        UpdateExpression: `SET ${sets.join(', ')}`,
        ConditionExpression: 'deletionLeaseOwner = :owner',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
  }

  async shred(orgId: string, owner: string): Promise<DeletionProgress> {
    const attributes = await this.underLease(
      new UpdateCommand({
        TableName: this.recordsTable,
        Key: { pk: orgPk(orgId), sk: ORG_SK },
        UpdateExpression: 'SET deletionPhase = :phase REMOVE wrappedKeys',
        ConditionExpression: 'deletionLeaseOwner = :owner',
        ExpressionAttributeValues: { ':owner': owner, ':phase': 'records' satisfies DeletionPhase },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return progressOf(attributes ?? {});
  }

  async advance(orgId: string, owner: string, phase: DeletionPhase): Promise<DeletionProgress> {
    const attributes = await this.underLease(
      new UpdateCommand({
        TableName: this.recordsTable,
        Key: { pk: orgPk(orgId), sk: ORG_SK },
        UpdateExpression: 'SET deletionPhase = :phase',
        ConditionExpression: 'deletionLeaseOwner = :owner',
        ExpressionAttributeValues: { ':owner': owner, ':phase': phase },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return progressOf(attributes ?? {});
  }

  async finish(orgId: string, owner: string, record: DeletionRecord): Promise<boolean> {
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.recordsTable,
                Item: { ...deletionRecordKey(orgId), kind: 'deletion-record', ...record },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            {
              Delete: {
                TableName: this.recordsTable,
                Key: { pk: orgPk(orgId), sk: ORG_SK },
                ConditionExpression: 'deletionLeaseOwner = :owner',
                ExpressionAttributeValues: { ':owner': owner },
              },
            },
            {
              Delete: {
                TableName: this.recordsTable,
                Key: { pk: PENDING_DELETIONS_PK, sk: pendingOrgSk(orgId) },
              },
            },
          ],
        }),
      );
      return true;
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw mapDynamoError(error);
      const [recordReason, orgReason] = error.CancellationReasons ?? [];
      if (recordReason?.Code === 'ConditionalCheckFailed') return false;
      if (orgReason?.Code === 'ConditionalCheckFailed') throw new LeaseLostError();
      throw mapDynamoError(error);
    }
  }

  async markAccount(userId: string, orgIds: readonly string[], requestedAt: string): Promise<void> {
    const hasOrgs = orgIds.length > 0;
    await guarded(
      this.client.send(
        new UpdateCommand({
          TableName: this.recordsTable,
          Key: { pk: PENDING_DELETIONS_PK, sk: pendingAccountSk(userId) },
          UpdateExpression: `SET kind = :kind, requestedAt = if_not_exists(requestedAt, :at)${hasOrgs ? ' ADD orgIds :orgs' : ''}`,
          ExpressionAttributeValues: {
            ':kind': 'pending-account',
            ':at': requestedAt,
            ...(hasOrgs ? { ':orgs': new Set(orgIds) } : {}),
          },
        }),
      ),
    );
  }

  async accountDeletion(userId: string): Promise<readonly string[] | undefined> {
    const { Item } = await guarded(
      this.client.send(
        new GetCommand({
          TableName: this.recordsTable,
          Key: { pk: PENDING_DELETIONS_PK, sk: pendingAccountSk(userId) },
          ConsistentRead: true,
        }),
      ),
    );
    if (Item === undefined) return undefined;
    const orgIds: unknown = Item.orgIds;
    return orgIds instanceof Set ? [...orgIds].map(String).sort() : [];
  }

  async finishAccount(userId: string): Promise<void> {
    await guarded(
      this.client.send(
        new DeleteCommand({
          TableName: this.recordsTable,
          Key: { pk: PENDING_DELETIONS_PK, sk: pendingAccountSk(userId) },
        }),
      ),
    );
  }

  /**
   * Queries one partition (or one sort-key kind of it) page by page, deleting each page's keys
   * (never the organization item) and checkpointing the counts. Resolves false when the budget
   * ran out first. Always starts from the beginning: what an earlier run deleted is not found again.
   */
  private async sweepPartition(
    table: string,
    orgId: string,
    owner: string,
    budget: Budget,
    limiter: Limiter,
    options: { readonly prefix?: string; readonly consistent: boolean; readonly kind?: string },
  ): Promise<boolean> {
    const partitionKey = orgPk(orgId);
    if (!budget.remaining()) return false;
    for await (const page of queryPages(this.client, {
      TableName: table,
      KeyConditionExpression:
        options.prefix === undefined ? '#pk = :pk' : '#pk = :pk AND begins_with(#sk, :prefix)',
      ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
      ExpressionAttributeValues: {
        ':pk': partitionKey,
        ...(options.prefix === undefined ? {} : { ':prefix': options.prefix }),
      },
      ProjectionExpression: '#pk, #sk',
      Limit: this.tuning.pageSize,
      ConsistentRead: options.consistent,
    })) {
      const keys = (page.Items ?? [])
        .map((item) => ({ pk: item.pk as string, sk: item.sk as string }))
        .filter((key) => !(table === this.recordsTable && key.sk === ORG_SK));
      if (keys.length > 0) {
        try {
          await deleteKeys(this.client, table, partitionKey, keys, limiter);
        } catch (error) {
          // Count what did go before giving up, so the deletion record's counts stay exact.
          if (error instanceof PartialDeleteError && error.deleted.length > 0)
            await this.addCounts(orgId, owner, countKinds(error.deleted, options.kind));
          throw error;
        }
        await this.addCounts(orgId, owner, countKinds(keys, options.kind));
      }
      // The budget is checked before each page is read, as before the first.
      if (page.LastEvaluatedKey !== undefined && !budget.remaining()) return false;
    }
    return true;
  }

  private async underLease(command: UpdateCommand): Promise<Record<string, unknown> | undefined> {
    try {
      return (await this.client.send(command)).Attributes;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new LeaseLostError();
      throw mapDynamoError(error);
    }
  }
}

function progressOf(item: Record<string, unknown>): DeletionProgress {
  const counts: Record<string, number> = {};
  const stored = item.deletionCounts;
  if (typeof stored === 'object' && stored !== null) {
    for (const [kind, n] of Object.entries(stored)) if (typeof n === 'number') counts[kind] = n;
  }
  return {
    phase: isPhase(item.deletionPhase) ? item.deletionPhase : 'records',
    counts,
    requestedBy: typeof item.deletionRequestedBy === 'string' ? item.deletionRequestedBy : '',
    requestedAt: typeof item.deletionRequestedAt === 'string' ? item.deletionRequestedAt : '',
    startedAt: typeof item.deletionStartedAt === 'string' ? item.deletionStartedAt : '',
  };
}
