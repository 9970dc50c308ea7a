/**
 * The one infra test that runs esbuild: what the CDK app deploys is the bundle infra/bundling.ts
 * builds (the one the cold-start benchmark measures), zod locales dropped, SDK inside.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, AssetStaging, Stack } from 'aws-cdk-lib';
import { Key } from 'aws-cdk-lib/aws-kms';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { bundleFunction } from '../../infra/bundling.ts';
import { CustosFunction } from '../../infra/constructs/custos-function.ts';
import { bundleFunctions, codeFromBundles, describeBundle, type FunctionBundle } from '../../infra/constructs/function-bundles.ts';
import { functionNamed } from '../../infra/manifest.ts';

// openapi: the smallest function that still pulls in zod (the locales plugin's target).
const spec = functionNamed('openapi');
let dir: string;
let bundle: FunctionBundle;
let deployed: string;
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
  const staging = fn.node.findChild('Code').node.findChild('Stage') as AssetStaging;
  deployed = await readFile(join(staging.absoluteStagedPath, 'index.mjs'), 'utf8');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('the deployed asset is byte for byte the bundle infra/bundling.ts builds', async () => {
  expect(deployed).toBe(await readFile(reference.file, 'utf8'));
});

test('zod speaks English only in the bundle', () => {
  const inputs = Object.keys(reference.metafile.inputs);
  expect(inputs.some((i) => /zod\/v4\/locales\/en\.js$/.test(i))).toBe(true);
  expect(inputs.filter((i) => /zod\/v4\/locales\/(?!en\.js|index\.js)[^/]+\.js$/.test(i))).toEqual([]);
});

test('the printed size is the metafile output size, which is the file size', () => {
  expect(bundle.bytes).toBe(Buffer.byteLength(deployed));
  expect(bundle.largest.length).toBeGreaterThan(0);
  expect(describeBundle(spec.name, bundle)).toMatch(/^bundle openapi: \d+\.\d KiB \(largest: zod /);
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
