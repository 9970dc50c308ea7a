/**
 * The one infra test that runs esbuild: what the CDK app deploys is the bundle infra/bundling.ts
 * builds (the one the cold-start benchmark measures), zod locales dropped, SDK inside, credentials
 * from the environment only, rare heavy paths in chunks, and every HTTP bundle within its budget.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Metafile } from 'esbuild';
import { App, AssetStaging, Stack } from 'aws-cdk-lib';
import { Key } from 'aws-cdk-lib/aws-kms';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { bundleFunction, OPENAPI_DOCUMENT_FILE } from '../../infra/bundling.ts';
import { CustosFunction } from '../../infra/constructs/custos-function.ts';
import {
  bundleFunctions,
  codeFromBundles,
  describeBundle,
  type FunctionBundle,
} from '../../infra/constructs/function-bundles.ts';
import { FUNCTIONS, functionNamed } from '../../infra/manifest.ts';
import { QUEUES } from '../../infra/resources.ts';
import { buildOpenApiDocument } from '../../shared/api/openapi.ts';
import { ROUTES } from '../../shared/api/routes/index.ts';
import { schemaOutcomes } from '../support/schema-outcomes.ts';

// openapi: the smallest function.
const spec = functionNamed('openapi');
let dir: string;
let bundle: FunctionBundle;
let deployed: string;
let staging: AssetStaging;
let reference: Awaited<ReturnType<typeof bundleFunction>>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'custos-bundles-'));
  const bundles = await bundleFunctions([spec], join(dir, 'app'));
  bundle = bundles.get(spec.name)!;
  reference = await bundleFunction(spec.entry, join(dir, 'reference'));
  const stack = new Stack(new App(), 'Bundle');
  const fn = new CustosFunction(stack, 'Openapi', {
    spec,
    code: codeFromBundles(bundles)(spec),
    logKey: new Key(stack, 'LogKey', { enableKeyRotation: true }),
    logRetention: RetentionDays.ONE_WEEK,
  });
  staging = fn.node.findChild('Code').node.findChild('Stage') as AssetStaging;
  deployed = await readFile(join(staging.absoluteStagedPath, 'index.mjs'), 'utf8');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('the deployed asset is byte for byte the bundle infra/bundling.ts builds', async () => {
  expect(deployed).toBe(await readFile(reference.file, 'utf8'));
});

test('the deployed openapi asset carries the document built from the route table', async () => {
  const staged = join(staging.absoluteStagedPath, OPENAPI_DOCUMENT_FILE);
  expect(JSON.parse(await readFile(staged, 'utf8'))).toEqual(
    JSON.parse(JSON.stringify(buildOpenApiDocument())),
  );
});

/** The modules a bundle carries code of: esbuild lists what it read, tree-shaken modules too. */
const carriedModules = (metafile: Metafile): string[] => [
  ...new Set(
    Object.values(metafile.outputs).flatMap((output) =>
      Object.entries(output.inputs)
        .filter(([, input]) => input.bytesInOutput > 0)
        .map(([name]) => name),
    ),
  ),
];

