/**
 * The sequencer: gives appended audit events their places in their organization's chain, a batch
 * at a time (docs/decisions/0011-audit-sequencer.md). It is fed the events as the audit table's
 * stream delivers them (Lambda's event source mapping in the cloud, the local stream poller in
 * `npm start`), so it chains from what was written, even if the item was deleted meanwhile.
 *
 * Per organization: roll forward any batch already committed past the head, drop the events that
 * already carry a position (a retried delivery), chain the rest after the head, claim their
 * positions with one conditional write of the batch, write each event's position onto its item,
 * then move the head. Concurrent sequencers of one organization only ever collide on the batch
 * key; the loser rolls the winner's batch forward and starts over.
 */
import { chainEvents, eventRef, GENESIS_HASH, type ChainPosition } from '../domain/audit-chain.ts';
import type { AppendedEvent, AuditChainHead, AuditSequencerStore, SequencedBatch } from '../ports/audit.ts';

/** Events per batch item (~120 bytes each, well below DynamoDB's 400 KB item limit). */
export const MAX_BATCH_EVENTS = 100;

export interface SequenceSummary {
  readonly sequenced: number;
  /** References whose item was gone or held another position when its place was written. */
  readonly refused: readonly string[];
}

export async function sequenceEvents(
  store: AuditSequencerStore,
  events: readonly AppendedEvent[],
): Promise<SequenceSummary> {
  const byOrg = new Map<string, AppendedEvent[]>();
  for (const event of events) byOrg.set(event.orgId, [...(byOrg.get(event.orgId) ?? []), event]);
  let sequenced = 0;
  const refused: string[] = [];
  for (const [orgId, own] of byOrg) {
    const summary = await sequenceOrganization(store, orgId, own);
    sequenced += summary.sequenced;
    refused.push(...summary.refused);
  }
  return { sequenced, refused };
}

async function sequenceOrganization(
  store: AuditSequencerStore,
  orgId: string,
  events: readonly AppendedEvent[],
): Promise<SequenceSummary> {
  const unique = [...new Map(events.map((e) => [e.eventId, e])).values()];
  let sequenced = 0;
  const refused: string[] = [];
  for (;;) {
    let head = await rollForward(store, orgId, refused);
    const done = await store.sequencedIds(orgId, unique);
    const todo = unique.filter((e) => !done.has(e.eventId));
    if (todo.length === 0) return { sequenced, refused };
    let lost = false;
    for (let i = 0; i < todo.length && !lost; i += MAX_BATCH_EVENTS) {
      const chunk = todo.slice(i, i + MAX_BATCH_EVENTS);
      const chained = chainEvents(position(head), chunk);
      const batch: SequencedBatch = {
        orgId,
        firstSeq: position(head).seq + 1,
        prevHash: position(head).hash,
        refs: chained.map(eventRef),
        hashes: chained.map((e) => e.hash),
      };
      if (!(await store.putBatch(batch))) {
        // Another sequencer claimed these positions: roll its batch forward, then start over.
        lost = true;
        break;
      }
      head = await apply(store, head, batch, refused);
      sequenced += chunk.length;
    }
    if (!lost) return { sequenced, refused };
  }
}

/** Applies every batch committed past the head (a sequencer stopped half-way); answers the head. */
async function rollForward(
  store: AuditSequencerStore,
  orgId: string,
  refused: string[],
): Promise<AuditChainHead | undefined> {
  let head = await store.head(orgId);
  for (;;) {
    const batch = await store.batchAt(orgId, position(head).seq + 1);
    if (batch === undefined) return head;
    head = await apply(store, head, batch, refused);
  }
}

/** Positions onto the events first, then the head: a head never names an event not yet marked. */
async function apply(
  store: AuditSequencerStore,
  head: AuditChainHead | undefined,
  batch: SequencedBatch,
  refused: string[],
): Promise<AuditChainHead> {
  refused.push(...(await store.markSequenced(batch)));
  const last = batch.refs.length - 1;
  const next: AuditChainHead = {
    seq: batch.firstSeq + last,
    hash: batch.hashes[last]!,
    at: atOf(batch.refs[last]!),
  };
  await store.advanceHead(batch.orgId, head, next);
  return next;
}

function position(head: AuditChainHead | undefined): ChainPosition {
  return head === undefined ? { seq: 0, hash: GENESIS_HASH } : { seq: head.seq, hash: head.hash };
}

/** The time part of an event reference `<at>#<eventId>`. */
function atOf(ref: string): string {
  return ref.slice(0, ref.lastIndexOf('#'));
}
