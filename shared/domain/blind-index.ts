/**
 * The blind index of a subject's email: HMAC-SHA256 of the normalised address under a key derived
 * per organization (HKDF-SHA256 from the organization's data key, salt = org id, info
 * `custos/blind-index`). Jobs store it (and a GSI keys on it), so "all jobs of this subject" works
 * while the email itself is sealed; equal emails give equal indexes only within one organization.
 *
 * Rotation: the index key is derived from the organization's FIRST data key version, whatever
 * the newest version is. Deriving it from the newest key would change every subject's index on
 * each rotation and need a re-indexing sweep of all jobs before look-ups work again; old key
 * versions are kept anyway while the organization lives (values re-encrypt lazily), so the first
 * one stays unwrappable. Deleting the organization's wrapped keys shreds the index key too.
 */
import { createHmac, hkdfSync } from 'node:crypto';

const INDEX_INFO = 'custos/blind-index';
const indexKeys = new WeakMap<Buffer, Map<string, Buffer>>();

/** Trimmed, Unicode NFC, lower-cased: the spellings a person considers "the same address" agree. */
export function normaliseEmail(email: string): string {
  // NFC again after lower-casing: case mapping can leave a decomposed sequence behind.
  return email.trim().normalize('NFC').toLowerCase().normalize('NFC');
}

/** The organization's index key, memoised per data-key Buffer (see field-sealing for why). */
export function blindIndexKey(dataKey: Buffer, orgId: string): Buffer {
  let byOrg = indexKeys.get(dataKey);
  if (byOrg === undefined) {
    byOrg = new Map();
    indexKeys.set(dataKey, byOrg);
  }
  let key = byOrg.get(orgId);
  if (key === undefined) {
    key = Buffer.from(hkdfSync('sha256', dataKey, Buffer.from(orgId, 'utf8'), INDEX_INFO, 32));
    byOrg.set(orgId, key);
  }
  return key;
}

/** base64url (43 characters): shorter than hex in a GSI key, and safe in `#`-joined keys. */
export function blindIndex(indexKey: Buffer, email: string): string {
  return createHmac('sha256', indexKey).update(normaliseEmail(email), 'utf8').digest('base64url');
}