test('the printed size is the metafile output size, which is the file size', () => {
  expect(bundle.bytes).toBe(Buffer.byteLength(deployed));
  expect(bundle.largest.length).toBeGreaterThan(0);
  expect(describeBundle(spec.name, bundle)).toMatch(
    /^bundle openapi: \d+\.\d KiB \(largest: [^ ]+ \d+\.\d KiB, /,
  );
});

test('the bundle is ESM and requires nothing from the runtime but Node built-ins', () => {
  expect(deployed.startsWith('import')).toBe(true);
  const imported = [...deployed.matchAll(/(?:from|import)\s*"([^"]+)"/g)].map((m) => m[1]);
  const required = [...deployed.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
  for (const specifier of [...imported, ...required]) {
    expect(specifier).toMatch(
      /^node:|^(fs|path|os|crypto|url|http|https|stream|util|events|buffer|zlib|module|net|tls|child_process|process|string_decoder|querystring|assert|async_hooks|timers|worker_threads|perf_hooks|dns|http2)(\/|$)/,
    );
  }
});

/** Goal of issue 18: what the cold start of a function answering HTTP reads, in KiB. */
const HTTP_BUNDLE_GOAL_KB = 250;
/**
 * The HTTP bundles still above the goal, each held to its size when measured (+3 %), so none
 * grows while the gap is open (docs/performance.md says why). A bundle that meets the goal must
 * leave this list: the last test below fails until it does.
 */
const OVER_GOAL_CEILING_KB: Readonly<Record<string, number>> = {
  // Measured with the SQS adapters loaded on first use, mnemonist and the SDK's package.json
  // contents left out (docs/decisions/0017), +3 %.
  'api-orgs': 370,
  'api-orchestrations': 304,
  'api-jobs': 363,
  'api-subjects': 366,
  'api-audit': 341,
  // The S3 client loads on first use (shared/files-on-first-use.ts): a ready file's status only.
  'api-portability': 391,
  'api-extensions': 358,
  // S3 loads on first use since its CSP's origin is derived (adapters/aws/s3-origin.ts), and
  // aws-jwt-verify is left out of the public-only functions.
  download: 302,
  'api-accountability': 344,
  // SES loads on first send (shared/mailer-on-first-use.ts).
  'api-requests': 408,
  // The report link of a data subject request (issue 20): a function of its own so api-requests
  // does not carry the S3 presigner. Its page reads DynamoDB only; the form loads SES and S3.
  'request-report': 375,
};
const HTTP_FUNCTIONS = FUNCTIONS.filter((f) => f.routes.length > 0).map((f) => f.name);
/** The workers that load a client on first use, bundled beside the HTTP functions for the tests of those clients. */
const WORKERS_WITH_LAZY_CLIENTS = ['cleanup', 'portability-worker'];
const kbOf = (bytes: number): number => bytes / 1024;

// Bundling every HTTP function takes a few seconds alone, far longer on a machine shared by many.
const BUNDLING_TIMEOUT_MS = 180_000;

describe('every HTTP bundle', () => {
  let built: Map<string, Awaited<ReturnType<typeof bundleFunction>>>;
  const bundleOf = (name: string) => built.get(name)!;

  beforeAll(async () => {
    const entries = await Promise.all(
      [...HTTP_FUNCTIONS, ...WORKERS_WITH_LAZY_CLIENTS].map(
        async (name) =>
          [name, await bundleFunction(functionNamed(name).entry, join(dir, 'http', name))] as const,
      ),
    );
    built = new Map(entries);
  }, BUNDLING_TIMEOUT_MS);

  test.each(HTTP_FUNCTIONS)('%s: its cold start reads no more than its budget', (name) => {
    const limit = OVER_GOAL_CEILING_KB[name] ?? HTTP_BUNDLE_GOAL_KB;
    expect(kbOf(bundleOf(name).bytes)).toBeLessThanOrEqual(limit);
  });

  test.each(Object.keys(OVER_GOAL_CEILING_KB))(
    '%s is still over the goal, so it still needs its own ceiling',
    (name) => {
      expect(kbOf(bundleOf(name).bytes)).toBeGreaterThan(HTTP_BUNDLE_GOAL_KB);
    },
  );

  test.each(HTTP_FUNCTIONS)('%s carries no credential provider but the environment one', (name) => {
    const inputs = Object.keys(bundleOf(name).metafile.inputs);
    expect(
      inputs.filter((i) =>
        /@aws-sdk\/(credential-provider-(?!env)[^/]+|nested-clients|token-providers)\//.test(i),
      ),
    ).toEqual([]);
  });

  /** The outputs a cold start reads: the entry and every chunk it imports statically, transitively. */
  const coldStartOutputs = (name: string): Set<string> => {
    const { metafile, entryOutput } = bundleOf(name);
    const read = new Set<string>();
    const visit = (output: string): void => {
      if (read.has(output)) return;
      read.add(output);
      for (const i of metafile.outputs[output]!.imports)
        if (i.kind === 'import-statement' && !i.external) visit(i.path);
    };
    visit(entryOutput);
    return read;
  };
  /** The outputs that carry code of `pkg`. */
  const holding = (name: string, pkg: string): string[] => {
    const outputs = bundleOf(name).metafile.outputs;
    return Object.keys(outputs).filter((output) =>
      Object.entries(outputs[output]!.inputs).some(
        ([input, { bytesInOutput }]) => bytesInOutput > 0 && input.includes(`node_modules/${pkg}/`),
      ),
    );
  };

  test('api-portability loads exceljs only through import(): it is in a chunk outside what init reads', () => {
    const { bytes, totalBytes } = bundleOf('api-portability');
    const read = coldStartOutputs('api-portability');
    expect(holding('api-portability', 'exceljs').length).toBeGreaterThan(0);
    expect(holding('api-portability', 'exceljs').filter((output) => read.has(output))).toEqual([]);
    expect(totalBytes).toBeGreaterThan(bytes + 1024 * 1024);
  });

  // They queue a message rarely (Art. 19 notices, exports, deletions): services.ts loads the SQS adapters on first use.
  test.each(['api-jobs', 'api-subjects', 'api-orgs', 'api-requests', 'api-portability'])(
    '%s loads the SQS client only through import(), when it first sends',
    (name) => {
      const read = coldStartOutputs(name);
      expect(holding(name, '@aws-sdk/client-sqs').length).toBeGreaterThan(0);
      expect(holding(name, '@aws-sdk/client-sqs').filter((output) => read.has(output))).toEqual([]);
    },
  );

  // A first event that touches no file or sends no mail does not read these clients; the worker,
  // which uploads on every message, creates S3 at cold start.
  test.each([
    ['api-portability', '@aws-sdk/client-s3'],
    ['download', '@aws-sdk/client-s3'],
    ['request-report', '@aws-sdk/client-s3'],
    ['cleanup', '@aws-sdk/client-s3'],
    ['request-report', '@aws-sdk/client-ses'],
    ['api-requests', '@aws-sdk/client-ses'],
    ['cleanup', '@aws-sdk/client-ses'],
    ['portability-worker', '@aws-sdk/client-ses'],
  ])('%s loads %s only through import(), when it first needs it', (name, pkg) => {
    const read = coldStartOutputs(name);
    expect(holding(name, pkg).length).toBeGreaterThan(0);
    expect(holding(name, pkg).filter((output) => read.has(output))).toEqual([]);
  });

  const hasTokenRoute = (name: string): boolean =>
    functionNamed(name).routes.some((route) => route.auth === 'jwt');
  const PUBLIC_ONLY = HTTP_FUNCTIONS.filter((name) => !hasTokenRoute(name));

  test('the public-only functions are the link pages and the OpenAPI document', () => {
    expect([...PUBLIC_ONLY].sort()).toEqual(['download', 'openapi', 'request-report']);
  });

  // The verifier reaches a function only through its handler (shared/http/token-verifier.ts).
  test.each(PUBLIC_ONLY)('%s, public only, carries none of aws-jwt-verify', (name) => {
    expect(holding(name, 'aws-jwt-verify')).toEqual([]);
  });

  test.each(HTTP_FUNCTIONS.filter(hasTokenRoute))(
    '%s, with token routes, reads aws-jwt-verify at cold start',
    (name) => {
      const read = coldStartOutputs(name);
      expect(holding(name, 'aws-jwt-verify').filter((output) => read.has(output)).length).toBeGreaterThan(0);
    },
  );

  test('the api-portability folder holds every chunk its bundle can load', async () => {
    const folder = join(dir, 'http', 'api-portability');
    const written = (await readdir(folder, { recursive: true })).map(String);
    const outputs = Object.keys(bundleOf('api-portability').metafile.outputs).map((name) =>
      relative(folder, name),
    );
    expect(outputs.some((name) => name.startsWith('chunks/'))).toBe(true);
    for (const name of outputs) expect(written).toContain(name);
  });

  test('nothing loads undici (fetch) while a bundle is imported and answers a first request', async () => {
    const probe = `
      const mod = await import(${JSON.stringify(bundleOf('api-jobs').file)});
      await mod.handler({ version: '2.0', routeKey: 'GET /v1/orgs/{orgId}/jobs/{jobId}', rawPath: '/v1/orgs/o/jobs/j', rawQueryString: '', headers: {}, isBase64Encoded: false,
        requestContext: { requestId: 'probe', http: { method: 'GET', path: '/v1/orgs/o/jobs/j', sourceIp: '127.0.0.1', userAgent: 'probe', protocol: 'HTTP/1.1' } } }, {});
      process.stdout.write(JSON.stringify(process.moduleLoadList.filter((m) => /undici/i.test(m))));`;
    const env = {
      PATH: process.env.PATH ?? '',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'probe',
      AWS_SECRET_ACCESS_KEY: 'probe',
      RECORDS_TABLE: 'probe-records',
      AUDIT_TABLE: 'probe-audit',
      FIELD_KEY_ID: 'alias/probe',
      CURSOR_SECRET: '00'.repeat(32),
      // api-jobs sends Art. 19 notices; config is read at cold start, so the probe names the queue (https, as in AWS).
      NOTICE_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/probe-notices',
      AUTH_ISSUER: 'https://issuer.example.com',
      AUTH_AUDIENCE: 'probe',
      AUTH_JWKS_URI: 'https://127.0.0.1:9/jwks.json',
      LOG_LEVEL: 'error',
    };
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', probe], {
      env,
    });
    expect(JSON.parse(stdout)).toEqual([]);
  }, 60_000);

  test('the openapi bundle serves the document the route table generates', async () => {
    const probe = `
      const mod = await import(${JSON.stringify(bundleOf('openapi').file)});
      const answer = await mod.handler({ version: '2.0', routeKey: 'GET /v1/openapi.json', rawPath: '/v1/openapi.json', rawQueryString: '', headers: {}, isBase64Encoded: false,
        requestContext: { requestId: 'probe', http: { method: 'GET', path: '/v1/openapi.json', sourceIp: '127.0.0.1', userAgent: 'probe', protocol: 'HTTP/1.1' } } }, {});
      process.stdout.write(JSON.stringify(answer));`;
    const env = {
      PATH: process.env.PATH ?? '',
      AUTH_ISSUER: 'https://issuer.example.com',
      AUTH_AUDIENCE: 'probe',
      AUTH_JWKS_URI: 'https://127.0.0.1:9/jwks.json',
      LOG_LEVEL: 'error',
    };
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', probe], {
      env,
      maxBuffer: 16 * 1024 * 1024,
    });
    const answer = JSON.parse(stdout) as { statusCode: number; body: string };
    expect(answer.statusCode).toBe(200);
    expect(JSON.parse(answer.body)).toEqual(JSON.parse(JSON.stringify(buildOpenApiDocument())));
  }, 60_000);
});

