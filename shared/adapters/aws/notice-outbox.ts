/**
 * The notice outbox on the records table (docs/decisions/0020): one item per change whose jobs were
 * shared, written in the change's own transaction and removed once its notices are queued.
 *
 *   NOTICE#OUTBOX  <at>#<batchId>    the notices of one change (ids, field ids, vendor URLs; no personal value)
 *
 * One partition for every organization, so the clean-up cycle finds what a crash left with one
 * Query, oldest first (like the pending deletions of deletion-keys.ts). It takes a write and a
 * delete per change of shared jobs only; organizations that never shared never write to it.
 */
import type { NoticeBatch } from '../../ports/notice-queue.ts';
import type { WriteOp } from './audited-writer.ts';

export const NOTICE_OUTBOX_PK = 'NOTICE#OUTBOX';

export const noticeOutboxKey = (batch: Pick<NoticeBatch, 'at' | 'batchId'>): { pk: string; sk: string } => ({
  pk: NOTICE_OUTBOX_PK,
  sk: `${batch.at}#${batch.batchId}`,
});

/** The entry, as one more operation of the change's transaction. */
export const noticeOutboxPut = (table: string, batch: NoticeBatch): WriteOp => ({
  Put: { TableName: table, Item: { ...noticeOutboxKey(batch), kind: 'notice-batch', ...batch } },
});
