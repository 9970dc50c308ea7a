/**
 * Sustained mixed load on the local stack: a bounded soak whose error count and memory growth
 * have goals in bench/goals.ts (a measurement, not a timed test inside `npm test`). The whole stack starts in this process on a free
 * loopback port, one organization per connection (a tenant each: writes of one organization take
 * turns on its audit chain head, so many writers in ONE organization measure that queue, not the
 * service) with an orchestration and a few jobs, then autocannon keeps `connections` connections
 * busy for `seconds` with a read/write mix, each connection cycling through: create a job → read
 * it back → list the orchestration's jobs → read the org.
 * - `api_rps`, `api_p50_ms`, `api_p99_ms`: requests per second and latency percentiles;
 * - `api_errors`: answers outside 2xx/3xx plus socket errors and timeouts (expected 0);
 * - `api_rss_growth_mb`: resident memory of this process after the run minus before it, both
 *   after a warm-up and a full GC (leaks show here; warm-up allocations do not);
 *   `api_heap_growth_mb`: the same for the V8 heap in use, which a freed-but-kept RSS does not blur.
 * Run alone with `npx tsx bench/load.bench.ts [seconds] [connections]`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import autocannon from 'autocannon';
import { startLocalStack, type LocalStack } from '../infra/local/local-stack.ts';
import { BenchClient, jobFields, seedOrganization } from './calls.bench.ts';

export interface LoadOptions {
  readonly seconds: number;
  readonly connections: number;
}

const WARM_UP_SECONDS = 2;
const DRAIN_MS = 1000;
const MB = 1024 * 1024;

/** A full collection when the runtime allows one (node --expose-gc, or enabled here at run time). */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  const gc = (globalThis as { gc?: () => void }).gc ?? (runInNewContext('gc') as (() => void) | undefined);
  gc?.();
}

async function settledMemory(): Promise<{ rss: number; heap: number }> {
  collectGarbage();
  await new Promise((r) => setTimeout(r, 200));
  collectGarbage();
  const { rss, heapUsed } = process.memoryUsage();
  return { rss, heap: heapUsed };
}

interface Tenant {
  readonly orgId: string;
  readonly orchestrationId: string;
}

interface ConnectionState {
  tenant?: Tenant;
  jobId?: string;
}

function mixedWorkload(stack: LocalStack, token: string, tenants: readonly Tenant[]): autocannon.Options {
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  let created = 0;
  let assigned = 0;
  // autocannon keeps one context object per connection (typed `object`): the first request of a connection picks its tenant.
  const state = (context: object): ConnectionState => context as ConnectionState;
  const tenantOf = (context: object): Tenant =>
    (state(context).tenant ??= tenants[assigned++ % tenants.length]!);
  return {
    url: stack.url,
    headers,
    requests: [
      {
        method: 'POST',
        setupRequest: (request, context) => {
          const { orgId, orchestrationId } = tenantOf(context);
          return {
            ...request,
            path: `/v1/orgs/${orgId}/orchestrations/${orchestrationId}/jobs`,
            body: JSON.stringify({ fields: jobFields((created += 1)) }),
          };
        },
        onResponse: (status, body, context) => {
          if (status === 201) state(context).jobId = (JSON.parse(body) as { jobId: string }).jobId;
        },
      },
      {
        method: 'GET',
        // Without a job from the step before (it failed, and is counted), this read is a 404, counted too.
        setupRequest: (request, context) => ({
          ...request,
          path: `/v1/orgs/${tenantOf(context).orgId}/jobs/${state(context).jobId ?? 'none'}`,
        }),
      },
      {
        method: 'GET',
        setupRequest: (request, context) => {
          const { orgId, orchestrationId } = tenantOf(context);
          return { ...request, path: `/v1/orgs/${orgId}/orchestrations/${orchestrationId}/jobs?limit=20` };
        },
      },
      {
        method: 'GET',
        setupRequest: (request, context) => ({ ...request, path: `/v1/orgs/${tenantOf(context).orgId}` }),
      },
    ],
  };
}

function run(options: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolvePromise, reject) => {
    autocannon(options, (error, result) => (error ? reject(error) : resolvePromise(result)));
  });
}

export async function runLoadBench(options: LoadOptions): Promise<Record<string, number>> {
  const dataDir = await mkdtemp(join(tmpdir(), 'custos-load-'));
  const stack = await startLocalStack({ port: 0, dataDir, fresh: true, quiet: true, schedulers: false });
  try {
    const sub = 'load-owner';
    const client = BenchClient.for(stack, sub);
    const tenants: Tenant[] = [];
    for (let t = 0; t < options.connections; t += 1) {
      const tenant = await seedOrganization(client);
      for (let i = 0; i < 5; i += 1)
        await client.expect(
          201,
          'POST',
          `/v1/orgs/${tenant.orgId}/orchestrations/${tenant.orchestrationId}/jobs`,
          { fields: jobFields(-i) },
        );
      tenants.push(tenant);
    }
    const token = stack.issuer.issueToken({ sub, email: `${sub}@bench.example` });
    const workload = mixedWorkload(stack, token, tenants);

    await run({ ...workload, connections: options.connections, duration: WARM_UP_SECONDS });
    const before = await settledMemory();
    const result = await run({ ...workload, connections: options.connections, duration: options.seconds });
    const after = await settledMemory();

    return {
      api_rps: Math.round(result.requests.average),
      api_p50_ms: result.latency.p50,
      api_p99_ms: result.latency.p99,
      api_requests: result.requests.total,
      api_errors: result['4xx'] + result['5xx'] + result.errors + result.timeouts,
      api_rss_growth_mb: Number(((after.rss - before.rss) / MB).toFixed(1)),
      api_heap_growth_mb: Number(((after.heap - before.heap) / MB).toFixed(1)),
    };
  } finally {
    // autocannon hangs up at the deadline; let the requests still in the handlers finish first.
    await new Promise((r) => setTimeout(r, DRAIN_MS));
    await stack.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [seconds = '15', connections = '10'] = process.argv.slice(2);
  console.log(
    JSON.stringify(
      await runLoadBench({ seconds: Number(seconds), connections: Number(connections) }),
      null,
      2,
    ),
  );
}
