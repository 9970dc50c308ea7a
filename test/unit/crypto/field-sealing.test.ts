import { randomBytes } from 'node:crypto';
import { IntegrityError } from '../../../shared/domain/errors.ts';
import {
  encodeParts,
  isSealed,
  openValue,
  sealValue,
  sealedKeyId,
  type SealContext,
} from '../../../shared/domain/field-sealing.ts';

const dataKey = randomBytes(32);
const context: SealContext = { orgId: 'org-a', recordId: 'job-1', fieldId: 'email' };

/** Flips one bit of the decoded byte at `index` (negative: from the end) and re-encodes. */
function tamper(sealed: string, index: number): string {
  const bytes = Buffer.from(sealed.slice('v1.'.length), 'base64url');
  const at = index < 0 ? bytes.length + index : index;
  bytes[at] = bytes[at]! ^ 0x01;
  return `v1.${bytes.toString('base64url')}`;
}

describe('field sealing', () => {
  test.each([['alice@example.com'], [''], ['Zoë 🙂 — 東京'], ['x'.repeat(10_000)]])(
    'opens what it sealed: %j',
    (plaintext) => {
      // Act
      const sealed = sealValue(dataKey, 'k1', context, plaintext);

      // Assess
      expect(sealed.startsWith('v1.')).toBe(true);
      expect(isSealed(sealed)).toBe(true);
      expect(sealedKeyId(sealed)).toBe('k1');
      expect(openValue(dataKey, context, sealed)).toBe(plaintext);
    },
  );

  test('never repeats a ciphertext for the same plaintext (random IV) and never shows the plaintext', () => {
    const first = sealValue(dataKey, 'k1', context, 'alice@example.com');
    const second = sealValue(dataKey, 'k1', context, 'alice@example.com');

    expect(first).not.toBe(second);
    expect(Buffer.from(first.slice(3), 'base64url').includes('alice')).toBe(false);
  });

  test.each<[string, SealContext]>([
    ['another record', { ...context, recordId: 'job-2' }],
    ['another field', { ...context, fieldId: 'phone' }],
    ['another organization', { ...context, orgId: 'org-b' }],
    ['another purpose', { ...context, purpose: 'extension-token' }],
    ['ids that concatenate alike', { ...context, recordId: 'job-1e', fieldId: 'mail' }],
  ])('a value copied to %s does not open', (_, elsewhere) => {
    // Prepare
    const sealed = sealValue(dataKey, 'k1', context, 'alice@example.com');

    // Act + Assess
    expect(() => openValue(dataKey, elsewhere, sealed)).toThrow(IntegrityError);
  });

  test.each([
    ['the version byte', 0],
    ['the key id', 2],
    ['the IV', 5],
    ['the tag', 20],
    ['the ciphertext', -1],
  ])('a value with a flipped bit in %s does not open', (_, index) => {
    const sealed = sealValue(dataKey, 'k1', context, 'alice@example.com');

    expect(() => openValue(dataKey, context, tamper(sealed, index))).toThrow(IntegrityError);
  });

  test('a value does not open under another data key', () => {
    const sealed = sealValue(dataKey, 'k1', context, 'alice@example.com');

    expect(() => openValue(randomBytes(32), context, sealed)).toThrow(IntegrityError);
  });

  test.each([
    ['plain text'],
    ['v1.'],
    ['v1.not base64!'],
    ['v1.AQJrMQ'],
    ['v2.AQJrMQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
  ])('a malformed value %j is an IntegrityError, not a crash', (value) => {
    expect(() => openValue(dataKey, context, value)).toThrow(IntegrityError);
  });

  test('encodes context parts unambiguously (length-prefixed), multi-byte characters included', () => {
    expect(encodeParts('ab', 'c').equals(encodeParts('a', 'bc'))).toBe(false);
    expect(encodeParts('é')).toEqual(Buffer.from([0, 0, 0, 2, 0xc3, 0xa9]));
  });

  test('isSealed tells stored ciphertext from plain values', () => {
    expect(isSealed('alice@example.com')).toBe(false);
    expect(isSealed(42)).toBe(false);
    expect(isSealed(sealValue(dataKey, 'k2', context, 'x'))).toBe(true);
  });
});
