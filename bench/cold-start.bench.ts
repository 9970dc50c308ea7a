/**
 * Cold start: bundle size of every function, and the time a fresh Node process takes to import
 * the bundle and answer a first event, next to references bundled the same way: an empty
 * handler (Node's own floor), the SDK floor, a handler that only creates the DynamoDB and KMS
 * clients as our functions configure them (shared/adapters/aws/clients.ts), and that floor with
 * one AWS call in its first event (`first_call_ratio.sdk_floor`). Each function runs in turns with
 * the floor, and `init_ratio.<fn>` divides by those neighbouring floor runs; the machine's load
 * average while they ran is reported beside them.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { FUNCTIONS, type FunctionSpec } from '../infra/manifest.ts';
import { QUEUES } from '../infra/resources.ts';
import { bundleFunction } from '../infra/bundling.ts';
import { median } from './stats.ts';

const run = promisify(execFile);

/** The first event: an API request without a token (answered 401 after full initialisation), or a scheduled tick. */
function firstEvent(spec: FunctionSpec): object {
  const route = spec.routes[0];
  if (route === undefined)
    return { 'detail-type': 'Scheduled Event', source: 'aws.events', detail: {}, Records: [] };
  const path = route.path.replace(/\{[^}]+\}/g, '01JAAAAAAAAAAAAAAAAAAAAAAA');
  return {
    version: '2.0',
    routeKey: `${route.method} ${route.path}`,
    rawPath: path,
    rawQueryString: '',
    headers: {},
    requestContext: {
      requestId: 'bench',
      http: { method: route.method, path, sourceIp: '127.0.0.1', userAgent: 'bench', protocol: 'HTTP/1.1' },
    },
    isBase64Encoded: false,
  };
}

/**
 * Prints the time and, when the first event threw, its message: a worker's first event fails on
 * the unreachable endpoint (that is expected), but one that fails on anything else (its
 * configuration, say) would measure a handler that never ran. Also what init must not do: the
 * sockets or DNS look-ups open once the module is imported (network work at import), and the
 * undici modules Node loaded by the end of the first event.
 */
const PROBE = `
const [file, eventJson] = process.argv.slice(1);
const started = performance.now();
const mod = await import(file);
const network = process.getActiveResourcesInfo().filter((r) => /TCP|TLS|GetAddrInfo|UDP/.test(r));
const error = await mod.handler(JSON.parse(eventJson), { awsRequestId: 'bench', getRemainingTimeInMillis: () => 30000 }).then(() => undefined, (e) => String(e?.message ?? e));
const ms = performance.now() - started;
const undici = process.moduleLoadList.filter((m) => /undici/i.test(m));
process.stdout.write(JSON.stringify({ ms, error, network, undici }));
`;

/**
 * Only what a function's handler reads at cold start; nothing here is reached over the network.
 * Endpoints are https, as in AWS: the SDK imports node:http only for an http endpoint, and on
 * Node 24 that import loads undici, which a deployed function never pays for.
 *
 * Every AWS endpoint is one local port where nothing listens, and a call is tried once: a worker's
 * first event (a scheduled tick) calls AWS, and that call is refused at once, after the code that
 * makes it has run. With the SDK's defaults it waited on a DNS look-up of the real endpoint and
 * then on two retries with back-off (200 to 300 ms more for the clean-up cycle and the audit
 * review, measured), which no empty handler, and no function in AWS, waits for: that measured
 * the bench's network, not init. The same for every function; the HTTP functions' first event
 * calls nothing.
 */
const UNREACHABLE = 'https://127.0.0.1:9';
const FAKE_ENV: Record<string, string> = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  RECORDS_TABLE: 'bench-records',
  AUDIT_TABLE: 'bench-audit',
  FIELD_KEY_ID: 'alias/bench',
  AUDIT_SIGNING_KEY_ID: 'alias/bench-signing',
  // Every queue's URL and consumer lease, as the stacks set them (a missing one stops the cold start).
  ...Object.fromEntries(
    Object.values(QUEUES).flatMap((queue) => [
      [queue.envVar, `${UNREACHABLE}/queue/${queue.localName}`],
      [queue.leaseEnvVar, String(queue.leaseSeconds)],
    ]),
  ),
  FILES_BUCKET: 'bench-files',
  MAIL_FROM: 'bench@example.com',
  PUBLIC_BASE_URL: 'https://api.example.com',
  CURSOR_SECRET: '00'.repeat(32),
  AUTH_ISSUER: 'https://issuer.example.com',
  AUTH_AUDIENCE: 'bench',
  AUTH_JWKS_URI: `${UNREACHABLE}/jwks.json`,
  LOG_LEVEL: 'error',
  AWS_ENDPOINT_URL: UNREACHABLE,
  AWS_MAX_ATTEMPTS: '1',
};

interface InitSample {
  /** The whole fresh process, start of Node to exit, as a Lambda init pays for the runtime too. */
  readonly process: number;
  /** The import and the first event alone, measured inside the process. */
  readonly handler: number;
}

async function probeOnce(file: string, event: object): Promise<InitSample> {
  const started = performance.now();
  const { stdout } = await run(
    process.execPath,
    ['--input-type=module', '-e', PROBE, file, JSON.stringify(event)],
    {
      env: { PATH: process.env.PATH ?? '', ...FAKE_ENV },
    },
  );
  const whole = performance.now() - started;
  const probed = JSON.parse(stdout) as { ms: number; error?: string; network: string[]; undici: string[] };
  if (probed.network.length > 0 || probed.undici.length > 0) {
    throw new Error(
      `${file}: init must do no network work nor load undici; at import: ${probed.network.join(', ') || 'none'}; undici by the first event: ${probed.undici.join(', ') || 'none'}`,
    );
  }
  if (probed.error !== undefined && !/ECONNREFUSED 127\.0\.0\.1:9\b/.test(probed.error)) {
    throw new Error(
      `${file}: the first event failed on something else than the unreachable endpoint: ${probed.error}`,
    );
  }
  return { process: whole, handler: probed.ms };
}

