/**
 * The Keys port on AWS KMS: one data key per organization (and key version) from GenerateDataKey
 * with encryption context `{orgId}`, unwrapped with Decrypt under the same context.
 *
 * Unwrapped keys are cached in memory so that a warm function reading thousands of sealed fields
 * of one organization calls KMS once: a bounded LRU (oldest use evicted first) whose entries
 * expire after a TTL of minutes, so a crypto-shredded or rotated key does not outlive the TTL in
 * any other warm function. Concurrent first unwraps of one key share a single in-flight Decrypt;
 * a failed Decrypt is not cached, so the next read tries again.
 */
import {
  DecryptCommand,
  DependencyTimeoutException,
  GenerateDataKeyCommand,
  IncorrectKeyException,
  InvalidCiphertextException,
  KMSInternalException,
  KMSInvalidStateException,
  LimitExceededException,
  NotFoundException,
  type KMSClient,
} from '@aws-sdk/client-kms';
import { env } from '../../config.ts';
import { IntegrityError, UnavailableError } from '../../domain/errors.ts';
import type { GeneratedDataKey, Keys, WrappedDataKey } from '../../ports/keys.ts';
import { kms } from './clients.ts';

export interface KmsKeysOptions {
  /** Unwrapped keys kept at most (least recently used evicted first). Default 1000. */
  readonly maxEntries?: number;
  /** How long an unwrapped key stays cached. Default 5 minutes. */
  readonly ttlMs?: number;
  /** Milliseconds since the epoch; injected by tests to expire entries without waiting. */
  readonly now?: () => number;
}

interface CacheEntry {
  readonly orgId: string;
  readonly plaintext: Buffer;
  readonly expiresAt: number;
}

const DEFAULT_MAX_ENTRIES = 1000;
const DEFAULT_TTL_MS = 5 * 60 * 1000;

/** KMS answers that mean "this wrapped key cannot be opened here": a data problem, not an outage. */
function mapKmsError(error: unknown): unknown {
  if (error instanceof InvalidCiphertextException || error instanceof IncorrectKeyException) {
    return new IntegrityError('The wrapped data key does not open for this organization');
  }
  if (error instanceof NotFoundException || error instanceof KMSInvalidStateException) {
    return new IntegrityError('The key that wraps the data key is not available');
  }
  if (error instanceof KMSInternalException || error instanceof DependencyTimeoutException)
    return new UnavailableError(2, false);
  if (error instanceof LimitExceededException) return new UnavailableError(1, true);
  // KMS's request-rate ThrottlingException is not in the service model, so it has no class to test.
  if (error instanceof Error && error.name === 'ThrottlingException') return new UnavailableError(1, true);
  return error;
}

export class KmsKeys implements Keys {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly inFlight = new Map<
    string,
    { readonly orgId: string; readonly promise: Promise<Buffer> }
  >();
  private readonly maxEntries: number;
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(
    private readonly client: KMSClient = kms(),
    private readonly keyId: string = env.fieldKeyId(),
    options: KmsKeysOptions = {},
  ) {
    this.maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
    this.ttlMs = options.ttlMs ?? DEFAULT_TTL_MS;
    this.now = options.now ?? Date.now;
    if (!Number.isInteger(this.maxEntries) || this.maxEntries < 1)
      throw new RangeError('maxEntries must be a positive integer');
    if (!(this.ttlMs > 0)) throw new RangeError('ttlMs must be positive');
  }

  async generate(orgId: string, keyId: string): Promise<GeneratedDataKey> {
    let output;
    try {
      output = await this.client.send(
        new GenerateDataKeyCommand({ KeyId: this.keyId, KeySpec: 'AES_256', EncryptionContext: { orgId } }),
      );
    } catch (error) {
      throw mapKmsError(error);
    }
    if (output.CiphertextBlob === undefined || output.Plaintext === undefined)
      throw new Error('KMS GenerateDataKey returned no key');
    const plaintext = Buffer.from(output.Plaintext);
    const wrapped: WrappedDataKey = {
      keyId,
      ciphertext: Buffer.from(output.CiphertextBlob).toString('base64'),
    };
    // The organization will use the key right away: caching it saves the first Decrypt.
    this.remember(cacheKey(orgId, wrapped), { orgId, plaintext, expiresAt: this.now() + this.ttlMs });
    return { wrapped, plaintext };
  }

  /**
   * The plaintext data key. The returned Buffer is the cached one and is shared by every caller
   * (derived sub-keys are memoised on it): treat it as read-only.
   */
  unwrap(orgId: string, wrapped: WrappedDataKey): Promise<Buffer> {
    const key = cacheKey(orgId, wrapped);
    const cached = this.cache.get(key);
    if (cached !== undefined) {
      if (cached.expiresAt > this.now()) {
        // Re-insert to mark it most recently used (Map iteration order is insertion order).
        this.cache.delete(key);
        this.cache.set(key, cached);
        return Promise.resolve(cached.plaintext);
      }
      this.cache.delete(key);
    }
    const pending = this.inFlight.get(key);
    if (pending !== undefined) return pending.promise;

    const promise = this.decrypt(orgId, wrapped).then(
      (plaintext) => {
        // Cache only if forget() did not drop this call meanwhile: a shredded key stays gone.
        if (this.inFlight.get(key)?.promise === promise) {
          this.inFlight.delete(key);
          this.remember(key, { orgId, plaintext, expiresAt: this.now() + this.ttlMs });
        }
        return plaintext;
      },
      (error: unknown) => {
        if (this.inFlight.get(key)?.promise === promise) this.inFlight.delete(key);
        throw error;
      },
    );
    this.inFlight.set(key, { orgId, promise });
    return promise;
  }

  forget(orgId: string): void {
    for (const [key, entry] of this.cache) if (entry.orgId === orgId) this.cache.delete(key);
    for (const [key, entry] of this.inFlight) if (entry.orgId === orgId) this.inFlight.delete(key);
  }

  private async decrypt(orgId: string, wrapped: WrappedDataKey): Promise<Buffer> {
    let output;
    try {
      output = await this.client.send(
        new DecryptCommand({
          CiphertextBlob: Buffer.from(wrapped.ciphertext, 'base64'),
          KeyId: this.keyId,
          EncryptionContext: { orgId },
        }),
      );
    } catch (error) {
      throw mapKmsError(error);
    }
    if (output.Plaintext === undefined) throw new Error('KMS Decrypt returned no plaintext');
    return Buffer.from(output.Plaintext);
  }

  private remember(key: string, entry: CacheEntry): void {
    this.cache.delete(key);
    this.cache.set(key, entry);
    while (this.cache.size > this.maxEntries) {
      const oldest = this.cache.keys().next();
      if (oldest.done === true) break;
      this.cache.delete(oldest.value);
    }
  }
}

/** The wrapped ciphertext identifies the key; the org id keeps forget() and the context honest. */
function cacheKey(orgId: string, wrapped: WrappedDataKey): string {
  return `${orgId}\u0000${wrapped.ciphertext}`;
}
