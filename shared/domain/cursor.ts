/**
 * Sealed pagination cursors. A cursor carries a DynamoDB ExclusiveStartKey, which names partition
 * keys; sealing it (AES-256-GCM, the list's scope — e.g. org id + list name — as additional data)
 * means a client can neither read nor forge one, nor replay another tenant's or another list's
 * cursor: any of those is BadCursorError (400), never a query on a key the client chose.
 *
 * Format: base64url of version (1 byte) | IV (12) | tag (16) | ciphertext of the key's JSON.
 *
 * `Cursors` is the one helper the product seals with; a list's scope comes from `cursorScope`.
 */
import {
  createCipheriv,
  createDecipheriv,
  createSecretKey,
  hkdfSync,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { BadCursorError } from './errors.ts';
import { encodeParts } from './field-sealing.ts';

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Keys are a few short attributes; anything longer is not ours. Bounds work done on input. */
export const MAX_CURSOR_LENGTH = 1024;
const MIN_SECRET_LENGTH = 16;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

const keys = new Map<string, KeyObject>();

/** The AES key behind a secret, derived once: the secret may be a passphrase, not 32 random bytes. */
function cursorKey(secret: string): KeyObject {
  let key = keys.get(secret);
  if (key === undefined) {
    if (secret.length < MIN_SECRET_LENGTH)
      throw new RangeError(`The cursor secret needs at least ${MIN_SECRET_LENGTH} characters`);
    key = createSecretKey(
      Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), Buffer.alloc(0), 'custos/cursor/v1', 32)),
    );
    keys.set(secret, key);
  }
  return key;
}

const scopeData = (scope: string): Buffer => encodeParts('custos/cursor/v1', scope);

declare const cursorScopeBrand: unique symbol;
/** What a cursor is bound to: one list as one caller sees it. Made only by `cursorScope`. */
export type CursorScope = string & { readonly [cursorScopeBrand]: true };

/** A scope from its parts, length-prefixed: no two different lists, filters or callers share one. */
export function cursorScope(...parts: readonly string[]): CursorScope {
  return encodeParts(...parts).toString('base64url') as CursorScope;
}

/** Seals and opens the cursors of every list under one secret, each bound to its scope. */
export class Cursors {
  constructor(private readonly secret: string) {
    // A secret too short for a key fails the cold start, not the first list.
    cursorKey(secret);
  }

  seal(scope: CursorScope, position: Readonly<Record<string, unknown>>): string {
    return sealCursor(this.secret, scope, position);
  }

  /** The position sealed into `cursor` under this scope; BadCursorError for any other. */
  open(scope: CursorScope, cursor: string): Record<string, unknown> {
    return openCursor(this.secret, scope, cursor);
  }
}

export function sealCursor(secret: string, scope: string, key: Readonly<Record<string, unknown>>): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', cursorKey(secret), iv);
  cipher.setAAD(scopeData(scope));
  const ciphertext = Buffer.concat([cipher.update(JSON.stringify(key), 'utf8'), cipher.final()]);
  const cursor = Buffer.concat([Buffer.of(VERSION), iv, cipher.getAuthTag(), ciphertext]).toString(
    'base64url',
  );
  // A cursor we could not open again is a bug here, not a client error.
  if (cursor.length > MAX_CURSOR_LENGTH) throw new RangeError('The pagination key is too large for a cursor');
  return cursor;
}

export function openCursor(secret: string, scope: string, cursor: string): Record<string, unknown> {
  if (typeof cursor !== 'string' || cursor.length > MAX_CURSOR_LENGTH || !BASE64URL.test(cursor))
    throw new BadCursorError();
  const bytes = Buffer.from(cursor, 'base64url');
  if (bytes[0] !== VERSION || bytes.length < 1 + IV_BYTES + TAG_BYTES) throw new BadCursorError();
  const aesKey = cursorKey(secret);
  let parsed: unknown;
  try {
    const decipher = createDecipheriv('aes-256-gcm', aesKey, bytes.subarray(1, 1 + IV_BYTES));
    decipher.setAAD(scopeData(scope));
    decipher.setAuthTag(bytes.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES));
    const plaintext = Buffer.concat([
      decipher.update(bytes.subarray(1 + IV_BYTES + TAG_BYTES)),
      decipher.final(),
    ]);
    parsed = JSON.parse(plaintext.toString('utf8'));
  } catch {
    throw new BadCursorError();
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new BadCursorError();
  return parsed as Record<string, unknown>;
}
