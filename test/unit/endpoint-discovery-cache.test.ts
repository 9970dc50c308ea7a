/**
 * The deployed bundles give the SDK's endpoint cache this LRU instead of mnemonist's
 * (infra/bundling.ts); it must evict as an LRU does, or a bundle with discovery on would misroute.
 */
import LruCache from '../../shared/adapters/aws/endpoint-discovery-cache.ts';

test('it drops the least recently used entry once over capacity; a get refreshes, a peek does not', () => {
  const cache = new LruCache<string, number>(2);
  cache.set('a', 1).set('b', 2);
  expect(cache.get('a')).toBe(1);
  cache.set('c', 3);
  expect([cache.has('a'), cache.has('b'), cache.has('c')]).toEqual([true, false, true]);
  expect(cache.peek('a')).toBe(1);
  cache.set('d', 4);
  expect([cache.has('a'), cache.has('c'), cache.has('d')]).toEqual([false, true, true]);
  cache.clear();
  expect(cache.has('c')).toBe(false);
});
