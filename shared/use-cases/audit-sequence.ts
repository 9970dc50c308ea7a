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
  /**
   * References whose item was gone when the delivery was handled (deleted before it was
   * sequenced, or a redelivered event deleted since): the batch still chains them.
   */
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
 * round trips as it can, one after another: the head (read together with the check that the
 * delivered events still exist), one conditional write per batch, the head again. The check comes
 * before any write, so a delivery that fails at any step is checked again when it is redelivered.
 */
async function sequenceOrganization(
  store: AuditSequencerStore,
  orgId: string,
  events: readonly AppendedEvent[],
): Promise<SequenceSummary> {
  const unique = [...new Map(events.map((e) => [e.eventId, e])).values()];
  const earliest = unique.reduce((min, e) => (e.at < min ? e.at : min), '~');
  const [first, refused] = await Promise.all([store.head(orgId), store.missing(orgId, unique)]);
  let head = first;
  let sequenced = 0;
  for (;;) {
    // The head's latestAt is the latest event time of every batch up to it (it never decreases):
    // when every delivered event is later, none is named there, and the look back is skipped. A
    // batch past the head (a sequencer that stopped before its head write) may still name them:
    // the first batch write then meets its key, and the loop rolls it forward and looks again.
    const fresh = head === undefined || (head.latestAt !== undefined && earliest > head.latestAt);
    const done = fresh ? new Set<string>() : await store.sequencedIds(orgId, unique);
    const todo = unique.filter((e) => !done.has(e.eventId));
    if (todo.length === 0) break;
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
    if (head !== from && head !== undefined) await store.advanceHead(orgId, from, head);
    if (!lost) break;
    // Roll that batch (and any after it) forward, then start over from the head it leaves.
    head = await rollForward(store, orgId);
  }
  return { sequenced, refused };
}

/**
 * Applies every batch committed past the head (a sequencer stopped half-way, or won a race); the
 * batch is the commit point, the head follows it. Answers the head.
 */
async function rollForward(store: AuditSequencerStore, orgId: string): Promise<AuditChainHead | undefined> {
  let head = await store.head(orgId);
  for (;;) {
    const batch = await store.batchAt(orgId, position(head).seq + 1);
    if (batch === undefined) return head;
    const next = headAfter(batch);
    await store.advanceHead(orgId, head, next);
    head = next;
  }
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
