import { createHash } from 'node:crypto';
import {
  hashLinkToken,
  isWellFormedLinkToken,
  linkTokenMatches,
  newLinkToken,
} from '../../../shared/domain/link-token.ts';

describe('link tokens', () => {
  test('are 256 random bits in base64url, stored as their SHA-256', () => {
    // Act
    const { token, hash } = newLinkToken();

    // Assess
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    expect(hash).toBe(createHash('sha256').update(token).digest('hex'));
    expect(hash).not.toContain(token);
  });

  test('are unique', () => {
    const tokens = new Set(Array.from({ length: 1000 }, () => newLinkToken().token));
    expect(tokens.size).toBe(1000);
  });

  test('match only their own hash', () => {
    const { token, hash } = newLinkToken();
    const other = newLinkToken();
    expect(linkTokenMatches(token, hash)).toBe(true);
    expect(linkTokenMatches(other.token, hash)).toBe(false);
    expect(linkTokenMatches(token, 'not-a-hash')).toBe(false);
  });

  test.each([[''], ['short'], ['a'.repeat(44)], ['+'.repeat(43)], [undefined], [42]])(
    'refuses the malformed token %j',
    (token) => {
      expect(isWellFormedLinkToken(token)).toBe(false);
      if (typeof token === 'string') expect(linkTokenMatches(token, hashLinkToken(token))).toBe(false);
    },
  );
});
