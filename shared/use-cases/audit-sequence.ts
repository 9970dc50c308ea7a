/**
 * The sequencer: gives appended audit events their places in their organization's chain, a batch
 * at a time (docs/decisions/0011-audit-sequencer.md). It is fed the events as the audit table's
 * stream delivers them (Lambda's event source mapping in the cloud, the local stream poller in
 * `npm start`), so it chains from what was written, even if the item was deleted meanwhile.
 *
 * Per organization: drop the events a batch already names (a retried delivery), chain the rest
 * after the head, claim their positions with one conditional write per batch, then move the head
 * once past them all. Positions live in the batch only: an event item never changes after its
 * append, and readers join the batch to learn its place.
 * Concurrent sequencers of one organization only ever collide on the batch key; the loser rolls
 * the winner's batch forward and starts over.
 */
import { chainEvents, eventRef, GENESIS_HASH, refAt, type ChainPosition } from '../domain/audit-chain.ts';
import type { AppendedEvent, AuditChainHead, AuditSequencerStore, SequencedBatch } from '../ports/audit.ts';

/**
 * Events per batch item (~130 bytes each: about 33 KB, well below DynamoDB's 400 KB item limit).
 * Tessera's batches hold up to 256 entries too; a delivery of up to 1,000 events is 4 batches.
 */
export const MAX_BATCH_EVENTS = 256;

export interface SequenceSummary {
  readonly sequenced: number;
  /** References whose item was gone when they were chained (deleted before sequencing). */
  readonly refused: readonly string[];
}

export async function sequenceEvents(
  store: AuditSequencerStore,
  events: readonly AppendedEvent[],
): Promise<SequenceSummary> {
  const byOrg = new Map<string, AppendedEvent[]>();
  for (const event of events) {
    const own = byOrg.get(event.orgId);
    if (own === undefined) byOrg.set(event.orgId, [event]);
    else own.push(event);
  }
  let sequenced = 0;
  const refused: string[] = [];
  for (const [orgId, own] of byOrg) {
    const summary = await sequenceOrganization(store, orgId, own);
    sequenced += summary.sequenced;
    refused.push(...summary.refused);
  }
  return { sequenced, refused };
}

/**
 * Every request here waits its turn behind the writers' at the table, so a delivery makes as few
 * round trips as it can, one after another: the head, one conditional write per batch, the head
 * again. A batch already past the head (a sequencer that stopped half-way) makes the first batch
 * write fail, and is rolled forward then; the look-up of deleted events only raises an alarm, so
 * it runs beside the chaining.
 */
async function sequenceOrganization(
  store: AuditSequencerStore,
  orgId: string,
  events: readonly AppendedEvent[],
): Promise<SequenceSummary> {
  const unique = [...new Map(events.map((e) => [e.eventId, e])).values()];
  let sequenced = 0;
  let missing: Promise<readonly string[]> | undefined;
  let head = await store.head(orgId);
  for (;;) {
    // No batch holds an event later than the head's latestAt (it never decreases): when every
    // delivered event is later, none can be a redelivery, and the look back is skipped.
    const earliest = unique.reduce((min, e) => (e.at < min ? e.at : min), '~');
    const fresh = head === undefined || (head.latestAt !== undefined && earliest > head.latestAt);
    const done = fresh ? new Set<string>() : await store.sequencedIds(orgId, unique);
    const todo = unique.filter((e) => !done.has(e.eventId));
    if (todo.length === 0) break;
    if (missing === undefined) {
      missing = store.missing(orgId, todo);
      // Awaited below; until then a failure must not count as unhandled.
      missing.catch(() => undefined);
    }
    const from = head;
    let lost = false;
    for (let i = 0; i < todo.length; i += MAX_BATCH_EVENTS) {
      const chunk = todo.slice(i, i + MAX_BATCH_EVENTS);
      const chained = chainEvents(position(head), chunk);
      const batch: SequencedBatch = {
        orgId,
        firstSeq: position(head).seq + 1,
        prevHash: position(head).hash,
        refs: chained.map(eventRef),
        hashes: chained.map((e) => e.hash),
        latestAt: chunk.reduce((latest, e) => (e.at > latest ? e.at : latest), latestOf(head)),
      };
      if (!(await store.putBatch(batch))) {
        // A batch already starts there (another sequencer's, or one never applied).
        lost = true;
        break;
      }
      head = headAfter(batch);
      sequenced += chunk.length;
    }
    if (head !== from) await store.advanceHead(orgId, from, head!);
    if (!lost) break;
    // Roll that batch (and any after it) forward, then start over from the head it leaves.
    head = await rollForward(store, orgId);
  }
  return { sequenced, refused: missing === undefined ? [] : await missing };
}

/** Applies every batch committed past the head (a sequencer stopped half-way); answers the head. */
async function rollForward(store: AuditSequencerStore, orgId: string): Promise<AuditChainHead | undefined> {
  let head = await store.head(orgId);
  for (;;) {
    const batch = await store.batchAt(orgId, position(head).seq + 1);
    if (batch === undefined) return head;
    head = await apply(store, head, batch);
  }
}

/** Moves the head past a committed batch: the batch is the commit point, the head follows it. */
async function apply(
  store: AuditSequencerStore,
  head: AuditChainHead | undefined,
  batch: SequencedBatch,
): Promise<AuditChainHead> {
  const next = headAfter(batch);
  await store.advanceHead(batch.orgId, head, next);
  return next;
}

/** The head that follows a batch: its last event. */
function headAfter(batch: SequencedBatch): AuditChainHead {
  const last = batch.refs.length - 1;
  return {
    seq: batch.firstSeq + last,
    hash: batch.hashes[last]!,
    at: refAt(batch.refs[last]!),
    ...(batch.latestAt === undefined ? {} : { latestAt: batch.latestAt }),
  };
}

function position(head: AuditChainHead | undefined): ChainPosition {
  return head === undefined ? { seq: 0, hash: GENESIS_HASH } : { seq: head.seq, hash: head.hash };
}

/** The latest event time chained up to `head` (the empty string, before everything, for none). */
function latestOf(head: AuditChainHead | undefined): string {
  return head?.latestAt ?? head?.at ?? '';
}
