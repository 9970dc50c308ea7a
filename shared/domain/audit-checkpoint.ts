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

/**
 * The checkpoint queue's visibility timeout (infra/resources.ts): a request the consumer failed is
 * delivered again this long after its receive, and counts towards the dead-letter queue.
 */
export const CHECKPOINT_QUEUE_VISIBILITY_SECONDS = 180;

/** The audit-checkpoint function's timeout (infra/manifest.ts): a request takes its claim within it. */
export const CHECKPOINT_SIGNER_TIMEOUT_SECONDS = 30;

/**
 * The largest maximum age. A request whose Sign failed is delivered again a visibility timeout
 * after its receive, more than `visibility - timeout` after it took its claim; the claim must have
 * lapsed by then. Were it still held, the request would find it taken, ask again and be
 * acknowledged, and a Sign that keeps failing would loop without ever being dead-lettered.
 */
export const MAX_CHECKPOINT_MAX_AGE_SECONDS =
  CHECKPOINT_QUEUE_VISIBILITY_SECONDS -
  CHECKPOINT_SIGNER_TIMEOUT_SECONDS +
  CHECKPOINT_DELIVERY_MARGIN_SECONDS;

/** Whether a maximum checkpoint age, in seconds, is accepted. */
export function isCheckpointMaxAge(maxAgeSeconds: number): boolean {
  return (
    Number.isInteger(maxAgeSeconds) &&
    maxAgeSeconds >= MIN_CHECKPOINT_MAX_AGE_SECONDS &&
    maxAgeSeconds <= MAX_CHECKPOINT_MAX_AGE_SECONDS
  );
}

/** What a maximum checkpoint age must be, for the error that refuses one. */
export const CHECKPOINT_MAX_AGE_RANGE = `a whole number of seconds from ${MIN_CHECKPOINT_MAX_AGE_SECONDS} to ${MAX_CHECKPOINT_MAX_AGE_SECONDS}`;

/** The signing interval, in ms, for a maximum checkpoint age in seconds: the age less the margin. */
export function checkpointIntervalMs(maxAgeSeconds: number): number {
  if (!isCheckpointMaxAge(maxAgeSeconds))
    throw new RangeError(`A maximum checkpoint age is ${CHECKPOINT_MAX_AGE_RANGE}`);
  return (maxAgeSeconds - CHECKPOINT_DELIVERY_MARGIN_SECONDS) * 1000;
}
