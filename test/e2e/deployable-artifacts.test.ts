/**
 * The deployable artifact, run as Lambda runs it: the app is synthesized once with the real
 * bundles (infra/bundling.ts), and each function's code asset is taken from the cloud assembly,
 * its handler and environment from the template (references resolved to the local resources,
 * infra/local/cloud-app.ts), and loaded in a fresh Node 24 process with nothing of the repository
 * on its path (fixtures/lambda-runtime.mjs). A real request or event then goes through it against
 * the emulators. An ESM/CommonJS mix-up, a missing dynamic import, a wrong handler name or a
 * variable the template does not set fails here rather than after `cdk deploy`.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleFunctions, codeFromBundles } from '../../infra/constructs/function-bundles.ts';
import { synthesizeCloudFunctions, type CloudFunction } from '../../infra/local/cloud-app.ts';
import { UNRESOLVED } from '../../infra/local/iam/local-arns.ts';
import { httpApiEvent, scheduledEvent, sqsEvent } from '../../infra/local/lambda-events.ts';
import { FUNCTIONS, functionNamed } from '../../infra/manifest.ts';
import type { ProvisionedResources } from '../../infra/local/provision.ts';
import { routeKey } from '../../shared/api/route.ts';
import { bearer } from '../support/tokens.ts';
import { TEST_ENV, testEnv } from '../support/test-stack.ts';

const RUNTIME = fileURLToPath(new URL('./fixtures/lambda-runtime.mjs', import.meta.url));

/**
 * Variables the cloud fills from resources that have no local counterpart: the identity provider
 * (Cognito there, the local issuer here), the API's own URL and the cursor secret (a Secrets Manager
 * reference). Each is taken from the local service environment instead, or left to its default.
 */
const LOCAL_STAND_INS = new Set([
  'AUTH_ISSUER',
  'AUTH_AUDIENCE',
  'AUTH_AUDIENCE_CLAIM',
  'AUTH_TOKEN_USE',
  'PUBLIC_BASE_URL',
  'CURSOR_SECRET',
]);
/** What the local stack adds to reach the emulators and the local issuer; the cloud needs none of it. */
const LOCAL_ONLY = [
  'AWS_REGION',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_ENDPOINT_URL_DYNAMODB',
  'AWS_ENDPOINT_URL_SQS',
  'AWS_ENDPOINT_URL_S3',
  'AWS_ENDPOINT_URL_SES',
  'AWS_ENDPOINT_URL_KMS',
  'S3_FORCE_PATH_STYLE',
  'AUTH_JWKS_URI',
  'AUTH_JWKS_CA_FILE',
];

let workDir: string;
let functions: ReadonlyMap<string, CloudFunction>;

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'custos-artifacts-'));
  const resources = JSON.parse(testEnv(TEST_ENV.resources)) as ProvisionedResources;
  const bundles = await bundleFunctions(FUNCTIONS, join(workDir, 'bundles'));
  const synthesized = synthesizeCloudFunctions({
    code: codeFromBundles(bundles),
    outdir: join(workDir, 'cdk.out'),
    queueUrls: { deletion: resources.queues.deletion.url, work: resources.queues.work.url },
  });
  functions = new Map(synthesized.map((fn) => [fn.name, fn]));
}, 600_000);

afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

/** The environment Lambda would give the function, with the local stand-ins and endpoints. */
function lambdaEnvironment(fn: CloudFunction): Record<string, string> {
  const environment: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    LAMBDA_TASK_ROOT: fn.assetDir ?? '',
    AWS_LAMBDA_FUNCTION_NAME: fn.name,
  };
  for (const [name, value] of Object.entries(fn.environment)) {
    const unresolved = value.startsWith(UNRESOLVED) || value.includes('{{resolve:');
    if (unresolved && !LOCAL_STAND_INS.has(name))
      throw new Error(`${fn.name}: ${name} refers to a resource with no local counterpart (${value})`);
    if (!LOCAL_STAND_INS.has(name)) environment[name] = value;
    // A stand-in the local stack does not set (AUTH_AUDIENCE_CLAIM: Cognito's claim) takes its default.
    else if (process.env[name] !== undefined) environment[name] = process.env[name];
  }
  for (const name of LOCAL_ONLY) environment[name] = testEnv(name);
  return environment;
}

interface Invocation {
  readonly ok: boolean;
  readonly result?: { statusCode?: number; body?: string; batchItemFailures?: unknown[] } | null;
  readonly error?: string;
}

