/**
 * The deployed code of every function: the bundles infra/bundling.ts builds (the same options and
 * plugins the cold-start benchmark measures), one directory per function (the entry and the
 * chunks it loads with `import()`), handed to Lambda as an asset. Built once per synth, before the
 * stacks, so a bundle that deploys is a bundle that was measured; sizes come from esbuild's metafile.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Code } from 'aws-cdk-lib/aws-lambda';
import type { Metafile } from 'esbuild';
import { bundleFunction } from '../bundling.ts';
import type { FunctionSpec } from '../manifest.ts';
import { REPO_ROOT } from './repo-root.ts';

export interface FunctionBundle {
  /** Directory holding `index.mjs` (Lambda handler `index.handler`) and the `chunks/` it imports. */
  readonly dir: string;
  /** What a cold start reads: the entry and its static chunks, from the metafile. */
  readonly bytes: number;
  /** Every output, the chunks loaded by `import()` included. */
  readonly totalBytes: number;
  /** The packages that weigh most in all outputs, largest first. */
  readonly largest: ReadonlyArray<{ readonly name: string; readonly bytes: number }>;
}

/** Where bundles are written between synths (ignored by git with node_modules). */
export const BUNDLES_DIR = join(REPO_ROOT, 'node_modules', '.cache', 'custos-bundles');

/** Gives a function its code; the app passes bundles, tests may pass a placeholder. */
export type FunctionCode = (spec: FunctionSpec) => Code;

export async function bundleFunctions(
  specs: readonly FunctionSpec[],
  outRoot: string = BUNDLES_DIR,
): Promise<ReadonlyMap<string, FunctionBundle>> {
  const built = await Promise.all(
    specs.map(async (spec): Promise<[string, FunctionBundle]> => {
      const dir = join(outRoot, spec.name);
      // A fresh directory: the asset hash must cover this bundle and nothing left from before.
      await rm(dir, { recursive: true, force: true });
      await mkdir(dir, { recursive: true });
      const { bytes, totalBytes, metafile } = await bundleFunction(join(REPO_ROOT, spec.entry), dir);
      return [spec.name, { dir, bytes, totalBytes, largest: largestPackages(metafile) }];
    }),
  );
  return new Map(built);
}

/** Code from the bundles; a function without one is a wiring error caught at synth. */
export function codeFromBundles(bundles: ReadonlyMap<string, FunctionBundle>): FunctionCode {
  return (spec) => {
    const bundle = bundles.get(spec.name);
    if (bundle === undefined) throw new Error(`No bundle was built for ${spec.name}`);
    return Code.fromAsset(bundle.dir);
  };
}

export function describeBundle(name: string, bundle: FunctionBundle): string {
  const largest = bundle.largest.map((p) => `${p.name} ${kib(p.bytes)}`).join(', ');
  const onDemand =
    bundle.totalBytes > bundle.bytes
      ? `, ${kib(bundle.totalBytes - bundle.bytes)} more loaded on demand`
      : '';
  return `bundle ${name}: ${kib(bundle.bytes)}${onDemand} (largest: ${largest})`;
}

function largestPackages(metafile: Metafile): FunctionBundle['largest'] {
  const byPackage = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const name = packageOf(input);
      byPackage.set(name, (byPackage.get(name) ?? 0) + bytesInOutput);
    }
  }
  return [...byPackage.entries()]
    .map(([name, size]) => ({ name, bytes: size }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, 5);
}

/** `node_modules/@aws-sdk/client-kms/dist-es/x.js` → `@aws-sdk/client-kms`; ours → `(own code)`. */
function packageOf(input: string): string {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
  return match?.[1] ?? '(own code)';
}

const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;
