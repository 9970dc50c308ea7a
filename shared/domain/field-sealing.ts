/**
 * Sealing of single values (encrypted job fields, and later extension tokens) with AES-256-GCM.
 *
 * A sealed value is `v1.` + base64url of
 *   version (1 byte) | key id length (1 byte) | key id (UTF-8) | IV (12 bytes) | tag (16 bytes) | ciphertext
 * It names the data key version that sealed it, so keys can rotate while old values stay readable.
 *
 * The additional data binds the purpose (`field`, or an extension token's own context), the
 * organization, the record and the field, plus the header above. A value copied to another record,
 * field, organization or purpose, or altered in any byte, fails authentication and throws
 * IntegrityError; it never opens to garbage.
 *
 * The AES key is not the organization's data key itself but a sub-key derived from it with
 * HKDF-SHA256 per (purpose, field). Why: with random 96-bit IVs one GCM key should seal at most
 * 2^32 values; per-field sub-keys spread an organization's writes over many keys, and keep the
 * purposes (fields, extension tokens, the blind index) cryptographically apart. Sub-keys are
 * memoised per data-key Buffer, so the derivation costs once per warm key, not once per value.
 */
import {
  createCipheriv,
  createDecipheriv,
  createSecretKey,
  hkdfSync,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { IntegrityError } from './errors.ts';

export const SEALED_PREFIX = 'v1.';
/** The purpose of job fields; other users of sealing pass their own (e.g. `extension-token`). */
export const FIELD_PURPOSE = 'field';

const FORMAT_VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const MAX_KEY_ID_BYTES = 255;
const SUBKEY_CACHE_LIMIT = 256;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

export interface SealContext {
  readonly orgId: string;
  readonly recordId: string;
  readonly fieldId: string;
  /** Defaults to FIELD_PURPOSE. */
  readonly purpose?: string;
}

/**
 * Length-prefixed UTF-8 parts, so ("ab", "c") and ("a", "bc") never encode alike: without the
 * prefixes a value moved between records with concatenation-equal ids would still open.
 */
export function encodeParts(...parts: readonly string[]): Buffer {
  let size = 0;
  for (const part of parts) size += 4 + Buffer.byteLength(part, 'utf8');
  // One allocation: this runs for every sealed value.
  const encoded = Buffer.allocUnsafe(size);
  let offset = 0;
  for (const part of parts) {
    const length = encoded.write(part, offset + 4, 'utf8');
    encoded.writeUInt32BE(length, offset);
    offset += 4 + length;
  }
  return encoded;
}

const subKeys = new WeakMap<Buffer, Map<string, KeyObject>>();

function subKey(dataKey: Buffer, purpose: string, fieldId: string): KeyObject {
  if (dataKey.length !== KEY_BYTES) throw new RangeError('A data key is 32 bytes');
  let byInfo = subKeys.get(dataKey);
  if (byInfo === undefined) {
    byInfo = new Map();
    subKeys.set(dataKey, byInfo);
  }
  const memo = JSON.stringify([purpose, fieldId]);
  const known = byInfo.get(memo);
  if (known !== undefined) return known;
  // Bounded: purposes with many distinct ids (tokens) must not grow the memo without end.
  if (byInfo.size >= SUBKEY_CACHE_LIMIT) byInfo.clear();
  const info = encodeParts('custos/seal/v1', purpose, fieldId);
  const derived = createSecretKey(Buffer.from(hkdfSync('sha256', dataKey, Buffer.alloc(0), info, KEY_BYTES)));
  byInfo.set(memo, derived);
  return derived;
}

function additionalData(context: SealContext, header: Buffer): Buffer {
  return Buffer.concat([
    encodeParts(
      'custos/seal/v1',
      context.purpose ?? FIELD_PURPOSE,
      context.orgId,
      context.recordId,
      context.fieldId,
    ),
    header,
  ]);
}

function header(keyId: string): Buffer {
  const id = Buffer.from(keyId, 'utf8');
  if (id.length === 0 || id.length > MAX_KEY_ID_BYTES) throw new RangeError('A key id is 1 to 255 bytes');
  return Buffer.concat([Buffer.of(FORMAT_VERSION, id.length), id]);
}

/** Seals `plaintext` under the data key version `keyId`, bound to `context`. */
export function sealValue(dataKey: Buffer, keyId: string, context: SealContext, plaintext: string): string {
  const head = header(keyId);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(
    'aes-256-gcm',
    subKey(dataKey, context.purpose ?? FIELD_PURPOSE, context.fieldId),
    iv,
  );
  cipher.setAAD(additionalData(context, head));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return SEALED_PREFIX + Buffer.concat([head, iv, cipher.getAuthTag(), ciphertext]).toString('base64url');
}

interface ParsedSealed {
  readonly keyId: string;
  readonly header: Buffer;
  readonly iv: Buffer;
  readonly tag: Buffer;
  readonly ciphertext: Buffer;
}

function parse(sealed: string): ParsedSealed {
  // A function, not a shared instance: building an Error captures a stack, too slow per value.
  const malformed = (): IntegrityError => new IntegrityError('The sealed value is malformed');
  if (!sealed.startsWith(SEALED_PREFIX)) throw malformed();
  const body = sealed.slice(SEALED_PREFIX.length);
  if (!BASE64URL.test(body)) throw malformed();
  const bytes = Buffer.from(body, 'base64url');
  const keyIdLength = bytes[1];
  if (bytes[0] !== FORMAT_VERSION || keyIdLength === undefined || keyIdLength === 0) throw malformed();
  const headerEnd = 2 + keyIdLength;
  if (bytes.length < headerEnd + IV_BYTES + TAG_BYTES) throw malformed();
  return {
    keyId: bytes.subarray(2, headerEnd).toString('utf8'),
    header: bytes.subarray(0, headerEnd),
    iv: bytes.subarray(headerEnd, headerEnd + IV_BYTES),
    tag: bytes.subarray(headerEnd + IV_BYTES, headerEnd + IV_BYTES + TAG_BYTES),
    ciphertext: bytes.subarray(headerEnd + IV_BYTES + TAG_BYTES),
  };
}

/** The data key version a sealed value names, so the caller can unwrap the right key. */
export function sealedKeyId(sealed: string): string {
  return parse(sealed).keyId;
}

/** Opens a sealed value; IntegrityError if it was moved, altered, or sealed under another key. */
export function openValue(dataKey: Buffer, context: SealContext, sealed: string): string {
  const parsed = parse(sealed);
  try {
    const decipher = createDecipheriv(
      'aes-256-gcm',
      subKey(dataKey, context.purpose ?? FIELD_PURPOSE, context.fieldId),
      parsed.iv,
    );
    decipher.setAAD(additionalData(context, parsed.header));
    decipher.setAuthTag(parsed.tag);
    return Buffer.concat([decipher.update(parsed.ciphertext), decipher.final()]).toString('utf8');
  } catch {
    throw new IntegrityError('The sealed value does not open for this record and field');
  }
}

/** Whether a stored value has the sealed format (it says nothing about whether it opens). */
export function isSealed(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    value.startsWith(SEALED_PREFIX) &&
    BASE64URL.test(value.slice(SEALED_PREFIX.length))
  );
}
