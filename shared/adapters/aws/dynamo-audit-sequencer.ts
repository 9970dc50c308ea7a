/**
 * The audit table as the sequencer sees it: the head, the sequenced batches, and the events'
 * positions written onto their items. The batch item is the commit point: whoever writes
 * `SEQ#<firstSeq>` first owns those positions; the head and the events' positions follow from it
 * and are written idempotently, so a sequencer that crashed half-way is rolled forward by the next.
 */
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  GetCommand,
  PutCommand,
  UpdateCommand,
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
import { AUDIT_HEAD_SK, UNREVIEWED_FLAG, auditBatchSk, auditEventSk } from './audit-keys.ts';
import { guarded } from './dynamo-errors.ts';
import { orgPk } from './records-keys.ts';

/** BatchGetItem reads at most 100 keys per call. */
const BATCH_GET_MAX = 100;
/** Updates of one batch's events in flight at once. */
const UPDATE_CONCURRENCY = 16;

export class DynamoAuditSequencerStore implements AuditSequencerStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async head(orgId: string): Promise<AuditChainHead | undefined> {
    const { Item } = await guarded(
      this.client.send(
        new GetCommand({
          TableName: this.table,
          Key: { pk: orgPk(orgId), sk: AUDIT_HEAD_SK },
          ConsistentRead: true,
        }),
      ),
    );
    return Item === undefined
      ? undefined
      : { seq: Number(Item.seq), hash: String(Item.hash), at: String(Item.at) };
  }

  async batchAt(orgId: string, firstSeq: number): Promise<SequencedBatch | undefined> {
    const { Item } = await guarded(
      this.client.send(
        new GetCommand({
          TableName: this.table,
          Key: { pk: orgPk(orgId), sk: auditBatchSk(firstSeq) },
          ConsistentRead: true,
        }),
      ),
    );
    return Item === undefined ? undefined : batchOf(Item);
  }

  async sequencedIds(orgId: string, events: readonly AppendedEvent[]): Promise<ReadonlySet<string>> {
    const sequenced = new Set<string>();
    const keys = [
      ...new Map(
        events.map((e) => [eventRef(e), { pk: orgPk(orgId), sk: auditEventSk(eventRef(e)) }]),
      ).values(),
    ];
    for (let i = 0; i < keys.length; i += BATCH_GET_MAX) {
      let pending: Record<string, unknown>[] | undefined = keys.slice(i, i + BATCH_GET_MAX);
      while (pending !== undefined && pending.length > 0) {
        const result: BatchGetCommandOutput = await guarded(
          this.client.send(
            new BatchGetCommand({
              RequestItems: {
                [this.table]: { Keys: pending, ConsistentRead: true, ProjectionExpression: 'eventId, seq' },
              },
            }),
          ),
        );
        for (const item of result.Responses?.[this.table] ?? [])
          if (item.seq !== undefined) sequenced.add(String(item.eventId));
        pending = result.UnprocessedKeys?.[this.table]?.Keys;
      }
    }
    return sequenced;
  }

  async putBatch(batch: SequencedBatch): Promise<boolean> {
    try {
      await guarded(
        this.client.send(
          new PutCommand({
            TableName: this.table,
            Item: { pk: orgPk(batch.orgId), sk: auditBatchSk(batch.firstSeq), kind: 'batch', ...batch },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        ),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
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

  async markSequenced(batch: SequencedBatch): Promise<readonly string[]> {
    const refused: string[] = [];
    const positions = batch.refs.map((ref, i) => ({
      ref,
      seq: batch.firstSeq + i,
      prevHash: i === 0 ? batch.prevHash : batch.hashes[i - 1]!,
      hash: batch.hashes[i]!,
    }));
    for (let i = 0; i < positions.length; i += UPDATE_CONCURRENCY) {
      await Promise.all(
        positions.slice(i, i + UPDATE_CONCURRENCY).map(async (position) => {
          try {
            await guarded(
              this.client.send(
                new UpdateCommand({
                  TableName: this.table,
                  Key: { pk: orgPk(batch.orgId), sk: auditEventSk(position.ref) },
                  UpdateExpression: 'SET seq = :seq, prevHash = :prev, #hash = :hash',
                  // The item must still be there, unsequenced or sequenced here by an earlier try.
                  ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(seq) OR seq = :seq)',
                  ExpressionAttributeNames: { '#hash': 'hash' },
                  ExpressionAttributeValues: {
                    ':seq': position.seq,
                    ':prev': position.prevHash,
                    ':hash': position.hash,
                  },
                }),
              ),
            );
          } catch (error) {
            if (!(error instanceof ConditionalCheckFailedException)) throw error;
            refused.push(position.ref);
          }
        }),
      );
    }
    return refused;
  }
}

export function batchOf(item: Record<string, unknown>): SequencedBatch {
  return {
    orgId: String(item.orgId),
    firstSeq: Number(item.firstSeq),
    prevHash: String(item.prevHash),
    refs: (item.refs as unknown[]).map(String),
    hashes: (item.hashes as unknown[]).map(String),
  };
}
