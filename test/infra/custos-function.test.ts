import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, AssetStaging, Stack } from 'aws-cdk-lib';
import { Key } from 'aws-cdk-lib/aws-kms';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { CustosFunction } from '../../infra/constructs/custos-function.ts';
import { functionNamed } from '../../infra/manifest.ts';

// The one test that runs esbuild: the bundle is a single minified ESM file with the SDK inside.
let fn: CustosFunction;
let bundle: string;

beforeAll(() => {
  const stack = new Stack(new App(), 'Bundle');
  fn = new CustosFunction(stack, 'Openapi', {
    spec: functionNamed('openapi'),
    logKey: new Key(stack, 'LogKey', { enableKeyRotation: true }),
    logRetention: RetentionDays.ONE_WEEK,
  });
  const staging = fn.node.findChild('Code').node.findChild('Stage') as AssetStaging;
  bundle = readFileSync(join(staging.absoluteStagedPath, 'index.mjs'), 'utf8');
});

test('the bundle is measured from the esbuild output', () => {
  expect(fn.bundleBytes).toBe(Buffer.byteLength(bundle));
  expect(fn.bundleTopInputs.length).toBeGreaterThan(0);
});

test('the bundle is ESM, requires nothing from the runtime but Node built-ins', () => {
  expect(bundle.startsWith('import')).toBe(true);
  const imported = [...bundle.matchAll(/(?:from|import)\s*"([^"]+)"/g)].map((m) => m[1]);
  const required = [...bundle.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
  for (const specifier of [...imported, ...required]) expect(specifier).toMatch(/^node:|^(fs|path|os|crypto|url|http|https|stream|util|events|buffer|zlib|module|net|tls|child_process|process|string_decoder|querystring|assert|async_hooks|timers|worker_threads|perf_hooks|dns|http2)(\/|$)/);
});
