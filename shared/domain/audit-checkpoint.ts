/**
 * How often an organization's audit checkpoint is signed follows from how old the log may get
 * before a signed checkpoint covers it (docs/decisions/0021). The configured figure is that
 * maximum age; the signing interval is what is left of it once the path from a write to its
 * signature has had its margin, so "covered within the maximum age" and "at most one KMS Sign per
 * organization per interval" hold together by construction.
 */

/**
 * The sequencer's merge delay: its stream mapping gathers records for up to this long before it
 * invokes (the manifest's `batchingWindowSeconds`, the same in the cloud and in `npm start`).
 */
export const SEQUENCER_BATCHING_WINDOW_SECONDS = 1;

/**
 * From a due checkpoint to its signature: SQS delays a request by whole seconds (rounded up, up to
 * 1 s late), then the consumer receives it and KMS signs (well under 1 s).
 */
const REQUEST_DELIVERY_SECONDS = 2;

/** What the path from a write to the signature covering it takes beyond the signing interval. */
export const CHECKPOINT_DELIVERY_MARGIN_SECONDS =
  SEQUENCER_BATCHING_WINDOW_SECONDS + REQUEST_DELIVERY_SECONDS;

/** The smallest maximum age that leaves a signing interval of at least a second. */
export const MIN_CHECKPOINT_MAX_AGE_SECONDS = CHECKPOINT_DELIVERY_MARGIN_SECONDS + 1;

/** The signing interval, in ms, for a maximum checkpoint age in seconds: the age less the margin. */
export function checkpointIntervalMs(maxAgeSeconds: number): number {
  if (!Number.isInteger(maxAgeSeconds) || maxAgeSeconds < MIN_CHECKPOINT_MAX_AGE_SECONDS)
    throw new RangeError(
      `A maximum checkpoint age is a whole number of seconds, at least ${MIN_CHECKPOINT_MAX_AGE_SECONDS}`,
    );
  return (maxAgeSeconds - CHECKPOINT_DELIVERY_MARGIN_SECONDS) * 1000;
}
