/**
 * Commits a change and its audit event in one TransactWriteItems: the records-table operations and
 * the event, under a key of its own (its time and id). Either both land or neither does. Nothing
 * here is shared between writers of an organization: the event's place in the chain is given
 * later by the sequencer (docs/decisions/0011-audit-sequencer.md), so writers never take turns.
 */
import { PutCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { UnavailableError } from '../../domain/errors.ts';
import { InputsChanged, type Unchanged } from '../../ports/access-reads.ts';
import type { AppendedEvent, AuditActor, AuditDraft, AuditEntry } from '../../ports/audit.ts';
import type { Clock } from '../../ports/clock.ts';
import { eventRef } from '../../domain/audit-chain.ts';
import { newId } from '../../domain/ids.ts';
import { auditEventSk } from './audit-keys.ts';
import { orgPk } from './records-keys.ts';
import { mapDynamoError } from './dynamo-errors.ts';

type TransactItem = NonNullable<
  ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']
>[number];
export type WriteOp = TransactItem;

/** A ConditionCheck that proves an item unchanged, handed through the use cases as an `Unchanged`. */
export const unchangedCheck = (check: Pick<WriteOp, 'ConditionCheck'>): Unchanged => check as Unchanged;

/** Thrown when one of the caller's own conditions failed; `index` is the op's position. */
export class ConditionFailed extends Error {
  constructor(readonly index: number) {
    super(`Condition of operation ${index} failed`);
  }
}

/**
 * How long a writer retries a transaction that collided with another one on the caller's own
 * items (TransactionConflict) before answering 429. The event's own key is unique: it never
 * collides.
 */
const CONFLICT_BUDGET_MS = 5_000;
const JITTER_MS = 40;

export const DEFAULT_AUDIT_RETENTION_DAYS = 400;

export interface AuditedWriterOptions {
  /** Events expire (DynamoDB TTL on `expiresAt`) this many days after they happened. */
  readonly retentionDays?: number;
}

export class AuditedWriter {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly auditTable: string,
    private readonly clock: Clock,
    private readonly options: AuditedWriterOptions = {},
  ) {}

  /**
   * Writes `ops` and the event for `draft` atomically. Throws ConditionFailed when one of `ops`
   * had its condition fail (nothing written).
   */
  async commit(ops: readonly WriteOp[], draft: AuditDraft, actor: AuditActor): Promise<AppendedEvent> {
    const [event] = await this.commitEach(ops, [draft], actor);
    return event!;
  }

  /**
   * Writes `ops` and one event per draft atomically (a batch of changes that each need their own
   * event, e.g. one per job erased by retention), all of one organization.
   */
  async commitEach(
    ops: readonly WriteOp[],
    drafts: readonly AuditDraft[],
    actor: AuditActor,
  ): Promise<AppendedEvent[]> {
    const orgId = drafts[0]?.orgId;
    if (orgId === undefined || drafts.some((d) => d.orgId !== orgId))
      throw new Error('A commit carries events of exactly one organization');
    if (ops.length + drafts.length > 100)
      throw new Error('A transaction holds at most 100 operations, its audit events included');
    const events = drafts.map((draft) => this.buildEvent(draft, actor));
    await this.transact(ops, events);
    return events;
  }

  /**
   * Appends an event without a records change (reads of protected data, security events): the
   * event item alone, so one conditional PutItem, not a transaction (half the write units).
   */
  async append(draft: AuditDraft, actor: AuditActor): Promise<AppendedEvent> {
    const event = this.buildEvent(draft, actor);
    try {
      await this.client.send(
        new PutCommand({ ...this.eventPut(event), ReturnValuesOnConditionCheckFailure: 'ALL_OLD' }),
      );
    } catch (error) {
      // A PutItem has no idempotency token: when the SDK retried one that had landed (a 500 or a
      // reset after the write), the item found is this very event, which is success. Its key is
      // fresh, so no transaction holds it: there is no conflict to wait out.
      const landed =
        error instanceof ConditionalCheckFailedException &&
        storedEventId(error.Item?.eventId) === event.eventId;
      if (!landed) throw mapDynamoError(error);
    }
    return event;
  }

  /**
   * Appends the event of `entry` (if any) only if every condition of `unchanged` still holds, in
   * one TransactWriteItems; without an event the conditions are committed alone. Throws
   * InputsChanged when one failed (nothing written): the answer decided on them must not be served.
   * With no condition to prove, the event is appended alone (one PutItem).
   */
  async appendIfUnchanged(unchanged: readonly Unchanged[], entry?: AuditEntry): Promise<void> {
    if (unchanged.length === 0) {
      if (entry !== undefined) await this.append(entry.draft, entry.actor);
      return;
    }
    try {
      const events = entry === undefined ? [] : [this.buildEvent(entry.draft, entry.actor)];
      await this.transact(unchanged as readonly WriteOp[], events);
    } catch (error) {
      if (error instanceof ConditionFailed) throw new InputsChanged();
      throw error;
    }
  }

  private transact(ops: readonly WriteOp[], events: readonly AppendedEvent[]): Promise<void> {
    return untilNoConflict(async () => {
      try {
        await this.client.send(
          new TransactWriteCommand({
            TransactItems: [...ops, ...events.map((event) => ({ Put: this.eventPut(event) }))],
          }),
        );
        return true;
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw mapDynamoError(error);
        const reasons = error.CancellationReasons ?? [];
        const failedOwn = reasons.slice(0, ops.length).findIndex((r) => r.Code === 'ConditionalCheckFailed');
        if (failedOwn >= 0) throw new ConditionFailed(failedOwn);
        if (reasons.some((r) => r.Code === 'TransactionConflict')) return false;
        throw mapDynamoError(error);
      }
    });
  }

  private buildEvent(draft: AuditDraft, actor: AuditActor): AppendedEvent {
    return {
      eventId: newId(),
      orgId: draft.orgId,
      at: this.clock.now().toISOString(),
      actor: actor.userId,
      action: draft.action,
      resource: draft.resource,
      outcome: draft.outcome,
      ...(draft.changes === undefined ? {} : { changes: draft.changes }),
      ...(draft.detail === undefined ? {} : { detail: draft.detail }),
      requestId: actor.requestId,
      actorEmail: actor.email,
      ip: actor.sourceIp,
      userAgent: actor.userAgent,
    };
  }

  /** A key of its own: the condition only guards against an id collision, it contends with nothing. */
  private eventPut(event: AppendedEvent) {
    return {
      TableName: this.auditTable,
      Item: {
        pk: orgPk(event.orgId),
        sk: auditEventSk(eventRef(event)),
        kind: 'event',
        ...event,
        expiresAt: this.expiresAt(event.at),
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    };
  }

  /** Epoch seconds, as DynamoDB TTL wants them; outside the hash (retention may change). */
  private expiresAt(at: string): number {
    const days = this.options.retentionDays ?? DEFAULT_AUDIT_RETENTION_DAYS;
    return Math.floor(Date.parse(at) / 1000) + days * 24 * 60 * 60;
  }
}

/**
 * Runs `attempt` until it lands (true) rather than meets a conflict (false), with jitter between
 * tries; past the budget the caller is told to retry later (429). Anything else it throws.
 */
async function untilNoConflict(attempt: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + CONFLICT_BUDGET_MS;
  while (!(await attempt())) {
    if (Date.now() >= deadline) throw new UnavailableError(1, true);
    await sleep(Math.random() * JITTER_MS);
  }
}

/** The event id an exception's item holds, whether it came back marshalled or not. */
function storedEventId(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  const marshalled = (value as { S?: unknown } | undefined)?.S;
  return typeof marshalled === 'string' ? marshalled : undefined;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
