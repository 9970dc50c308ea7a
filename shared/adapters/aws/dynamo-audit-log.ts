/**
 * The audit table read and maintained: the filtered, newest-first query behind
 * `GET /audit`, the ascending walk of the chain and its digests for verification and export,
 * digest writes, and the erasure of identifying details. Appends go through the AuditedWriter.
 *
 *   pk          sk                    what
 *   ORG#<org>   DIGEST#<headSeq 12>   a signed digest of the chain up to headSeq
 *   ORG#<org>   EVT#<seq 12>          an event (TTL: expiresAt)
 *   ORG#<org>   HEAD                  the chain head {seq, hash, at}
 *
 * Index byOrgTime (orgId, at): events only (digests have no `at`, the head no `orgId`), for
 * reading one time window of an organization without walking the rest of its log.
 *
 * Every walk is a paginated Query, so memory holds one page at a time.
 */
import { GetCommand, PutCommand, QueryCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { openCursor, sealCursor } from '../../domain/cursor.ts';
import { BadCursorError } from '../../domain/errors.ts';
import type { SignedDigest, StoredEvent } from '../../domain/audit-digest.ts';
import type { AuditActor, AuditChainHead, AuditChainStore, AuditDraft, AuditEvent, AuditLog, AuditQuery, AuditWindowQuery, Page } from '../../ports/audit.ts';
import { AUDIT_HEAD_SK, auditEventSk, type AuditedWriter } from './audited-writer.ts';
import { queryItems } from './records-table-ops.ts';
import { guarded } from './dynamo-errors.ts';
import { orgPk } from './records-keys.ts';

export const auditDigestSk = (headSeq: number): string => `DIGEST#${String(headSeq).padStart(12, '0')}`;
const EVENT_PREFIX = 'EVT#';
const DIGEST_PREFIX = 'DIGEST#';
const EVENT_SK = /^EVT#(\d{12})$/;
/** The index on (orgId, at); see infra/resources.ts. */
export const AUDIT_BY_ORG_TIME = 'byOrgTime';
/** Attributes of the stored items that are storage, not event. */
const STORAGE_ATTRIBUTES = ['pk', 'sk', 'kind', 'expiresAt'] as const;

/**
 * Events are appended in sequence order with the writer's clock, so `at` grows with the sequence
 * up to the clock skew between writers; a newest-first walk may stop this long after passing `from`.
 */
const CLOCK_SKEW_MS = 5 * 60 * 1000;
/** DynamoDB pages a filtered query reads for one API page before answering a shorter one. */
const MAX_PAGES_PER_QUERY = 10;

type Item = Record<string, unknown>;

function eventOf(item: Item): AuditEvent {
  const copy: Item = { ...item };
  for (const key of STORAGE_ATTRIBUTES) delete copy[key];
  return copy as unknown as AuditEvent;
}

function digestOf(item: Item): SignedDigest {
  const copy: Item = { ...item };
  for (const key of STORAGE_ATTRIBUTES) delete copy[key];
  return copy as unknown as SignedDigest;
}

/** The position an event item's key names; NaN for a key that is not a well-formed event key. */
export function storedPosition(sk: unknown): number {
  const match = typeof sk === 'string' ? EVENT_SK.exec(sk) : null;
  return match === null ? Number.NaN : Number(match[1]);
}

export class DynamoAuditLog implements AuditLog, AuditChainStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly writer: AuditedWriter,
    private readonly cursorSecret: string,
  ) {}

  async append(draft: AuditDraft, actor: AuditActor): Promise<void> {
    await this.writer.append(draft, actor);
  }

  /**
   * Newest first. Filters apply after DynamoDB reads, so one call reads pages until it has `limit`
   * matches, passes the start of the time range, or has read MAX_PAGES_PER_QUERY pages; the cursor
   * resumes right after the last item examined.
   */
  async query(query: AuditQuery): Promise<Page<AuditEvent>> {
    const scope = `audit:${query.orgId}`;
    let startSk: string | undefined;
    if (query.cursor !== undefined) {
      const opened = openCursor(this.cursorSecret, scope, query.cursor);
      if (typeof opened.sk !== 'string' || !EVENT_SK.test(opened.sk)) throw new BadCursorError();
      startSk = opened.sk;
    }
    const from = query.from === undefined ? undefined : Date.parse(query.from);
    const filtered = query.from !== undefined || query.to !== undefined || query.actor !== undefined || query.action !== undefined || query.resource !== undefined;
    const items: AuditEvent[] = [];
    let lastExamined: string | undefined;
    let exhausted = false;
    for (let page = 0; page < MAX_PAGES_PER_QUERY && items.length < query.limit && !exhausted; page += 1) {
      const result = await guarded(
        this.client.send(
          new QueryCommand({
            TableName: this.table,
            KeyConditionExpression: startSk === undefined ? 'pk = :pk AND begins_with(sk, :evt)' : 'pk = :pk AND sk BETWEEN :evt AND :before',
            ExpressionAttributeValues: {
              ':pk': orgPk(query.orgId),
              ':evt': EVENT_PREFIX,
              // BETWEEN is inclusive: the cursor's own item is skipped below.
              ...(startSk === undefined ? {} : { ':before': startSk }),
            },
            ScanIndexForward: false,
            // The cursor's own item comes back first; with filters, read ahead more per page.
            Limit: Math.min(1000, (query.limit - items.length + 1) * (filtered ? 10 : 1)),
          }),
        ),
      );
      for (const item of result.Items ?? []) {
        const sk = String(item.sk);
        if (sk === startSk) continue;
        lastExamined = sk;
        const event = eventOf(item);
        if (from !== undefined && Date.parse(event.at) < from - CLOCK_SKEW_MS) {
          exhausted = true;
          break;
        }
        if (matches(event, query)) items.push(event);
        if (items.length >= query.limit) break;
      }
      if (result.LastEvaluatedKey === undefined) exhausted = true;
      if (lastExamined !== undefined) startSk = lastExamined;
    }
    const nextCursor = exhausted || lastExamined === undefined ? null : sealCursor(this.cursorSecret, scope, { sk: lastExamined });
    return { items, nextCursor };
  }

  /**
   * A key range of the time index: DynamoDB reads the window's events and no others. Actor and
   * source address are filters on that range (read, then dropped), so they narrow the answer, not
   * what is read. Times compare as strings: both are ISO UTC with milliseconds (toISOString).
   * The index is eventually consistent: an event of the last moment may still be on its way.
   */
  async *window(query: AuditWindowQuery): AsyncGenerator<AuditEvent> {
    const filters = [...(query.actor === undefined ? [] : ['actor = :actor']), ...(query.sourceIp === undefined ? [] : ['ip = :ip'])];
    const items = queryItems(this.client, {
      TableName: this.table,
      IndexName: AUDIT_BY_ORG_TIME,
      KeyConditionExpression: 'orgId = :org AND #at BETWEEN :from AND :to',
      ExpressionAttributeNames: { '#at': 'at' },
      ExpressionAttributeValues: {
        ':org': query.orgId,
        ':from': query.from,
        ':to': query.to,
        ...(query.actor === undefined ? {} : { ':actor': query.actor }),
        ...(query.sourceIp === undefined ? {} : { ':ip': query.sourceIp }),
      },
      ...(filters.length === 0 ? {} : { FilterExpression: filters.join(' AND ') }),
    });
    // Only events carry both keys today; anything else the index may come to hold is not an event.
    for await (const item of items) if (item.kind === 'event') yield eventOf(item);
  }

  async head(orgId: string): Promise<AuditChainHead | undefined> {
    const { Item } = await guarded(this.client.send(new GetCommand({ TableName: this.table, Key: { pk: orgPk(orgId), sk: AUDIT_HEAD_SK }, ConsistentRead: true })));
    return Item === undefined ? undefined : { seq: Number(Item.seq), hash: String(Item.hash), at: String(Item.at) };
  }

  async *events(orgId: string, afterSeq?: number): AsyncGenerator<StoredEvent> {
    const items = afterSeq === undefined ? this.partition(orgId, EVENT_PREFIX) : this.range(orgId, auditEventSk(afterSeq + 1), `${EVENT_PREFIX}~`);
    for await (const item of items) {
      yield { event: eventOf(item), storedAt: storedPosition(item.sk) };
    }
  }

  async *digests(orgId: string): AsyncGenerator<SignedDigest> {
    for await (const item of this.partition(orgId, DIGEST_PREFIX)) yield digestOf(item);
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
    return item === undefined ? undefined : digestOf(item);
  }

  async event(orgId: string, seq: number): Promise<AuditEvent | undefined> {
    const { Item } = await guarded(this.client.send(new GetCommand({ TableName: this.table, Key: { pk: orgPk(orgId), sk: auditEventSk(seq) }, ConsistentRead: true })));
    return Item === undefined ? undefined : eventOf(Item);
  }

  async putDigest(digest: SignedDigest): Promise<boolean> {
    try {
      await guarded(
        this.client.send(
          new PutCommand({
            TableName: this.table,
            Item: { pk: orgPk(digest.orgId), sk: auditDigestSk(digest.headSeq), kind: 'digest', ...digest },
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

  /**
   * A Scan of the whole audit table keeping only HEAD items: it reads (and is billed for) every
   * event too, about 1 RCU per 8 KB scanned (eventually consistent). The digest schedule runs it
   * hourly; at 1 KB per event that is ~125k RCU per 1 GB of audit table per run. A sparse index on
   * the head items would make it one Query per page of organizations.
   */
  async *heads(): AsyncGenerator<{ orgId: string } & AuditChainHead> {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await guarded(
        this.client.send(
          new ScanCommand({
            TableName: this.table,
            FilterExpression: 'sk = :head',
            ProjectionExpression: 'pk, seq, #hash, #at',
            ExpressionAttributeNames: { '#hash': 'hash', '#at': 'at' },
            ExpressionAttributeValues: { ':head': AUDIT_HEAD_SK },
            ExclusiveStartKey: startKey,
          }),
        ),
      );
      for (const item of page.Items ?? []) {
        yield { orgId: String(item.pk).slice('ORG#'.length), seq: Number(item.seq), hash: String(item.hash), at: String(item.at) };
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
  }

  /**
   * Rewrites each of the user's events without email, ip and user agent. A Put (not an Update)
   * conditioned on the stored hash: the hashed part is copied unchanged, and an event that changed
   * or expired meanwhile is left alone. Reads the organization's whole partition (a filtered Query).
   */
  async pseudonymiseActor(orgId: string, userId: string): Promise<number> {
    let changed = 0;
    for await (const item of this.partition(orgId, EVENT_PREFIX, {
      FilterExpression: 'actor = :user AND (attribute_exists(actorEmail) OR attribute_exists(ip) OR attribute_exists(userAgent))',
      ExpressionAttributeValues: { ':user': userId },
    })) {
      const { actorEmail: _email, ip: _ip, userAgent: _userAgent, ...kept } = item;
      try {
        await guarded(
          this.client.send(
            new PutCommand({
              TableName: this.table,
              Item: kept,
              ConditionExpression: '#hash = :hash',
              ExpressionAttributeNames: { '#hash': 'hash' },
              ExpressionAttributeValues: { ':hash': item.hash },
            }),
          ),
        );
        changed += 1;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    }
    return changed;
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
  ): AsyncGenerator<Item> {
    return queryItems(this.client, {
      TableName: this.table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': orgPk(orgId), ':prefix': prefix, ...filter?.ExpressionAttributeValues },
      ...(filter === undefined ? {} : { FilterExpression: filter.FilterExpression }),
      ConsistentRead: true,
    });
  }
}

function matches(event: AuditEvent, query: AuditQuery): boolean {
  if (query.from !== undefined && event.at < query.from) return false;
  if (query.to !== undefined && event.at > query.to) return false;
  if (query.actor !== undefined && event.actor !== query.actor) return false;
  if (query.action !== undefined && event.action !== query.action) return false;
  if (query.resource !== undefined) {
    const [type, id] = query.resource.includes(':') ? query.resource.split(':', 2) : [undefined, query.resource];
    if (event.resource.id !== id || (type !== undefined && event.resource.type !== type)) return false;
  }
  return true;
}
