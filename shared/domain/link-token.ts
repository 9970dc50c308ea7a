/**
 * Tokens of emailed download links: 256 random bits, base64url (43 characters, URL-safe). Only
 * their SHA-256 is stored, so a leaked link table opens nothing; a slow hash is not needed for
 * 256 bits of entropy. Comparison in constant time.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { sha256Hex } from './sha256.ts';

const TOKEN_BYTES = 32;
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export interface LinkToken {
  /** Goes in the link, never stored nor logged. */
  readonly token: string;
  /** Stored with the link record: hex SHA-256 of the token. */
  readonly hash: string;
}

export function hashLinkToken(token: string): string {
  return sha256Hex(token);
}

export function newLinkToken(): LinkToken {
  const token = randomBytes(TOKEN_BYTES).toString('base64url');
  return { token, hash: hashLinkToken(token) };
}

/** A shape check first, so arbitrary input (length, alphabet) is refused before any look-up. */
export function isWellFormedLinkToken(token: unknown): token is string {
  return typeof token === 'string' && TOKEN_PATTERN.test(token);
}

/** True when `token` hashes to `storedHash`; constant time in the token's content. */
export function linkTokenMatches(token: string, storedHash: string): boolean {
  if (!isWellFormedLinkToken(token) || !/^[0-9a-f]{64}$/.test(storedHash)) return false;
  return timingSafeEqual(Buffer.from(hashLinkToken(token), 'hex'), Buffer.from(storedHash, 'hex'));
}
