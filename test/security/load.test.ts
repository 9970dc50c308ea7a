/**
 * A bounded soak: the local stack in this process under 15 s of mixed load from 10 connections
 * (bench/load.bench.ts). Every answer must be 2xx/3xx with no socket error or timeout, and memory
 * must not grow beyond the bounds below once the stack is warm. On a 2-core machine a run is some
 * 350 requests, so the heap bound catches a leak of about 25 KB per request (a retained list
 * answer, say) or more; smaller leaks need a longer run (`npx tsx bench/load.bench.ts 300 10`).
 * RSS is coarser (the allocator keeps freed pages; jest shares the process), hence its wider bound.
 */
import { runLoadBench } from '../../bench/load.bench.ts';

const SECONDS = 15;
const CONNECTIONS = 10;
/** Stated bounds, in MB, on growth after warm-up and a full GC. */
const MAX_HEAP_GROWTH_MB = 8;
const MAX_RSS_GROWTH_MB = 96;

let savedEnv: NodeJS.ProcessEnv;

// startLocalStack writes its service environment onto process.env; the next test file in this worker must not inherit it.
beforeAll(() => {
  savedEnv = { ...process.env };
});
afterAll(() => {
  for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
  Object.assign(process.env, savedEnv);
});

test(`soak: ${SECONDS} s of mixed load from ${CONNECTIONS} connections, zero errors, heap growth ≤ ${MAX_HEAP_GROWTH_MB} MB, RSS growth ≤ ${MAX_RSS_GROWTH_MB} MB`, async () => {
  const metrics = await runLoadBench({ seconds: SECONDS, connections: CONNECTIONS });
  process.stdout.write(`load: ${JSON.stringify(metrics)}\n`);
  expect(metrics.api_requests).toBeGreaterThan(0);
  expect(metrics.api_errors).toBe(0);
  expect(metrics.api_heap_growth_mb).toBeLessThanOrEqual(MAX_HEAP_GROWTH_MB);
  expect(metrics.api_rss_growth_mb).toBeLessThanOrEqual(MAX_RSS_GROWTH_MB);
}, 120_000);
