import { randomBytes } from 'node:crypto';
import { IntegrityError } from '../../../shared/domain/errors.ts';
import { OrgCrypto, newKeyVersion } from '../../../shared/domain/org-crypto.ts';
import type { GeneratedDataKey, Keys, WrappedDataKey } from '../../../shared/ports/keys.ts';

/**
 * The Keys port without KMS (unit tests stay off the network): "wrapping" is a lookup in a map
 * keyed by org and ciphertext, so a wrapped key of one organization does not unwrap for another.
 * The KMS adapter itself is tested against the local KMS endpoint in test/integration/crypto.
 */
class InMemoryKeys implements Keys {
  private readonly plaintexts = new Map<string, Buffer>();

  async generate(orgId: string, keyId: string): Promise<GeneratedDataKey> {
    const plaintext = randomBytes(32);
    const ciphertext = randomBytes(16).toString('base64');
    this.plaintexts.set(`${orgId}/${ciphertext}`, plaintext);
    return { wrapped: { keyId, ciphertext }, plaintext };
  }

  async unwrap(orgId: string, wrapped: WrappedDataKey): Promise<Buffer> {
    const plaintext = this.plaintexts.get(`${orgId}/${wrapped.ciphertext}`);
    if (plaintext === undefined)
      throw new IntegrityError('The wrapped data key does not open for this organization');
    return plaintext;
  }

  forget(): void {}
}

async function organization(keys: Keys, orgId: string): Promise<WrappedDataKey[]> {
  return [await newKeyVersion(keys, orgId, [])];
}

describe('OrgCrypto', () => {
  test('seals with the organization key and opens it again', async () => {
    // Prepare
    const keys = new InMemoryKeys();
    const crypto = new OrgCrypto(keys, 'org-a', await organization(keys, 'org-a'));

    // Act
    const sealed = await crypto.seal('job-1', 'email', 'alice@example.com');

    // Assess
    expect(crypto.isSealed(sealed)).toBe(true);
    expect(await crypto.open('job-1', 'email', sealed)).toBe('alice@example.com');
    await expect(crypto.open('job-2', 'email', sealed)).rejects.toThrow(IntegrityError);
  });

  test('keeps purposes apart: a field value does not open as an extension token', async () => {
    const keys = new InMemoryKeys();
    const crypto = new OrgCrypto(keys, 'org-a', await organization(keys, 'org-a'));

    const sealed = await crypto.seal('ext-1', 'token', 'secret-token', 'extension-token');

    expect(await crypto.open('ext-1', 'token', sealed, 'extension-token')).toBe('secret-token');
    await expect(crypto.open('ext-1', 'token', sealed)).rejects.toThrow(IntegrityError);
  });

  test('a value of one organization does not open in another', async () => {
    const keys = new InMemoryKeys();
    const a = new OrgCrypto(keys, 'org-a', await organization(keys, 'org-a'));
    const b = new OrgCrypto(keys, 'org-b', await organization(keys, 'org-b'));

    const sealed = await a.seal('job-1', 'email', 'alice@example.com');

    await expect(b.open('job-1', 'email', sealed)).rejects.toThrow(IntegrityError);
  });

  test('rotation: new values use the new version, old ones still open, the blind index stays put', async () => {
    // Prepare
    const keys = new InMemoryKeys();
    const v1 = await organization(keys, 'org-a');
    const before = new OrgCrypto(keys, 'org-a', v1);
    const old = await before.seal('job-1', 'email', 'alice@example.com');
    const index = await before.blindIndex('Alice@Example.com');

    // Act
    const v2 = [...v1, await newKeyVersion(keys, 'org-a', v1)];
    const after = new OrgCrypto(keys, 'org-a', v2);
    const fresh = await after.seal('job-1', 'email', 'alice@example.com');

    // Assess
    expect(v2.map((wrapped) => wrapped.keyId)).toEqual(['k1', 'k2']);
    expect(after.needsResealing(old)).toBe(true);
    expect(after.needsResealing(fresh)).toBe(false);
    expect(await after.open('job-1', 'email', old)).toBe('alice@example.com');
    expect(await after.open('job-1', 'email', fresh)).toBe('alice@example.com');
    expect(await after.blindIndex('alice@example.com')).toBe(index);
    await expect(before.open('job-1', 'email', fresh)).rejects.toThrow(IntegrityError);
  });

  test('crypto-shredding: without its wrapped keys nothing of the organization opens', async () => {
    const keys = new InMemoryKeys();
    const sealed = await new OrgCrypto(keys, 'org-a', await organization(keys, 'org-a')).seal(
      'job-1',
      'email',
      'alice@example.com',
    );

    const shredded = new OrgCrypto(keys, 'org-a', []);

    await expect(shredded.open('job-1', 'email', sealed)).rejects.toThrow(IntegrityError);
    await expect(shredded.seal('job-1', 'email', 'x')).rejects.toThrow(IntegrityError);
    await expect(shredded.blindIndex('alice@example.com')).rejects.toThrow(IntegrityError);
  });

  test('newKeyVersion numbers versions after the highest one', async () => {
    const keys = new InMemoryKeys();

    const next = await newKeyVersion(keys, 'org-a', [
      { keyId: 'k1', ciphertext: 'a' },
      { keyId: 'k7', ciphertext: 'b' },
    ]);

    expect(next.keyId).toBe('k8');
  });
});