describe('zod/mini without its JSON Schema and compiler modules', () => {
  let probe: Awaited<ReturnType<typeof bundleFunction>>;

  beforeAll(async () => {
    const entry = join(dir, 'schema-outcomes.ts');
    await writeFile(
      entry,
      `import { ROUTES } from ${JSON.stringify(resolve('shared/api/routes/index.ts'))};\n` +
        `import { schemaOutcomes } from ${JSON.stringify(resolve('test/support/schema-outcomes.ts'))};\n` +
        'export const handler = async () => schemaOutcomes(ROUTES);\n',
    );
    probe = await bundleFunction(entry, join(dir, 'schema-outcomes'));
  }, BUNDLING_TIMEOUT_MS);

  test('zod speaks English only in the bundle', () => {
    const inputs = carriedModules(probe.metafile);
    expect(inputs.some((i) => /zod\/v4\/locales\/en\.js$/.test(i))).toBe(true);
    expect(inputs.filter((i) => /zod\/v4\/locales\/(?!en\.js|index\.js)[^/]+\.js$/.test(i))).toEqual([]);
  });

  test('the bundle carries none of zod classic, its JSON Schema generator or its compiler', () => {
    const zodModules = carriedModules(probe.metafile).filter((i) => i.includes('node_modules/zod/'));
    expect(zodModules.some((i) => i.includes('/v4/mini/'))).toBe(true);
    expect(
      zodModules.filter((i) =>
        /\/v4\/(classic\/|core\/(compile|to-json-schema|json-schema-processors|json-schema-generator)\.js)/.test(
          i,
        ),
      ),
    ).toEqual([]);
  });

  test('every route schema accepts and refuses in a bundle exactly as it does unbundled', async () => {
    const expected = schemaOutcomes(ROUTES);
    const script = `const mod = await import(${JSON.stringify(probe.file)}); process.stdout.write(JSON.stringify(await mod.handler()));`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
      maxBuffer: 16 * 1024 * 1024,
    });
    expect(Object.keys(expected).length).toBeGreaterThan(100);
    expect(JSON.parse(stdout)).toEqual(expected);
  }, 60_000);
});

