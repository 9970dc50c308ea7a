/**
 * The LRU cache of the SDK's endpoint discovery in the deployed bundles. Every DynamoDB client
 * builds an `EndpointCache` (`@aws-sdk/endpoint-cache`) when it is constructed, on mnemonist's
 * `LRUCache` (with obliterator, about 7 KB of every bundle), although DynamoDB uses endpoint
 * discovery only when it is turned on, which Custos never does. infra/bundling.ts resolves that one
 * import to this module: the same calls (`has`, `peek`, `get`, `set`, `clear`) over a `Map`, whose
 * insertion order is the recency order. Outside a bundle (`npm start`, the tests) the SDK keeps
 * mnemonist.
 */
export default class LruCache<K, V> {
  private readonly entries = new Map<K, V>();

  constructor(private readonly capacity: number) {}

  has(key: K): boolean {
    return this.entries.has(key);
  }

  /** The value without making it the most recent. */
  peek(key: K): V | undefined {
    return this.entries.get(key);
  }

  get(key: K): V | undefined {
    if (!this.entries.has(key)) return undefined;
    const value = this.entries.get(key) as V;
    this.entries.delete(key);
    this.entries.set(key, value);
    return value;
  }

  set(key: K, value: V): this {
    this.entries.delete(key);
    this.entries.set(key, value);
    const oldest = this.entries.keys().next();
    if (this.entries.size > this.capacity && oldest.done !== true) this.entries.delete(oldest.value);
    return this;
  }

  clear(): void {
    this.entries.clear();
  }
}
