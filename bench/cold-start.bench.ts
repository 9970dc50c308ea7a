/**
 * Cold start: bundle size of every function, and the time a fresh Node process takes to import
 * the bundle and answer a first event, next to two references bundled the same way: an empty
 * handler (Node's own floor) and the SDK floor, a handler that only creates the DynamoDB and KMS
 * clients as our functions configure them (shared/adapters/aws/clients.ts).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
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
  if (route === undefined) return { 'detail-type': 'Scheduled Event', source: 'aws.events', detail: {}, Records: [] };
  const path = route.path.replace(/\{[^}]+\}/g, '01JAAAAAAAAAAAAAAAAAAAAAAA');
  return {
    version: '2.0',
    routeKey: `${route.method} ${route.path}`,
    rawPath: path,
    rawQueryString: '',
    headers: {},
    requestContext: { requestId: 'bench', http: { method: route.method, path, sourceIp: '127.0.0.1', userAgent: 'bench', protocol: 'HTTP/1.1' } },
    isBase64Encoded: false,
  };
}

/**
 * Prints the time and, when the first event threw, its message: a worker's first event fails on
 * the unreachable endpoints (that is expected), but one that fails on its configuration would
 * measure a handler that never ran.
 */
const PROBE = `
const [file, eventJson] = process.argv.slice(1);
const started = performance.now();
const mod = await import(file);
const error = await mod.handler(JSON.parse(eventJson), { awsRequestId: 'bench', getRemainingTimeInMillis: () => 30000 }).then(() => undefined, (e) => String(e?.message ?? e));
process.stdout.write(JSON.stringify({ ms: performance.now() - started, error }));
`;

/**
 * Only what a function's handler reads at cold start; nothing here is reached over the network.
 * Endpoints are https, as in AWS: the SDK imports node:http only for an http endpoint, and on
 * Node 24 that import loads undici, which a deployed function never pays for.
 */
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
      [queue.envVar, `https://127.0.0.1:9/queue/${queue.localName}`],
      [queue.leaseEnvVar, String(queue.leaseSeconds)],
    ]),
  ),
  FILES_BUCKET: 'bench-files',
  MAIL_FROM: 'bench@example.com',
  PUBLIC_BASE_URL: 'https://api.example.com',
  CURSOR_SECRET: '00'.repeat(32),
  AUTH_ISSUER: 'https://issuer.example.com',
  AUTH_AUDIENCE: 'bench',
  AUTH_JWKS_URI: 'https://127.0.0.1:9/jwks.json',
  LOG_LEVEL: 'error',
};

/**
 * Median over runs of: the whole fresh process (start of Node to exit, as a Lambda init pays for
 * the runtime too) and the import + first event alone, measured inside the process.
 */
async function initMs(file: string, event: object, runs: number): Promise<{ process: number; handler: number }> {
  const whole: number[] = [];
  const inside: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const started = performance.now();
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', PROBE, file, JSON.stringify(event)], {
      env: { PATH: process.env.PATH ?? '', ...FAKE_ENV },
    });
    whole.push(performance.now() - started);
    const probed = JSON.parse(stdout) as { ms: number; error?: string };
    if (probed.error !== undefined && /Environment variable|must be a whole number/.test(probed.error)) {
      throw new Error(`${file}: the first event failed on its configuration, not on the network: ${probed.error}`);
    }
    inside.push(probed.ms);
  }
  return { process: median(whole), handler: median(inside) };
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
    for (const spec of FUNCTIONS) {
      const built = await bundleFunction(resolve(spec.entry), join(dir, spec.name));
      const init = await initMs(built.file, firstEvent(spec), runs);
      // What init reads; the chunks loaded on demand (XLSX, ZIP) are in the total.
      metrics[`bundle_kb.${spec.name}`] = kb(built.bytes);
      metrics[`bundle_total_kb.${spec.name}`] = kb(built.totalBytes);
      metrics[`init_ms.${spec.name}`] = round(init.process);
      metrics[`handler_init_ms.${spec.name}`] = round(init.handler);
      metrics[`init_ratio.${spec.name}`] = round(init.process / floorInit.process);
    }
    return metrics;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const round = (n: number): number => Math.round(n * 100) / 100;
const kb = (bytes: number): number => Math.round(bytes / 102.4) / 10;
