/**
 * Where events sit in their organization's chain, read from the sequenced batches that name them:
 * event items never carry their position (docs/decisions/0018-audit-positions-in-batches.md), so
 * a reader that lists events by time joins the batches. Batches are found by `latestAt`, the
 * latest event time chained so far, which never decreases along the chain: the batches that may
 * hold an event appended at `t` start at the first whose `latestAt` reaches `t`, and in practice
 * end a few seconds later.
 */
import { GetCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { refAt, SEQUENCER_LAG_BOUND_MS, type ChainPlace } from '../../domain/audit-chain.ts';
import type { SequencedBatch } from '../../ports/audit.ts';
import { AUDIT_HEAD_SK, BATCH_PREFIX, auditBatchSk } from './audit-keys.ts';
import { batchOf } from './dynamo-audit-sequencer.ts';
import { guarded } from './dynamo-errors.ts';
import { orgPk } from './records-keys.ts';
import { queryItems } from './records-table-ops.ts';

/** The first step back from the head when looking for where a time starts; doubled each step. */
const FIRST_STEP = 64;
/** Batches per page of the forward read: the events of a page are usually in the first few. */
const BATCHES_PER_PAGE = 8;

/** The batch whose positions include `seq`: the last one starting at or before it. */
export async function batchHolding(
  client: DynamoDBDocumentClient,
  table: string,
  orgId: string,
  seq: number,
): Promise<SequencedBatch | undefined> {
  const { Items } = await guarded(
    client.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :first AND :at',
        ExpressionAttributeValues: { ':pk': orgPk(orgId), ':first': BATCH_PREFIX, ':at': auditBatchSk(seq) },
        ScanIndexForward: false,
        Limit: 1,
        ConsistentRead: true,
      }),
    ),
  );
  const item = Items?.[0];
  return item === undefined ? undefined : batchOf(item);
}

/** The place each event of a batch has in the chain, by the event's reference. */
export function placesIn(batch: SequencedBatch): Array<[string, ChainPlace]> {
  return batch.refs.map((ref, i) => [
    ref,
    {
      seq: batch.firstSeq + i,
      prevHash: i === 0 ? batch.prevHash : batch.hashes[i - 1]!,
      hash: batch.hashes[i]!,
    },
  ]);
}

/**
 * The places of the events with these references (`<at>#<eventId>`); an event no batch names yet
 * (appended moments ago) is absent from the answer. Reads a few batches back from the head to
 * find where the earliest event's time starts (doubling steps, then halving), then the batches
 * from there until every event is found or the batches are past the latest event's time by the
 * sequencer's lag bound.
 */
export async function chainPlaces(
  client: DynamoDBDocumentClient,
  table: string,
  orgId: string,
  refs: readonly string[],
): Promise<Map<string, ChainPlace>> {
  const places = new Map<string, ChainPlace>();
  if (refs.length === 0) return places;
  const wanted = new Set(refs);
  const times = refs.map(refAt);
  const earliest = times.reduce((a, b) => (b < a ? b : a));
  const stopAfter = new Date(Date.parse(times.reduce((a, b) => (b > a ? b : a))) + SEQUENCER_LAG_BOUND_MS);
  const start = await firstBatchReaching(client, table, orgId, earliest);
  if (start === undefined) return places;
  const batches = queryItems(client, {
    TableName: table,
    KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
    ExpressionAttributeValues: {
      ':pk': orgPk(orgId),
      ':from': auditBatchSk(start),
      ':to': `${BATCH_PREFIX}~`,
    },
    Limit: BATCHES_PER_PAGE,
    ConsistentRead: true,
  });
  for await (const item of batches) {
    const batch = batchOf(item);
    for (const [ref, place] of placesIn(batch)) if (wanted.has(ref)) places.set(ref, place);
    if (places.size === wanted.size) break;
    if (batch.latestAt !== undefined && Date.parse(batch.latestAt) > stopAfter.getTime()) break;
  }
  return places;
}

/**
 * The first position of the first batch whose `latestAt` reaches `at`, or undefined when none
 * does (nothing that late is sequenced yet). Batches without `latestAt` (written before it
 * existed) count as earlier than every time: their events carry their position themselves.
 */
async function firstBatchReaching(
  client: DynamoDBDocumentClient,
  table: string,
  orgId: string,
  at: string,
): Promise<number | undefined> {
  const reaches = (batch: SequencedBatch): boolean => batch.latestAt !== undefined && batch.latestAt >= at;
  const probe = (seq: number) => batchHolding(client, table, orgId, seq);
  const { Item: head } = await guarded(
    client.send(
      new GetCommand({
        TableName: table,
        Key: { pk: orgPk(orgId), sk: AUDIT_HEAD_SK },
        ProjectionExpression: 'seq',
        ConsistentRead: true,
      }),
    ),
  );
  if (head === undefined) return undefined;
  const last = await probe(Number(head.seq));
  if (last === undefined || !reaches(last)) return undefined;
  // Invariant: the batch starting at `hi` reaches `at`; no position before `lo` is in one that does.
  let hi = last.firstSeq;
  let lo = 1;
  for (let step = FIRST_STEP; hi - step >= 1; step *= 2) {
    const batch = await probe(hi - step);
    if (batch === undefined) break;
    if (!reaches(batch)) {
      lo = batch.firstSeq + batch.refs.length;
      break;
    }
    hi = batch.firstSeq;
  }
  while (lo < hi) {
    const batch = await probe(Math.floor((lo + hi) / 2));
    if (batch === undefined) break;
    if (reaches(batch)) hi = batch.firstSeq;
    else lo = batch.firstSeq + batch.refs.length;
  }
  return hi;
}
