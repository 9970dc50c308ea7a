/**
 * The audit table as the sequencer sees it: the head and the sequenced batches. The batch item is
 * the commit point: whoever writes `SEQ#<firstSeq>` first owns those positions; the head follows
 * from it and is written idempotently, so a sequencer that crashed half-way is rolled forward by
 * the next. Event items are only read (do they exist?), never written: positions live in batches.
 */
import {
  PutCommand,
  QueryCommand,
  type QueryCommandOutput,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { eventRef } from '../../domain/audit-chain.ts';
import type {
  AppendedEvent,
  AuditChainHead,
  AuditSequencerStore,
  SequencedBatch,
} from '../../ports/audit.ts';
import { AUDIT_HEAD_SK, BATCH_PREFIX, UNREVIEWED_FLAG, auditBatchSk, auditEventSk } from './audit-keys.ts';
import { putIf } from './conditional-put.ts';
import { batchGetItems } from './dynamo-batch-get.ts';
import { guarded } from './dynamo-errors.ts';
import { orgPk } from './records-keys.ts';
import { getOrgItem, queryItems } from './records-table-ops.ts';

/** Items the existence check's range Query reads per delivered event before it looks up the rest by key. */
const RANGE_ITEMS_PER_EVENT = 4;
/** Batches per page of the look back for a redelivery: usually the last one or two hold it. */
const BATCHES_PER_PAGE = 4;

export class DynamoAuditSequencerStore implements AuditSequencerStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  head(orgId: string): Promise<AuditChainHead | undefined> {
    return readHead(this.client, this.table, orgId);
  }

  async batchAt(orgId: string, firstSeq: number): Promise<SequencedBatch | undefined> {
    const item = await getOrgItem(this.client, this.table, orgId, auditBatchSk(firstSeq));
    return item === undefined ? undefined : batchOf(item);
  }

  /**
   * Reads the batches newest first while they may hold one of `events`: a batch whose `latestAt`
   * is before the earliest of them, and every batch before it, cannot (latestAt never decreases).
   * A redelivery usually finds its events in the last batch or two.
   */
  async sequencedIds(orgId: string, events: readonly AppendedEvent[]): Promise<ReadonlySet<string>> {
    const wanted = new Map(events.map((e) => [eventRef(e), e.eventId]));
    const earliest = events.reduce((min, e) => (e.at < min ? e.at : min), '~');
    const sequenced = new Set<string>();
    const batches = queryItems(this.client, {
      TableName: this.table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :batch)',
      ExpressionAttributeValues: { ':pk': orgPk(orgId), ':batch': BATCH_PREFIX },
      ProjectionExpression: 'refs, latestAt',
      ScanIndexForward: false,
      Limit: BATCHES_PER_PAGE,
      ConsistentRead: true,
    });
    for await (const batch of batches) {
      for (const ref of batch.refs as string[]) {
        const id = wanted.get(ref);
        if (id !== undefined) sequenced.add(id);
      }
      if (sequenced.size === wanted.size || typeof batch.latestAt !== 'string' || batch.latestAt < earliest)
        break;
    }
    return sequenced;
  }

  /**
   * One Query of the key range the events span: events are keyed by time and a delivery's lie
   * close together, so the range holds few others, and the table reads it as one range (billed by
   * the bytes read, rounded up once per page) where a BatchGet looks up every key (a unit each at
   * least; on DynamoDB Local a look-up each in the JVM the writers need). A late or far-off event
   * would stretch the range over everything between: once the Query has read a few items per
   * event, the events it has not reached are looked up by key instead.
   */
  async missing(orgId: string, events: readonly AppendedEvent[]): Promise<readonly string[]> {
    const refs = [...new Set(events.map(eventRef))].sort();
    if (refs.length === 0) return [];
    const keys = refs.map(auditEventSk);
    const absent = new Set(keys);
    let budget = RANGE_ITEMS_PER_EVENT * keys.length;
    let reached: Record<string, unknown> | undefined;
    do {
      const page: QueryCommandOutput = await guarded(
        this.client.send(
          new QueryCommand({
            TableName: this.table,
            KeyConditionExpression: 'pk = :pk AND sk BETWEEN :first AND :last',
            ExpressionAttributeValues: { ':pk': orgPk(orgId), ':first': keys[0], ':last': keys.at(-1) },
            ProjectionExpression: 'sk',
            ConsistentRead: true,
            Limit: budget,
            ExclusiveStartKey: reached,
          }),
        ),
      );
      for (const item of page.Items ?? []) absent.delete(String(item.sk));
      budget -= page.ScannedCount ?? page.Items?.length ?? 0;
      reached = page.LastEvaluatedKey;
    } while (reached !== undefined && budget > 0);
    if (reached !== undefined) {
      const last = String(reached.sk);
      const unreached = [...absent].filter((sk) => sk > last).map((sk) => ({ pk: orgPk(orgId), sk }));
      for (const item of await batchGetItems(this.client, this.table, unreached, { projection: 'sk' }))
        absent.delete(String(item.sk));
    }
    return refs.filter((ref) => absent.has(auditEventSk(ref)));
  }

  putBatch(batch: SequencedBatch): Promise<boolean> {
    return putIf(this.client, {
      TableName: this.table,
      Item: { pk: orgPk(batch.orgId), sk: auditBatchSk(batch.firstSeq), kind: 'batch', ...batch },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
  }

  async advanceHead(orgId: string, from: AuditChainHead | undefined, to: AuditChainHead): Promise<void> {
    try {
      await guarded(
        this.client.send(
          new PutCommand({
            TableName: this.table,
            // Flagged for the digest run's review (the sparse index `unreviewed`: a Query, not a Scan).
            Item: { pk: orgPk(orgId), sk: AUDIT_HEAD_SK, kind: 'head', ...to, unreviewed: UNREVIEWED_FLAG },
            ...(from === undefined
              ? { ConditionExpression: 'attribute_not_exists(pk)' }
              : { ConditionExpression: 'seq = :seq', ExpressionAttributeValues: { ':seq': from.seq } }),
          }),
        ),
      );
    } catch (error) {
      // Another sequencer rolled this batch forward first: the head is already there or beyond.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}

/** The organization's chain head, read consistently (the sequencer and the log's readers alike). */
export async function readHead(
  client: DynamoDBDocumentClient,
  table: string,
  orgId: string,
): Promise<AuditChainHead | undefined> {
  const item = await getOrgItem(client, table, orgId, AUDIT_HEAD_SK);
  return item === undefined ? undefined : headOf(item);
}

export function headOf(item: Record<string, unknown>): AuditChainHead {
  return {
    seq: Number(item.seq),
    hash: String(item.hash),
    at: String(item.at),
    ...(typeof item.latestAt === 'string' ? { latestAt: item.latestAt } : {}),
  };
}

export function batchOf(item: Record<string, unknown>): SequencedBatch {
  return {
    orgId: String(item.orgId),
    firstSeq: Number(item.firstSeq),
    prevHash: String(item.prevHash),
    refs: (item.refs as unknown[]).map(String),
    hashes: (item.hashes as unknown[]).map(String),
    ...(typeof item.latestAt === 'string' ? { latestAt: item.latestAt } : {}),
  };
}