const medianOf = (samples: readonly InitSample[]): InitSample => ({
  process: median(samples.map((s) => s.process)),
  handler: median(samples.map((s) => s.handler)),
});

async function initMs(file: string, event: object, runs: number): Promise<InitSample> {
  const samples: InitSample[] = [];
  for (let i = 0; i < runs; i += 1) samples.push(await probeOnce(file, event));
  return medianOf(samples);
}

/**
 * A function and the SDK floor run in turns, so both see the same load on a shared machine: the
 * ratio compares neighbours, not a floor measured minutes earlier under another load.
 */
async function pairedInitMs(
  file: string,
  event: object,
  floorFile: string,
  runs: number,
): Promise<{ fn: InitSample; floor: InitSample }> {
  const fn: InitSample[] = [];
  const floor: InitSample[] = [];
  for (let i = 0; i < runs; i += 1) {
    floor.push(await probeOnce(floorFile, {}));
    fn.push(await probeOnce(file, event));
  }
  return { fn: medianOf(fn), floor: medianOf(floor) };
}

export async function runColdStartBench(runs = 5): Promise<Record<string, number>> {
  const dir = await mkdtemp(join(tmpdir(), 'custos-bench-'));
  try {
    const metrics: Record<string, number> = {};
    const emptyEntry = join(dir, 'empty.ts');
    await writeFile(emptyEntry, 'export const handler = async () => ({ statusCode: 200 });\n');
    const baseline = await bundleFunction(emptyEntry, join(dir, 'baseline'));
    const baselineInit = await initMs(baseline.file, {}, runs);
    metrics['bundle_kb.baseline'] = kb(baseline.bytes);
    metrics['init_ms.baseline'] = round(baselineInit.process);
    metrics['handler_init_ms.baseline'] = round(baselineInit.handler);
    const floorEntry = join(dir, 'sdk-floor.ts');
    await writeFile(
      floorEntry,
      `import { dynamoDocumentClient, kms } from ${JSON.stringify(resolve('shared/adapters/aws/clients.ts'))};\n` +
        'dynamoDocumentClient();\nkms();\nexport const handler = async () => ({ statusCode: 200 });\n',
    );
    const floor = await bundleFunction(floorEntry, join(dir, 'sdk-floor'));
    const floorInit = await initMs(floor.file, {}, runs);
    metrics['bundle_kb.sdk_floor'] = kb(floor.bytes);
    metrics['init_ms.sdk_floor'] = round(floorInit.process);
    metrics['handler_init_ms.sdk_floor'] = round(floorInit.handler);
    // The same floor whose first event makes one DynamoDB call (refused at once, as a worker's is):
    // what a first AWS call adds beside init (the https handler, endpoint and signing), which the
    // scheduled workers' first event pays and the floor's and the HTTP functions' (no token) do not.
    const firstCallEntry = join(dir, 'sdk-floor-first-call.ts');
    await writeFile(
      firstCallEntry,
      `import { GetCommand } from ${JSON.stringify(resolve('node_modules/@aws-sdk/lib-dynamodb'))};\n` +
        `import { dynamoDocumentClient, kms } from ${JSON.stringify(resolve('shared/adapters/aws/clients.ts'))};\n` +
        'const documents = dynamoDocumentClient();\nkms();\n' +
        "export const handler = async () => { await documents.send(new GetCommand({ TableName: 'bench', Key: { pk: 'bench' } })); };\n",
    );
    const firstCall = await bundleFunction(firstCallEntry, join(dir, 'sdk-floor-first-call'));
    const { fn: firstCallInit, floor: firstCallFloor } = await pairedInitMs(
      firstCall.file,
      {},
      floor.file,
      runs,
    );
    metrics['init_ms.sdk_floor_first_call'] = round(firstCallInit.process);
    metrics['first_call_ratio.sdk_floor'] = round(firstCallInit.process / firstCallFloor.process);
    const loads: number[] = [loadavg()[0] ?? 0];
    for (const spec of FUNCTIONS) {
      const built = await bundleFunction(resolve(spec.entry), join(dir, spec.name));
      const { fn: init, floor: floorBeside } = await pairedInitMs(
        built.file,
        firstEvent(spec),
        floor.file,
        runs,
      );
      loads.push(loadavg()[0] ?? 0);
      // What init reads; the chunks loaded on demand (XLSX, ZIP) are in the total.
      metrics[`bundle_kb.${spec.name}`] = kb(built.bytes);
      metrics[`bundle_total_kb.${spec.name}`] = kb(built.totalBytes);
      metrics[`init_ms.${spec.name}`] = round(init.process);
      metrics[`handler_init_ms.${spec.name}`] = round(init.handler);
      metrics[`init_ratio.${spec.name}`] = round(init.process / floorBeside.process);
    }
    // The machine's 1-minute load average while the functions ran: what the times were taken under.
    metrics['cold_start_load_avg_min'] = round(Math.min(...loads));
    metrics['cold_start_load_avg_max'] = round(Math.max(...loads));
    return metrics;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const round = (n: number): number => Math.round(n * 100) / 100;
const kb = (bytes: number): number => Math.round(bytes / 102.4) / 10;