function invokeArtifact(name: string, event: unknown): Promise<Invocation> {
  const fn = functions.get(name);
  if (fn?.assetDir === undefined) throw new Error(`No code asset for ${name} in the cloud assembly`);
  const spec = functionNamed(name);
  return new Promise((resolve, reject) => {
    // The project's Node 24 (process.execPath), from the asset directory, with only Lambda's variables.
    // stdout is the function's log (CloudWatch in AWS); the harness answers on file descriptor 3.
    const child = spawn(
      process.execPath,
      [RUNTIME, fn.assetDir!, fn.handler, name, String(spec.timeoutSeconds)],
      { cwd: fn.assetDir, env: lambdaEnvironment(fn), stdio: ['pipe', 'ignore', 'inherit', 'pipe'] },
    );
    let output = '';
    child.stdio[3]?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', () => {
      try {
        resolve(JSON.parse(output) as Invocation);
      } catch {
        reject(new Error(`${name} wrote no answer: ${output.slice(0, 200)}`));
      }
    });
    child.stdin?.end(JSON.stringify(event));
  });
}

function apiEvent(name: string, user: { sub: string; email: string } | undefined): unknown {
  const route = functionNamed(name).routes[0]!;
  const pathParameters: Record<string, string> = {};
  for (const match of route.path.matchAll(/\{([A-Za-z0-9_]+)\}/g))
    pathParameters[match[1]!] = '01JAAAAAAAAAAAAAAAAAAAAAAA';
  const rawPath = route.path.replace(/\{([A-Za-z0-9_]+)\}/g, (_, param: string) => pathParameters[param]!);
  return httpApiEvent({
    method: route.method,
    rawPath,
    rawQueryString: '',
    headers: {
      host: 'localhost',
      'user-agent': 'custos-artifact-test',
      ...(user === undefined ? {} : { authorization: bearer(user) }),
    },
    body: Buffer.alloc(0),
    routeKey: routeKey(route),
    pathParameters,
    sourceIp: '192.0.2.30',
  });
}

describe('the bundles in cdk.out, loaded as the Lambda runtime loads them', () => {
  test('every function of the manifest has a code asset and the handler the runtime will look for', () => {
    expect([...functions.keys()].sort()).toEqual(FUNCTIONS.map((f) => f.name).sort());
    for (const fn of functions.values()) expect(fn.assetDir).toBeDefined();
  });

  test('the OpenAPI function answers its document', async () => {
    const answer = await invokeArtifact('openapi', apiEvent('openapi', undefined));
    expect(answer.error).toBeUndefined();
    expect(answer.result?.statusCode).toBe(200);
    expect(JSON.parse(answer.result?.body ?? '{}')).toHaveProperty('openapi');
  });

  test('api-orgs creates an organization: token check, DynamoDB, KMS and the audit log from the bundle', async () => {
    const user = { sub: `artifact-${Date.now()}`, email: 'artifact@example.test' };
    const event = httpApiEvent({
      method: 'POST',
      rawPath: '/v1/orgs',
      rawQueryString: '',
      headers: { host: 'localhost', 'content-type': 'application/json', authorization: bearer(user) },
      body: Buffer.from(JSON.stringify({ name: 'Artifact' })),
      routeKey: 'POST /v1/orgs',
      pathParameters: {},
      sourceIp: '192.0.2.30',
    });
    const answer = await invokeArtifact('api-orgs', event);
    expect(answer.error).toBeUndefined();
    expect(answer.result?.statusCode).toBe(201);
  });

  // Each API function's first route, for a caller who is no member: the middleware chain, the token
  // check against the local issuer and a membership read in DynamoDB, answered without a 5xx.
  test.each(FUNCTIONS.filter((f) => f.routes.length > 0 && f.name !== 'openapi').map((f) => f.name))(
    '%s answers a real request without a server error',
    async (name) => {
      const answer = await invokeArtifact(
        name,
        apiEvent(name, { sub: `stranger-${name}`, email: 'stranger@example.test' }),
      );
      expect(answer.error).toBeUndefined();
      expect(answer.result?.statusCode).toBeGreaterThanOrEqual(200);
      expect(answer.result?.statusCode).toBeLessThan(500);
    },
  );

  test.each(FUNCTIONS.filter((f) => f.schedule !== undefined).map((f) => f.name))(
    '%s runs a scheduled event to the end against the emulators',
    async (name) => {
      const answer = await invokeArtifact(name, scheduledEvent(`custos-${name}`));
      expect(answer.error).toBeUndefined();
      expect(answer.ok).toBe(true);
    },
  );

  test('portability-worker takes a queue message for an export that does not exist and reports no failure to retry', async () => {
    const resources = JSON.parse(testEnv(TEST_ENV.resources)) as ProvisionedResources;
    const message = {
      MessageId: 'artifact-1',
      ReceiptHandle: 'r',
      Body: JSON.stringify({
        kind: 'export',
        orgId: '01JAAAAAAAAAAAAAAAAAAAAAAA',
        exportId: '01JAAAAAAAAAAAAAAAAAAAAAAB',
      }),
      Attributes: {},
    };
    const answer = await invokeArtifact(
      'portability-worker',
      sqsEvent(resources.queues.work.arn ?? 'arn:aws:sqs:us-east-1:000000000000:custos-work', [message]),
    );
    // A missing export is done (runExport reads it from DynamoDB and stops), so nothing is to be retried.
    expect(answer.error).toBeUndefined();
    expect(answer.result?.batchItemFailures).toEqual([]);
  });
});
