/**
 * Commits a change and its audit event in one TransactWriteItems: the records-table operations,
 * the event, and the organization's chain head (a conditional write that serialises the chain).
 * Either all land or none does. A lost race on the chain head is retried with a fresh head.
 */
import { GetCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TransactionCanceledException, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { IntegrityError, UnavailableError } from '../../domain/errors.ts';
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

/**
 * How long a writer keeps taking turns on a contended chain head before answering 429. A budget
 * of time rather than of attempts: under load each attempt is slower, not less likely to win.
 * Well below API Gateway's 29 s.
 */
const CHAIN_BUDGET_MS = 15_000;
/**
 * The jitter between turns does not grow with lost turns: a growing window favours writers that
 * just won (their window is small again) and starves the ones that lost most.
 */
const JITTER_MS = 40;

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
    const [event] = await this.commitEach(ops, [draft], actor);
    return event!;
  }

  /**
   * Writes `ops` and one chained event per draft atomically (a batch of changes that each need
   * their own event, e.g. one per job erased by retention), all of one organization.
   */
  async commitEach(ops: readonly WriteOp[], drafts: readonly AuditDraft[], actor: AuditActor): Promise<AuditEvent[]> {
    const orgId = drafts[0]?.orgId;
    if (orgId === undefined || drafts.some((d) => d.orgId !== orgId)) throw new Error('A commit carries events of exactly one organization');
    const eventCount = drafts.length;
    if (ops.length + eventCount + 1 > 100) throw new Error('A transaction holds at most 100 operations, its audit events and chain head included');
    const deadline = Date.now() + CHAIN_BUDGET_MS;
    for (;;) {
      const head = this.heads.get(orgId) ?? (await this.readHead(orgId));
      const events: AuditEvent[] = [];
      for (const draft of drafts) events.push(this.buildEvent(draft, actor, events.at(-1) ?? head));
      const last = events.at(-1)!;
      try {
        await this.client.send(
          new TransactWriteCommand({
            TransactItems: [...ops, ...events.map((event) => this.putEvent(event)), this.advanceHead(orgId, head, last)],
          }),
        );
        this.heads.set(orgId, { seq: last.seq, hash: last.hash });
        return events;
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw mapDynamoError(error);
        const reasons = error.CancellationReasons ?? [];
        const failedOwn = reasons.slice(0, ops.length).findIndex((r) => r.Code === 'ConditionalCheckFailed');
        if (failedOwn >= 0) throw new ConditionFailed(failedOwn);
        const eventReasons = reasons.slice(ops.length, ops.length + eventCount);
        const headReason = reasons[ops.length + eventCount];
        const eventTaken = eventReasons.some((r) => r.Code === 'ConditionalCheckFailed');
        if (eventTaken && headReason?.Code !== 'ConditionalCheckFailed' && headReason?.Code !== 'TransactionConflict') {
          // The head is where we expected it, yet the next event's key is taken: retrying cannot help.
          throw new IntegrityError('The audit chain holds an event beyond its head');
        }
        const chainConflict = [...eventReasons, headReason].some((r) => r?.Code === 'ConditionalCheckFailed' || r?.Code === 'TransactionConflict');
        const ownConflict = reasons.slice(0, ops.length).some((r) => r.Code === 'TransactionConflict');
        if (!chainConflict && !ownConflict) throw mapDynamoError(error);
        // The chain is one item per organization: many writers at once take turns. Out of turns,
        // the caller gets a retryable 429 rather than a 500.
        if (Date.now() >= deadline) throw new UnavailableError(1, true);
        // A lost race returns the winner's head with the failure: no read needed for the next try.
        const winner = headOf(headReason?.Item);
        if (winner !== undefined) this.heads.set(orgId, winner);
        else this.heads.delete(orgId);
        await sleep(Math.random() * JITTER_MS);
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
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    };
  }
}

/** The head in a cancellation reason (raw attribute values: errors are not unmarshalled). */
function headOf(item: Record<string, AttributeValue> | undefined): ChainHead | undefined {
  const seq = item?.seq?.N;
  const hash = item?.hash?.S;
  return seq === undefined || hash === undefined ? undefined : { seq: Number(seq), hash };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