test(
  'the clean-up cycle loads no undici on its first event with https endpoints, as in AWS',
  async () => {
    // An http endpoint (the local stack's) makes the SDK import node:http, and on Node 24 that import loads undici.
    const cleanup = await bundleFunction(functionNamed('cleanup').entry, join(dir, 'cleanup'));
    const probe = `
    const mod = await import(${JSON.stringify(cleanup.file)});
    const error = await mod.handler({}, { awsRequestId: 'probe', getRemainingTimeInMillis: () => 30000 }).then(() => undefined, (e) => String(e?.code ?? e?.message));
    process.stdout.write(JSON.stringify({ error, undici: process.moduleLoadList.filter((m) => /undici/i.test(m)) }));`;
    const env = {
      PATH: process.env.PATH ?? '',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'probe',
      AWS_SECRET_ACCESS_KEY: 'probe',
      AWS_MAX_ATTEMPTS: '1',
      RECORDS_TABLE: 'probe-records',
      AUDIT_TABLE: 'probe-audit',
      FILES_BUCKET: 'probe-files',
      FIELD_KEY_ID: 'alias/probe',
      AUDIT_SIGNING_KEY_ID: 'alias/probe-signing',
      CURSOR_SECRET: '00'.repeat(32),
      MAIL_FROM: 'probe@example.com',
      PUBLIC_BASE_URL: 'https://api.example.com',
      LOG_LEVEL: 'error',
      // Nothing listens there: the first receive fails at once, after the clients were used.
      AWS_ENDPOINT_URL: 'https://127.0.0.1:9',
      ...Object.fromEntries(
        Object.values(QUEUES).flatMap((q) => [
          [q.envVar, `https://127.0.0.1:9/queue/${q.localName}`],
          [q.leaseEnvVar, String(q.leaseSeconds)],
        ]),
      ),
    };
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', probe], {
      env,
    });
    const { error, undici } = JSON.parse(stdout) as { error?: string; undici: string[] };
    expect(error).toBe('ECONNREFUSED');
    expect(undici).toEqual([]);
  },
  BUNDLING_TIMEOUT_MS,
);
