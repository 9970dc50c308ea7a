import { ScheduleKeyDeletionCommand } from '@aws-sdk/client-kms';
import { KmsKeys } from '../../../shared/adapters/aws/kms-keys.ts';
import { IntegrityError } from '../../../shared/domain/errors.ts';
import { OrgCrypto, newKeyVersion } from '../../../shared/domain/org-crypto.ts';
import { FIELD_KEY_ALIAS, startKmsServer, type KmsServer } from '../../../infra/local/kms-server.ts';
import { countingKmsClient, type CountingKmsClient } from './kms-client.ts';

describe('KmsKeys against the local KMS endpoint', () => {
  let server: KmsServer;

  beforeAll(async () => {
    server = await startKmsServer({ port: 0 });
  });

  afterAll(async () => {
    await server.close();
  });

  /** A KmsKeys with a cold cache, as in a new warm function, and its own call counter. */
  function freshKeys(
    options?: ConstructorParameters<typeof KmsKeys>[2],
  ): CountingKmsClient & { keys: KmsKeys } {
    const counting = countingKmsClient(server.url);
    return { ...counting, keys: new KmsKeys(counting.client, FIELD_KEY_ALIAS, options) };
  }

  test('generate wraps a 32-byte key that another instance unwraps with one Decrypt', async () => {
    // Prepare
    const writer = freshKeys();
    const reader = freshKeys();

    // Act
    const generated = await writer.keys.generate('org-a', 'k1');
    const unwrapped = await reader.keys.unwrap('org-a', generated.wrapped);

    // Assess
    expect(generated.plaintext).toHaveLength(32);
    expect(generated.wrapped.keyId).toBe('k1');
    expect(unwrapped).toEqual(generated.plaintext);
    expect(writer.calls.get('GenerateDataKey')).toBe(1);
    expect(reader.calls.get('Decrypt')).toBe(1);
  });

  test('a wrapped key does not unwrap for another organization (wrong encryption context)', async () => {
    const { wrapped } = await freshKeys().keys.generate('org-a', 'k1');

    await expect(freshKeys().keys.unwrap('org-b', wrapped)).rejects.toThrow(IntegrityError);
  });

  test('10,000 opens of one organization cost exactly one Decrypt', async () => {
    // Prepare
    const writer = freshKeys();
    const wrappedKeys = [await newKeyVersion(writer.keys, 'org-a', [])];
    const sealer = new OrgCrypto(writer.keys, 'org-a', wrappedKeys);
    const sealed = await Promise.all(
      Array.from({ length: 10_000 }, (_, i) => sealer.seal(`job-${i}`, 'email', `subject-${i}@example.com`)),
    );
    const reader = freshKeys();
    const crypto = new OrgCrypto(reader.keys, 'org-a', wrappedKeys);

    // Act
    const opened: string[] = [];
    for (const [i, value] of sealed.entries()) opened.push(await crypto.open(`job-${i}`, 'email', value));

    // Assess
    expect(opened[9_999]).toBe('subject-9999@example.com');
    expect(reader.calls.get('Decrypt')).toBe(1);
    expect([...reader.calls.keys()]).toEqual(['Decrypt']);
  });

  test('concurrent first unwraps share one in-flight Decrypt', async () => {
    const { wrapped, plaintext } = await freshKeys().keys.generate('org-a', 'k1');
    const reader = freshKeys();

    const results = await Promise.all(Array.from({ length: 50 }, () => reader.keys.unwrap('org-a', wrapped)));

    expect(results.every((key) => key.equals(plaintext))).toBe(true);
    expect(reader.calls.get('Decrypt')).toBe(1);
  });

  test('a failed Decrypt is not cached: the next unwrap asks KMS again', async () => {
    const { wrapped } = await freshKeys().keys.generate('org-a', 'k1');
    const reader = freshKeys();

    await expect(reader.keys.unwrap('org-b', wrapped)).rejects.toThrow(IntegrityError);
    await expect(reader.keys.unwrap('org-b', wrapped)).rejects.toThrow(IntegrityError);

    expect(reader.calls.get('Decrypt')).toBe(2);
  });

  test('entries expire after the TTL, and forget(orgId) drops an organization at once', async () => {
    // Prepare
    let now = 1_000_000;
    const { wrapped } = await freshKeys().keys.generate('org-a', 'k1');
    const reader = freshKeys({ ttlMs: 60_000, now: () => now });
    await reader.keys.unwrap('org-a', wrapped);

    // Act + Assess
    now += 59_000;
    await reader.keys.unwrap('org-a', wrapped);
    expect(reader.calls.get('Decrypt')).toBe(1);
    now += 2_000;
    await reader.keys.unwrap('org-a', wrapped);
    expect(reader.calls.get('Decrypt')).toBe(2);
    reader.keys.forget('org-a');
    await reader.keys.unwrap('org-a', wrapped);
    expect(reader.calls.get('Decrypt')).toBe(3);
  });

  test('the cache is bounded: the least recently used key is evicted first', async () => {
    const writer = freshKeys();
    const [a, b, c] = await Promise.all(
      ['org-a', 'org-b', 'org-c'].map((orgId) => writer.keys.generate(orgId, 'k1')),
    );
    const reader = freshKeys({ maxEntries: 2 });

    await reader.keys.unwrap('org-a', a!.wrapped);
    await reader.keys.unwrap('org-b', b!.wrapped);
    await reader.keys.unwrap('org-a', a!.wrapped); // org-a is now the most recently used
    await reader.keys.unwrap('org-c', c!.wrapped); // evicts org-b
    await reader.keys.unwrap('org-a', a!.wrapped);
    expect(reader.calls.get('Decrypt')).toBe(3);
    await reader.keys.unwrap('org-b', b!.wrapped);
    expect(reader.calls.get('Decrypt')).toBe(4);
  });

  test('crypto-shredding: once the wrapped keys are deleted, no ciphertext of the organization opens', async () => {
    // Prepare
    const writer = freshKeys();
    const wrappedKeys = [await newKeyVersion(writer.keys, 'org-a', [])];
    const sealed = await new OrgCrypto(writer.keys, 'org-a', wrappedKeys).seal(
      'job-1',
      'email',
      'alice@example.com',
    );

    // Act: the organization record (and with it the wrapped key) is deleted; caches are dropped.
    writer.keys.forget('org-a');
    const reader = freshKeys();
    const afterShredding = new OrgCrypto(reader.keys, 'org-a', []);

    // Assess
    await expect(afterShredding.open('job-1', 'email', sealed)).rejects.toThrow(IntegrityError);
    await expect(new OrgCrypto(writer.keys, 'org-a', []).open('job-1', 'email', sealed)).rejects.toThrow(
      IntegrityError,
    );
    // Another organization's wrapped key does not help either: KMS refuses it under context org-a.
    const otherKeys = [await newKeyVersion(reader.keys, 'org-b', [])];
    await expect(
      new OrgCrypto(reader.keys, 'org-a', otherKeys).open('job-1', 'email', sealed),
    ).rejects.toThrow(IntegrityError);
    expect(reader.calls.get('Decrypt')).toBe(1);
  });
});

describe('KmsKeys when the KMS key itself is scheduled for deletion', () => {
  test('unwrapping fails with IntegrityError instead of returning a key', async () => {
    const server = await startKmsServer({ port: 0 });
    try {
      const admin = countingKmsClient(server.url);
      const { wrapped } = await new KmsKeys(admin.client, FIELD_KEY_ALIAS).generate('org-a', 'k1');
      await admin.client.send(
        new ScheduleKeyDeletionCommand({ KeyId: FIELD_KEY_ALIAS, PendingWindowInDays: 7 }),
      );

      await expect(
        new KmsKeys(countingKmsClient(server.url).client, FIELD_KEY_ALIAS).unwrap('org-a', wrapped),
      ).rejects.toThrow(IntegrityError);
    } finally {
      await server.close();
    }
  });
});
