import {
  CHECKPOINT_DELIVERY_MARGIN_SECONDS,
  checkpointIntervalMs,
  MAX_CHECKPOINT_MAX_AGE_SECONDS,
  MIN_CHECKPOINT_MAX_AGE_SECONDS,
  SEQUENCER_BATCHING_WINDOW_SECONDS,
} from '../../../shared/domain/audit-checkpoint.ts';
import { functionNamed } from '../../../infra/manifest.ts';
import { QUEUES } from '../../../infra/resources.ts';

describe('the checkpoint interval follows from the maximum checkpoint age', () => {
  test.each([
    [10, 7_000],
    [60, 57_000],
    [MIN_CHECKPOINT_MAX_AGE_SECONDS, 1_000],
    [MAX_CHECKPOINT_MAX_AGE_SECONDS, 150_000],
  ])('a maximum age of %i s signs every %i ms, leaving the delivery margin', (maxAge, intervalMs) => {
    expect(checkpointIntervalMs(maxAge)).toBe(intervalMs);
    expect(intervalMs + CHECKPOINT_DELIVERY_MARGIN_SECONDS * 1000).toBe(maxAge * 1000);
  });

  test.each([MIN_CHECKPOINT_MAX_AGE_SECONDS - 1, 9.5, 0, MAX_CHECKPOINT_MAX_AGE_SECONDS + 1])(
    'a maximum age of %d s leaves no interval',
    (maxAge) => {
      expect(() => checkpointIntervalMs(maxAge)).toThrow(RangeError);
    },
  );

  test("the margin holds the sequencer mapping's batching window, as the manifest gives it to the cloud and the local poller", () => {
    expect(functionNamed('audit-sequencer').streams?.batchingWindowSeconds).toBe(
      SEQUENCER_BATCHING_WINDOW_SECONDS,
    );
    expect(CHECKPOINT_DELIVERY_MARGIN_SECONDS).toBeGreaterThan(SEQUENCER_BATCHING_WINDOW_SECONDS);
  });

  test("the longest interval lapses a failed request's claim before the queue delivers it again, as infra declares the queue and the signer", () => {
    // A request takes its claim within the signer's timeout after its receive, and is delivered
    // again a visibility timeout after that receive: its own claim must have lapsed by then.
    const visibilityMs = QUEUES.checkpoints.visibilityTimeoutSeconds * 1000;
    const timeoutMs = functionNamed('audit-checkpoint').timeoutSeconds * 1000;
    expect(checkpointIntervalMs(MAX_CHECKPOINT_MAX_AGE_SECONDS)).toBeLessThanOrEqual(
      visibilityMs - timeoutMs,
    );
    expect(() => checkpointIntervalMs(MAX_CHECKPOINT_MAX_AGE_SECONDS + 1)).toThrow(RangeError);
  });
});
