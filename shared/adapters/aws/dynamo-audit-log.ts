/**
 * The audit table read and maintained (layout: audit-keys.ts): the filtered, newest-first query
 * behind `GET /audit` over the time-keyed events, the walk of the chain through its sequenced
 * batches for verification and export, digest writes, and the erasure of identifying details.
 * Appends go through the AuditedWriter; positions in the chain through the sequencer.
 *
 * Every walk is a paginated Query (and BatchGets of 100 keys for each batch's events), so memory
 * holds one page, or one batch's events, at a time.
 * Event items never carry their position: every read that shows one joins the batch that names
 * the event (dynamo-audit-positions.ts).
 */
import {
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { BadCursorError } from '../../domain/errors.ts';
import type { SignedDigest, StoredEvent } from '../../domain/audit-digest.ts';
import type {
  AppendWindow,
  AppendedEvent,
  AuditActor,
  AuditChainHead,
  AuditChainStore,
  AuditDraft,
  AuditEvent,
  AuditLog,
  AuditPage,
  AuditQuery,
  AuditWindowQuery,
  EventCensus,
  ListedEvent,
  SequencedBatch,
} from '../../ports/audit.ts';
import type { CheckpointClaim } from '../../ports/checkpoint-claims.ts';
import type { AuditedWriter } from './audited-writer.ts';
import {
  AUDIT_HEAD_SK,
  AUDIT_UNREVIEWED_INDEX,
  BATCH_PREFIX,
  CHECKPOINT_CLAIM_SK,
  DIGEST_PREFIX,
  EVENT_PREFIX,
  UNREVIEWED_FLAG,
  auditBatchSk,
  auditDigestSk,
  auditEventSk,
} from './audit-keys.ts';
import { batchHolding, chainPlaces, placesIn } from './dynamo-audit-positions.ts';
import { batchOf, readHead } from './dynamo-audit-sequencer.ts';
import { queryItems } from './records-table-ops.ts';
import { putIf } from './conditional-put.ts';
import { batchGetItems } from './dynamo-batch-get.ts';
import { guarded, mapDynamoError } from './dynamo-errors.ts';
import { orgPk } from './records-keys.ts';

const EVENT_SK = /^EVT#[^#]+#[0-9A-Za-z]+$/;
/** Attributes of the stored items that are storage, not event. */
const STORAGE_ATTRIBUTES = ['pk', 'sk', 'kind', 'expiresAt'] as const;
/** DynamoDB pages a filtered query reads for one API page before answering a shorter one. */
const MAX_PAGES_PER_QUERY = 10;
/** Batches the stray check keeps at hand: events come in time order, close to chain order. */
const BATCH_CACHE = 8;
/** Events of a time window placed in the chain at a time (one search of the batches each). */
const PLACE_CHUNK = 100;

type Item = Record<string, unknown>;

function withoutStorage<T>(item: Item): T {
  const copy: Item = { ...item };
  for (const key of STORAGE_ATTRIBUTES) delete copy[key];
  return copy as T;
}

export class DynamoAuditLog implements AuditLog, AuditChainStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly writer: AuditedWriter,
  ) {}

  async append(draft: AuditDraft, actor: AuditActor): Promise<void> {
    await this.writer.append(draft, actor);
  }

  /**
   * Newest first, sequenced or not. The time range is the key range (events are keyed by time);
   * the other filters apply after DynamoDB reads, so one call reads pages until it has `limit`
   * matches or has read MAX_PAGES_PER_QUERY pages; `next` is the storage key of the last item
   * examined, and the next page resumes right after it.
   */
  async query(query: AuditQuery): Promise<AuditPage> {
    let beforeSk = query.after;
    if (beforeSk !== undefined && !EVENT_SK.test(beforeSk)) throw new BadCursorError();
    const [lower, upper] = eventRange(query.from, query.to);
    const filtered = query.actor !== undefined || query.action !== undefined || query.resource !== undefined;
    const items: Array<[string, ListedEvent]> = [];
    let lastExamined: string | undefined;
    let exhausted = false;
    for (let page = 0; page < MAX_PAGES_PER_QUERY && items.length < query.limit && !exhausted; page += 1) {
      const top = beforeSk !== undefined && beforeSk < upper ? beforeSk : upper;
      const result = await guarded(
        this.client.send(
          new QueryCommand({
            TableName: this.table,
            KeyConditionExpression: 'pk = :pk AND sk BETWEEN :lower AND :upper',
            ExpressionAttributeValues: { ':pk': orgPk(query.orgId), ':lower': lower, ':upper': top },
            ScanIndexForward: false,
            // BETWEEN is inclusive: the item the previous page stopped at comes back first; skipped below.
            Limit: Math.min(1000, (query.limit - items.length + 1) * (filtered ? 10 : 1)),
          }),
        ),
      );
      for (const item of result.Items ?? []) {
        const sk = String(item.sk);
        if (sk === beforeSk) continue;
        lastExamined = sk;
        const event = withoutStorage<ListedEvent>(item);
        if (matches(event, query)) items.push([sk, event]);
        if (items.length >= query.limit) break;
      }
      if (result.LastEvaluatedKey === undefined && (lastExamined === undefined || items.length < query.limit))
        exhausted = true;
      if (lastExamined !== undefined) beforeSk = lastExamined;
    }
    return {
      items: await this.placed(query.orgId, items),
      next: exhausted || lastExamined === undefined ? null : lastExamined,
    };
  }

  /**
   * One key range of the organization's events: DynamoDB reads the window's events and no others.
   * Actor and source address are filters on that range (read, then dropped), so they narrow the
   * answer, not what is read. Strongly consistent: an event committed before the call is counted.
   */
  async *window(query: AuditWindowQuery): AsyncGenerator<ListedEvent> {
    const [lower, upper] = eventRange(query.from, query.to);
    const filters = [
      ...(query.actor === undefined ? [] : ['actor = :actor']),
      ...(query.sourceIp === undefined ? [] : ['ip = :ip']),
    ];
    const items = queryItems(this.client, {
      TableName: this.table,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :lower AND :upper',
      ExpressionAttributeValues: {
        ':pk': orgPk(query.orgId),
        ':lower': lower,
        ':upper': upper,
        ...(query.actor === undefined ? {} : { ':actor': query.actor }),
        ...(query.sourceIp === undefined ? {} : { ':ip': query.sourceIp }),
      },
      ...(filters.length === 0 ? {} : { FilterExpression: filters.join(' AND ') }),
      ConsistentRead: true,
    });
    let chunk: Array<[string, ListedEvent]> = [];
    for await (const item of items) {
      chunk.push([String(item.sk), withoutStorage<ListedEvent>(item)]);
      if (chunk.length === PLACE_CHUNK) {
        yield* await this.placed(query.orgId, chunk);
        chunk = [];
      }
    }
    yield* await this.placed(query.orgId, chunk);
  }

  /**
   * The events with their place in the chain joined from the batches (the key gives each one's
   * reference); an event no batch names yet stays without one. Items written before positions
   * moved to the batches carry theirs already.
   */
  private async placed(orgId: string, keyed: ReadonlyArray<[string, ListedEvent]>): Promise<ListedEvent[]> {
    const refOf = (sk: string) => sk.slice(EVENT_PREFIX.length);
    const places = await chainPlaces(
      this.client,
      this.table,
      orgId,
      keyed.filter(([, event]) => event.seq === undefined).map(([sk]) => refOf(sk)),
    );
    return keyed.map(([sk, event]) => {
      const place = event.seq === undefined ? places.get(refOf(sk)) : undefined;
      return place === undefined ? event : { ...event, ...place };
    });
  }

  head(orgId: string): Promise<AuditChainHead | undefined> {
    return readHead(this.client, this.table, orgId);
  }

  async *events(orgId: string, afterSeq = 0): AsyncGenerator<StoredEvent> {
    const start =
      afterSeq === 0 ? undefined : await batchHolding(this.client, this.table, orgId, afterSeq + 1);
    const batches = this.range(
      orgId,
      start === undefined ? auditBatchSk(1) : auditBatchSk(start.firstSeq),
      `${BATCH_PREFIX}~`,
    );
    for await (const item of batches) {
      const batch = batchOf(item);
      const items = await this.eventItems(orgId, batch.refs);
      for (const [ref, place] of placesIn(batch)) {
        const found = items.get(auditEventSk(ref));
        // The batch gives the place; anything the item says of its own place (which an appended
        // item never does) overrides it, so a position written onto an item is verified too.
        if (place.seq > afterSeq && found !== undefined)
          yield { event: { ...place, ...withoutStorage<AppendedEvent>(found) }, storedAt: place.seq };
      }
    }
  }

  async census(orgId: string, window: AppendWindow): Promise<EventCensus> {
    const [from, before] = [auditEventSk(window.from), auditEventSk(window.before)];
    const cache: SequencedBatch[] = [];
    let appended = 0;
    for await (const item of this.partition(orgId, EVENT_PREFIX, undefined, 'sk, seq')) {
      const sk = String(item.sk);
      if (sk >= from && sk < before) appended += 1;
      if (item.seq === undefined) continue;
      // A position on the item: written by the sequencer before positions moved to the batches,
      // or forged. Either way the batch there must name this very item.
      const seq = Number(item.seq);
      let batch = cache.find((b) => b.firstSeq <= seq && seq < b.firstSeq + b.refs.length);
      if (batch === undefined) {
        batch = await batchHolding(this.client, this.table, orgId, seq);
        if (batch !== undefined) {
          cache.unshift(batch);
          cache.length = Math.min(cache.length, BATCH_CACHE);
        }
      }
      const ref = batch?.refs[seq - batch.firstSeq];
      if (ref === undefined || auditEventSk(ref) !== sk) return { appended, stray: seq };
    }
    return { appended };
  }

  async *digests(orgId: string): AsyncGenerator<SignedDigest> {
    for await (const item of this.partition(orgId, DIGEST_PREFIX)) yield withoutStorage<SignedDigest>(item);
  }

  async latestDigest(orgId: string): Promise<SignedDigest | undefined> {
    const { Items } = await guarded(
      this.client.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :digest)',
          ExpressionAttributeValues: { ':pk': orgPk(orgId), ':digest': DIGEST_PREFIX },
          ScanIndexForward: false,
          Limit: 1,
          ConsistentRead: true,
        }),
      ),
    );
    const item = Items?.[0];
    return item === undefined ? undefined : withoutStorage<SignedDigest>(item);
  }

  async event(orgId: string, seq: number): Promise<AuditEvent | undefined> {
    const batch = await batchHolding(this.client, this.table, orgId, seq);
    const [ref, place] = batch === undefined ? [] : (placesIn(batch)[seq - batch.firstSeq] ?? []);
    if (ref === undefined || place === undefined) return undefined;
    const { Item } = await guarded(
      this.client.send(
        new GetCommand({
          TableName: this.table,
          Key: { pk: orgPk(orgId), sk: auditEventSk(ref) },
          ConsistentRead: true,
        }),
      ),
    );
    return Item === undefined ? undefined : { ...place, ...withoutStorage<AppendedEvent>(Item) };
  }

  async putDigest(digest: SignedDigest, claim?: CheckpointClaim): Promise<boolean> {
    const put = {
      TableName: this.table,
      Item: { pk: orgPk(digest.orgId), sk: auditDigestSk(digest.headSeq), kind: 'digest', ...digest },
      ConditionExpression: 'attribute_not_exists(pk)',
    };
    if (claim === undefined) return putIf(this.client, put);
    // The digest and a check that the claim is still its signer's, at once: a signer whose claim
    // lapsed while it signed and was taken by another writes nothing (docs/decisions/0021).
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: put },
            {
              ConditionCheck: {
                TableName: this.table,
                Key: { pk: orgPk(digest.orgId), sk: CHECKPOINT_CLAIM_SK },
                ConditionExpression: 'claimedAt = :claimedAt',
                ExpressionAttributeValues: { ':claimedAt': claim.claimedAt },
              },
            },
          ],
        }),
      );
      return true;
    } catch (error) {
      const refused =
        error instanceof TransactionCanceledException &&
        (error.CancellationReasons ?? []).some((reason) => reason.Code === 'ConditionalCheckFailed');
      if (refused) return false;
      throw mapDynamoError(error);
    }
  }

  async *unreviewed(): AsyncGenerator<string> {
    const items = queryItems(this.client, {
      TableName: this.table,
      IndexName: AUDIT_UNREVIEWED_INDEX,
      KeyConditionExpression: 'unreviewed = :flag',
      ExpressionAttributeValues: { ':flag': UNREVIEWED_FLAG },
    });
    for await (const item of items) yield String(item.pk).slice('ORG#'.length);
  }

  /**
   * Rewrites the head as reviewed (without the flag), on condition that it is still the head
   * reviewed: a chain that moved on meanwhile keeps its flag for the next run. A Put, as every
   * function that appends may do; no Update or Delete is needed.
   */
  async markReviewed(orgId: string, head: AuditChainHead): Promise<void> {
    try {
      await guarded(
        this.client.send(
          new PutCommand({
            TableName: this.table,
            Item: {
              pk: orgPk(orgId),
              sk: AUDIT_HEAD_SK,
              kind: 'head',
              seq: head.seq,
              hash: head.hash,
              at: head.at,
              ...(head.latestAt === undefined ? {} : { latestAt: head.latestAt }),
            },
            ConditionExpression: 'seq = :seq AND #hash = :hash',
            ExpressionAttributeNames: { '#hash': 'hash' },
            ExpressionAttributeValues: { ':seq': head.seq, ':hash': head.hash },
          }),
        ),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  /**
   * Rewrites each of the user's events without email, ip and user agent. A Put (not an Update)
   * conditioned on the item as read (its hash when it carries one, as items sequenced before
   * positions moved to the batches do; otherwise that it still exists and carries none): the
   * hashed part is copied unchanged. One that expired meanwhile is left alone. Reads the
   * organization's whole partition (a filtered Query).
   */
  async pseudonymiseActor(orgId: string, userId: string): Promise<number> {
    let changed = 0;
    for await (const found of this.partition(orgId, EVENT_PREFIX, {
      FilterExpression:
        'actor = :user AND (attribute_exists(actorEmail) OR attribute_exists(ip) OR attribute_exists(userAgent))',
      ExpressionAttributeValues: { ':user': userId },
    })) {
      let item: Item | undefined = found;
      for (let attempt = 0; item !== undefined && attempt < 3; attempt += 1) {
        const { actorEmail: _email, ip: _ip, userAgent: _userAgent, ...kept } = item;
        const unchanged =
          item.hash === undefined
            ? { ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(seq)' }
            : {
                ConditionExpression: '#hash = :hash',
                ExpressionAttributeNames: { '#hash': 'hash' },
                ExpressionAttributeValues: { ':hash': item.hash },
              };
        try {
          await guarded(
            this.client.send(new PutCommand({ TableName: this.table, Item: kept, ...unchanged })),
          );
          changed += 1;
          break;
        } catch (error) {
          if (!(error instanceof ConditionalCheckFailedException)) throw error;
          item = (
            await guarded(
              this.client.send(
                new GetCommand({
                  TableName: this.table,
                  Key: { pk: item.pk, sk: item.sk },
                  ConsistentRead: true,
                }),
              ),
            )
          ).Item;
        }
      }
    }
    return changed;
  }

  /** The event items a batch names, by storage key (consistent reads). */
  private async eventItems(orgId: string, refs: readonly string[]): Promise<Map<string, Item>> {
    const keys = [...new Set(refs)].map((ref) => ({ pk: orgPk(orgId), sk: auditEventSk(ref) }));
    const items = await batchGetItems(this.client, this.table, keys);
    return new Map(items.map((item) => [String(item.sk), item]));
  }

  /** Items with `from <= sk <= to`, ascending. */
  private range(orgId: string, from: string, to: string): AsyncGenerator<Item> {
    return queryItems(this.client, {
      TableName: this.table,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':pk': orgPk(orgId), ':from': from, ':to': to },
      ConsistentRead: true,
    });
  }

  private partition(
    orgId: string,
    prefix: string,
    filter?: { FilterExpression: string; ExpressionAttributeValues: Record<string, unknown> },
    projection?: string,
  ): AsyncGenerator<Item> {
    return queryItems(this.client, {
      TableName: this.table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: {
        ':pk': orgPk(orgId),
        ':prefix': prefix,
        ...filter?.ExpressionAttributeValues,
      },
      ...(filter === undefined ? {} : { FilterExpression: filter.FilterExpression }),
      ...(projection === undefined ? {} : { ProjectionExpression: projection }),
      ConsistentRead: true,
    });
  }
}

/**
 * The storage keys of the events from `from` to `to` (inclusive ISO times; open ends when absent).
 * Times compare as strings: both are ISO UTC with milliseconds (toISOString).
 */
function eventRange(from: string | undefined, to: string | undefined): [string, string] {
  return [
    from === undefined ? EVENT_PREFIX : `${EVENT_PREFIX}${from}`,
    to === undefined ? `${EVENT_PREFIX}~` : `${EVENT_PREFIX}${to}#~`,
  ];
}

function matches(event: ListedEvent, query: AuditQuery): boolean {
  if (query.from !== undefined && event.at < query.from) return false;
  if (query.to !== undefined && event.at > query.to) return false;
  if (query.actor !== undefined && event.actor !== query.actor) return false;
  if (query.action !== undefined && event.action !== query.action) return false;
  if (query.resource !== undefined) {
    const [type, id] = query.resource.includes(':')
      ? query.resource.split(':', 2)
      : [undefined, query.resource];
    if (event.resource.id !== id || (type !== undefined && event.resource.type !== type)) return false;
  }
  return true;
}
