import { describe, expect, test } from '@jest/globals';
import { QUEUES } from '../../../infra/resources.ts';
import {
  checkpointIntervalMs,
  MAX_CHECKPOINT_MAX_AGE_SECONDS,
} from '../../../shared/domain/audit-checkpoint.ts';
import {
  failedMessageIds,
  LOCAL_RETRY_DELAY_SECONDS,
  localRetryDelaySeconds,
} from '../../../infra/local/poller.ts';
import { linksIn } from '../../../infra/local/dev-routes.ts';

describe('failedMessageIds (ReportBatchItemFailures)', () => {
  const batch = ['m-1', 'm-2', 'm-3'];

  test.each([
    ['no result', { result: undefined }, []],
    ['a result without batchItemFailures', { result: { processed: 3 } }, []],
    ['an empty list', { result: { batchItemFailures: [] } }, []],
    ['listed failures', { result: { batchItemFailures: [{ itemIdentifier: 'm-2' }] } }, ['m-2']],
    ['a thrown error', { error: new Error('boom') }, batch],
    [
      'an identifier not in the batch',
      { result: { batchItemFailures: [{ itemIdentifier: 'other' }] } },
      batch,
    ],
    ['an empty identifier', { result: { batchItemFailures: [{ itemIdentifier: '' }] } }, batch],
    ['a list that is not a list', { result: { batchItemFailures: 'm-1' } }, batch],
  ])('%s keeps %j', (_, outcome, kept) => {
    expect([...failedMessageIds(outcome, batch)].sort()).toEqual([...kept].sort());
  });
});

describe('localRetryDelaySeconds', () => {
  test('a failed message comes back after a few seconds locally, not after the cloud visibility timeout', () => {
    expect(localRetryDelaySeconds(QUEUES.work)).toBe(LOCAL_RETRY_DELAY_SECONDS);
    expect(localRetryDelaySeconds(QUEUES.notices)).toBe(LOCAL_RETRY_DELAY_SECONDS);
  });

  test('a failed checkpoint request comes back only once its claim has lapsed, as in the cloud', () => {
    // Its claim lapses one signing interval after it was taken, at most the longest interval.
    const delayMs = localRetryDelaySeconds(QUEUES.checkpoints) * 1000;
    expect(delayMs).toBe(QUEUES.checkpoints.visibilityTimeoutSeconds * 1000);
    expect(delayMs).toBeGreaterThan(checkpointIntervalMs(MAX_CHECKPOINT_MAX_AGE_SECONDS));
  });

  test("a test's own delay applies to every queue", () => {
    expect(localRetryDelaySeconds(QUEUES.checkpoints, 1)).toBe(1);
    expect(localRetryDelaySeconds(QUEUES.work, 1)).toBe(1);
  });
});

describe('linksIn', () => {
  test('finds hrefs and bare URLs once each, without trailing punctuation', () => {
    // Prepare
    const html =
      '<p><a href="http://127.0.0.1:3000/v1/backups/01B/download?token=t&amp;x=1">Download</a></p>';
    const text =
      'Open http://127.0.0.1:3000/v1/backups/01B/download?token=t&x=1. Or see https://example.com/help, thanks.';

    // Act
    const links = linksIn(text, html);

    // Assess
    expect(links).toEqual([
      'http://127.0.0.1:3000/v1/backups/01B/download?token=t&x=1',
      'https://example.com/help',
    ]);
  });

  test('a mail without links has none', () => {
    expect(linksIn('Hello', undefined)).toEqual([]);
  });
});
