/**
 * The layout of the audit table (see docs/decisions/0011-audit-sequencer.md):
 *
 *   pk               sk                       what
 *   ORG#<org>        EVT#<at>#<eventId>       an event (TTL: expiresAt), appended in the change's
 *                                             transaction and never written again (items from
 *                                             before 0018 also carry seq, prevHash and hash)
 *   ORG#<org>        SEQ#<firstSeq 12>        a sequenced batch: the events' references and
 *                                             hashes from firstSeq on, in chain order, and
 *                                             latestAt (how readers find an event's batch)
 *   ORG#<org>        HEAD                     the chain head {seq, hash, at, latestAt, unreviewed?}
 *   ORG#<org>        DIGEST#<headSeq 12>      a signed digest (checkpoint) of the chain up to headSeq
 *   ORG#<org>        CHECKPOINT               the claim to sign the next checkpoint {claimedAt}
 *
 * Events are keyed by time, so a time window of one organization is one Query; the chain order
 * is the batches' order. Index `unreviewed` (unreviewed, pk) is sparse: it holds the heads the
 * sequencer moved since the scheduled digest run last reviewed them, and nothing else.
 */
export const EVENT_PREFIX = 'EVT#';
export const BATCH_PREFIX = 'SEQ#';
export const DIGEST_PREFIX = 'DIGEST#';
export const AUDIT_HEAD_SK = 'HEAD';
export const CHECKPOINT_CLAIM_SK = 'CHECKPOINT';
/** The sparse index of heads awaiting review (infra/resources.ts), and the flag that puts a head in it. */
export const AUDIT_UNREVIEWED_INDEX = 'unreviewed';
export const UNREVIEWED_FLAG = 'yes';

/** The storage key of an event from its reference (`<at>#<eventId>`). */
export const auditEventSk = (ref: string): string => `${EVENT_PREFIX}${ref}`;
export const auditBatchSk = (firstSeq: number): string =>
  `${BATCH_PREFIX}${String(firstSeq).padStart(12, '0')}`;
export const auditDigestSk = (headSeq: number): string =>
  `${DIGEST_PREFIX}${String(headSeq).padStart(12, '0')}`;
