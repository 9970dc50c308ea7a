/**
 * How a function is bundled, in one place: the CDK app deploys these bundles and the cold-start
 * benchmark measures the same ones. Minified ESM for Node 24 with the AWS SDK inside (pinned
 * versions, no dependence on the runtime's copy).
 */
import { build, type BuildOptions, type Metafile, type Plugin } from 'esbuild';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * zod's error messages come in 40-odd languages, ~250 KB of every bundle; the API answers in
 * English only, so the locale index resolves to English alone.
 */
const englishOnlyZodLocales: Plugin = {
  name: 'english-only-zod-locales',
  setup(builder) {
    builder.onResolve({ filter: /\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]v4[\\/]/.test(args.importer) ? { path: 'zod-locales', namespace: 'custos-zod-locales' } : undefined,
    );
    builder.onLoad({ filter: /.*/, namespace: 'custos-zod-locales' }, () => ({
      contents: "export { default as en } from 'zod/v4/locales/en.js';",
      resolveDir: process.cwd(),
      loader: 'js',
    }));
  },
};

/**
 * `@aws-sdk/lib-storage` does nothing when imported but does not say so in its package.json, so
 * the bundler would keep it — and the S3 client under it — in every function that imports the
 * composition root, S3 user or not.
 */
const sideEffectFreeLibStorage: Plugin = {
  name: 'side-effect-free-lib-storage',
  setup(builder) {
    builder.onResolve({ filter: /^@aws-sdk\/lib-storage$/ }, async (args) => {
      if (args.pluginData === 'custos-resolved') return undefined;
      const resolved = await builder.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: 'custos-resolved' });
      return { ...resolved, sideEffects: false };
    });
  },
};

export const BUNDLE_OPTIONS: BuildOptions = {
  bundle: true,
  minify: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  mainFields: ['module', 'main'],
  legalComments: 'none',
  metafile: true,
  // Some CommonJS dependencies call require(); an ESM bundle has to provide it.
  banner: { js: "import { createRequire as __custosRequire } from 'node:module'; const require = __custosRequire(import.meta.url);" },
  plugins: [englishOnlyZodLocales, sideEffectFreeLibStorage],
};

export interface BundleResult {
  readonly file: string;
  readonly bytes: number;
  readonly metafile: Metafile;
}

/** Bundles `entry` to `<outDir>/index.mjs` (the Lambda handler is then `index.handler`). */
export async function bundleFunction(entry: string, outDir: string): Promise<BundleResult> {
  const file = join(outDir, 'index.mjs');
  const result = await build({ ...BUNDLE_OPTIONS, entryPoints: [entry], outfile: file, logLevel: 'silent' });
  if (result.metafile === undefined) throw new Error('esbuild returned no metafile');
  return { file, bytes: (await stat(file)).size, metafile: result.metafile };
}
