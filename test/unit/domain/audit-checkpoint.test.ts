import {
  CHECKPOINT_DELIVERY_MARGIN_SECONDS,
  checkpointIntervalMs,
  MIN_CHECKPOINT_MAX_AGE_SECONDS,
  SEQUENCER_BATCHING_WINDOW_SECONDS,
} from '../../../shared/domain/audit-checkpoint.ts';
import { functionNamed } from '../../../infra/manifest.ts';

describe('the checkpoint interval follows from the maximum checkpoint age', () => {
  test.each([
    [10, 7_000],
    [60, 57_000],
    [MIN_CHECKPOINT_MAX_AGE_SECONDS, 1_000],
  ])('a maximum age of %i s signs every %i ms, leaving the delivery margin', (maxAge, intervalMs) => {
    expect(checkpointIntervalMs(maxAge)).toBe(intervalMs);
    expect(intervalMs + CHECKPOINT_DELIVERY_MARGIN_SECONDS * 1000).toBe(maxAge * 1000);
  });

  test.each([MIN_CHECKPOINT_MAX_AGE_SECONDS - 1, 9.5, 0])(
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
});
