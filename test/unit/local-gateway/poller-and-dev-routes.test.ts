import { describe, expect, test } from '@jest/globals';
import { failedMessageIds } from '../../../infra/local/poller.ts';
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
