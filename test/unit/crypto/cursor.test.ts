import { randomBytes } from 'node:crypto';
import { openCursor, sealCursor, MAX_CURSOR_LENGTH } from '../../../shared/domain/cursor.ts';
import { BadCursorError } from '../../../shared/domain/errors.ts';

const secret = 'a-test-cursor-secret-of-some-length';
const scope = 'org-a#jobs';
const key = { pk: 'ORG#org-a', sk: 'JOB#01J0000000000000000000000' };

describe('sealed cursors', () => {
  test('open to the key they sealed, and do not show it', () => {
    // Act
    const cursor = sealCursor(secret, scope, key);

    // Assess
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(cursor).not.toContain('ORG');
    expect(openCursor(secret, scope, cursor)).toEqual(key);
  });

  test.each([
    ['another organization', 'org-b#jobs'],
    ['another list of the same organization', 'org-a#members'],
  ])('a cursor replayed on %s is a BadCursorError', (_, foreignScope) => {
    const cursor = sealCursor(secret, scope, key);

    expect(() => openCursor(secret, foreignScope, cursor)).toThrow(BadCursorError);
  });

  test('a cursor sealed with another secret is a BadCursorError', () => {
    const cursor = sealCursor('another-secret-of-enough-length', scope, key);

    expect(() => openCursor(secret, scope, cursor)).toThrow(BadCursorError);
  });

  test('a forged cursor (a plain key, or random bytes) is a BadCursorError', () => {
    const plain = Buffer.from(JSON.stringify({ pk: 'ORG#org-b', sk: 'JOB#x' })).toString('base64url');
    const random = Buffer.concat([Buffer.of(1), randomBytes(60)]).toString('base64url');

    expect(() => openCursor(secret, scope, plain)).toThrow(BadCursorError);
    expect(() => openCursor(secret, scope, random)).toThrow(BadCursorError);
  });

  test.each([
    ['empty', () => ''],
    ['not base64url', () => 'abc$def'],
    ['truncated', () => sealCursor(secret, scope, key).slice(0, 20)],
    [
      'one character changed',
      () => {
        const cursor = sealCursor(secret, scope, key);
        return `${cursor.slice(0, -2)}${cursor.at(-2) === 'A' ? 'B' : 'A'}${cursor.at(-1)}`;
      },
    ],
    ['too long', () => 'A'.repeat(MAX_CURSOR_LENGTH + 1)],
  ])('a garbled cursor (%s) is a BadCursorError', (_, make) => {
    expect(() => openCursor(secret, scope, make())).toThrow(BadCursorError);
  });

  test('refuses to seal a key larger than a cursor may be', () => {
    expect(() => sealCursor(secret, scope, { pk: 'x'.repeat(MAX_CURSOR_LENGTH) })).toThrow(RangeError);
  });
});
