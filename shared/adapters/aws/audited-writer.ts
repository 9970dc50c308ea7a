/**
 * Commits a change and its audit event in one TransactWriteItems: the records-table operations,
 * the event, and the organization's chain head (a conditional write that serialises the chain).
 * Either all land or none does. A lost race on the chain head is retried with a fresh head.
 */
import { GetCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import type { AuditActor, AuditDraft, AuditEvent } from '../../ports/audit.ts';
import type { Clock } from '../../ports/clock.ts';
import { GENESIS_HASH, hashEvent } from '../../domain/audit-chain.ts';
import { newId } from '../../domain/ids.ts';
import { orgPk } from './records-keys.ts';
import { mapDynamoError } from './dynamo-errors.ts';

type TransactItem = NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']>[number];
export type WriteOp = TransactItem;

export const AUDIT_HEAD_SK = 'HEAD';
export const auditEventSk = (seq: number): string => `EVT#${String(seq).padStart(12, '0')}`;

interface ChainHead {
  readonly seq: number;
  readonly hash: string;
}

/** Thrown when one of the caller's own conditions failed; `index` is the op's position. */
export class ConditionFailed extends Error {
  constructor(readonly index: number) {
    super(`Condition of operation ${index} failed`);
  }
}

const MAX_CHAIN_ATTEMPTS = 12;

export const DEFAULT_AUDIT_RETENTION_DAYS = 400;

export interface AuditedWriterOptions {
  /** Events expire (DynamoDB TTL on `expiresAt`) this many days after they happened. */
  readonly retentionDays?: number;
}

export class AuditedWriter {
  /** Last head seen per organization: a warm function usually guesses right and skips the read. */
  private readonly heads = new Map<string, ChainHead>();

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly auditTable: string,
    private readonly clock: Clock,
    private readonly options: AuditedWriterOptions = {},
  ) {}

  /**
   * Writes `ops` and the event for `draft` atomically. Throws ConditionFailed when one of `ops`
   * had its condition fail (nothing written); retries internally when another writer advanced
   * the chain first.
   */
  async commit(ops: readonly WriteOp[], draft: AuditDraft, actor: AuditActor): Promise<AuditEvent> {
    if (ops.length + 2 > 100) throw new Error('A transaction holds at most 98 operations beside its audit event');
    for (let attempt = 1; ; attempt += 1) {
      const head = this.heads.get(draft.orgId) ?? (await this.readHead(draft.orgId));
      const event = this.buildEvent(draft, actor, head);
      try {
        await this.client.send(
          new TransactWriteCommand({
            TransactItems: [...ops, this.putEvent(event), this.advanceHead(draft.orgId, head, event)],
          }),
        );
        this.heads.set(draft.orgId, { seq: event.seq, hash: event.hash });
        return event;
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw mapDynamoError(error);
        const reasons = error.CancellationReasons ?? [];
        const failedOwn = reasons.slice(0, ops.length).findIndex((r) => r.Code === 'ConditionalCheckFailed');
        if (failedOwn >= 0) throw new ConditionFailed(failedOwn);
        const chainConflict = reasons.slice(ops.length).some((r) => r.Code === 'ConditionalCheckFailed' || r.Code === 'TransactionConflict');
        const ownConflict = reasons.slice(0, ops.length).some((r) => r.Code === 'TransactionConflict');
        if ((!chainConflict && !ownConflict) || attempt >= MAX_CHAIN_ATTEMPTS) throw mapDynamoError(error);
        this.heads.delete(draft.orgId);
        await sleep(Math.random() * Math.min(200, 5 * 2 ** attempt));
      }
    }
  }

  /** Appends an event without a records change (reads of protected data, security events). */
  append(draft: AuditDraft, actor: AuditActor): Promise<AuditEvent> {
    return this.commit([], draft, actor);
  }

  /** Forgets cached heads (tests that rewrite the table behind the writer's back). */
  forget(orgId: string): void {
    this.heads.delete(orgId);
  }

  private async readHead(orgId: string): Promise<ChainHead> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.auditTable, Key: { pk: orgPk(orgId), sk: AUDIT_HEAD_SK }, ConsistentRead: true }),
    );
    if (Item === undefined) return { seq: 0, hash: GENESIS_HASH };
    return { seq: Number(Item.seq), hash: String(Item.hash) };
  }

  private buildEvent(draft: AuditDraft, actor: AuditActor, head: ChainHead): AuditEvent {
    const base = {
      eventId: newId(),
      orgId: draft.orgId,
      seq: head.seq + 1,
      at: this.clock.now().toISOString(),
      actor: actor.userId,
      action: draft.action,
      resource: draft.resource,
      outcome: draft.outcome,
      changes: draft.changes,
      detail: draft.detail,
      requestId: actor.requestId,
      prevHash: head.hash,
    };
    return { ...base, hash: hashEvent(base), actorEmail: actor.email, ip: actor.sourceIp, userAgent: actor.userAgent };
  }

  private putEvent(event: AuditEvent): TransactItem {
    return {
      Put: {
        TableName: this.auditTable,
        Item: { pk: orgPk(event.orgId), sk: auditEventSk(event.seq), kind: 'event', ...event, expiresAt: this.expiresAt(event.at) },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    };
  }

  /** Epoch seconds, as DynamoDB TTL wants them; outside the hash (retention may change). */
  private expiresAt(at: string): number {
    const days = this.options.retentionDays ?? DEFAULT_AUDIT_RETENTION_DAYS;
    return Math.floor(Date.parse(at) / 1000) + days * 24 * 60 * 60;
  }

  private advanceHead(orgId: string, head: ChainHead, event: AuditEvent): TransactItem {
    return {
      Put: {
        TableName: this.auditTable,
        Item: { pk: orgPk(orgId), sk: AUDIT_HEAD_SK, kind: 'head', seq: event.seq, hash: event.hash, at: event.at },
        ...(head.seq === 0
          ? { ConditionExpression: 'attribute_not_exists(pk)' }
          : { ConditionExpression: 'seq = :seq', ExpressionAttributeValues: { ':seq': head.seq } }),
      },
    };
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
