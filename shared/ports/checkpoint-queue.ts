/**
 * Delayed requests to sign an organization's audit checkpoint: the sequencer asks for one when it
 * chains events within the checkpoint interval of the last signature, so a quiet tail is signed
 * when the interval ends instead of at the next scheduled review (docs/decisions/0018).
 */
export interface CheckpointQueue {
  /** Asks for a checkpoint of `orgId` in `delaySeconds` (at most 900, the queue's limit). */
  schedule(orgId: string, delaySeconds: number): Promise<void>;
}
