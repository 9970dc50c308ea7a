/**
 * How a function is bundled, in one place: the CDK app deploys these bundles and the cold-start
 * benchmark measures the same ones. Minified ESM for Node 24 with the AWS SDK inside (pinned
 * versions, no dependence on the runtime's copy), code split so that what a function loads only
 * with `import()` (the XLSX and ZIP writers) is a chunk beside the entry that init never reads.
 */
import { build, type BuildOptions, type Metafile, type Plugin } from 'esbuild';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * The OpenAPI document depends on the route table alone, so it is built here, when the openapi
 * function is bundled, by the same `buildOpenApiDocument()`, and written beside the bundle as
 * `openapi.json`; the bundled function reads that file instead of carrying zod's JSON Schema
 * generator and the whole route table and generating the document on its first request. `npm start` and the tests
 * do not bundle: they build it as before.
 */
const OPENAPI_MODULE = fileURLToPath(new URL('../shared/api/openapi.ts', import.meta.url));
export const OPENAPI_DOCUMENT_FILE = 'openapi.json';
const prebuiltOpenApiDocument: Plugin = {
  name: 'prebuilt-openapi-document',
  setup(builder) {
    builder.onLoad({ filter: /[\\/]shared[\\/]api[\\/]openapi\.ts$/ }, async (args) => {
      if (args.path !== OPENAPI_MODULE) return undefined;
      const outDir = builder.initialOptions.outdir;
      if (outDir === undefined)
        throw new Error('The OpenAPI document needs an output directory to be written to');
      const { buildOpenApiDocument } = (await import(
        pathToFileURL(OPENAPI_MODULE).href
      )) as typeof import('../shared/api/openapi.ts');
      await mkdir(outDir, { recursive: true });
      await writeFile(join(outDir, OPENAPI_DOCUMENT_FILE), JSON.stringify(buildOpenApiDocument()));
      return {
        contents: [
          "import { readFileSync } from 'node:fs';",
          `export function buildOpenApiDocument() { return JSON.parse(readFileSync(new URL('./${OPENAPI_DOCUMENT_FILE}', import.meta.url), 'utf8')); }`,
        ].join('\n'),
        loader: 'js',
      };
    });
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
      const resolved = await builder.resolve(args.path, {
        kind: args.kind,
        resolveDir: args.resolveDir,
        importer: args.importer,
        pluginData: 'custos-resolved',
      });
      return { ...resolved, sideEffects: false };
    });
  },
};

/**
 * Lambda gives a function its credentials through the environment only: the SDK's default chain
 * resolves to an environment-only provider (docs/decisions/0009).
 */
const ENVIRONMENT_CREDENTIALS = fileURLToPath(
  new URL('../shared/adapters/aws/environment-credentials.ts', import.meta.url),
);
const environmentCredentialsOnly: Plugin = {
  name: 'environment-credentials-only',
  setup(builder) {
    builder.onResolve({ filter: /^@aws-sdk\/credential-provider-node$/ }, () => ({
      path: ENVIRONMENT_CREDENTIALS,
    }));
  },
};

/**
 * Endpoint discovery's cache without mnemonist: see shared/adapters/aws/endpoint-discovery-cache.ts.
 * Only `@aws-sdk/endpoint-cache`'s import is redirected; the SDK's code is not changed.
 */
const ENDPOINT_DISCOVERY_CACHE = fileURLToPath(
  new URL('../shared/adapters/aws/endpoint-discovery-cache.ts', import.meta.url),
);
const endpointCacheWithoutMnemonist: Plugin = {
  name: 'endpoint-cache-without-mnemonist',
  setup(builder) {
    builder.onResolve({ filter: /^mnemonist\/lru-cache$/ }, (args) =>
      /[\\/]@aws-sdk[\\/]endpoint-cache[\\/]/.test(args.importer)
        ? { path: ENDPOINT_DISCOVERY_CACHE }
        : undefined,
    );
  },
};

/**
 * Each AWS SDK client imports its whole package.json (2–3 KB: scripts, dependencies, …) to read
 * one field, `version`, for its user agent; that field is all the bundle keeps.
 */
const sdkPackageVersionOnly: Plugin = {
  name: 'sdk-package-version-only',
  setup(builder) {
    builder.onLoad(
      { filter: /[\\/]node_modules[\\/]@aws-sdk[\\/][^\\/]+[\\/]package\.json$/ },
      async (args) => {
        const { version } = JSON.parse(await readFile(args.path, 'utf8')) as { version: string };
        return { contents: JSON.stringify({ version }), loader: 'json' };
      },
    );
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
  splitting: true,
  entryNames: 'index',
  chunkNames: 'chunks/[name]-[hash]',
  outExtension: { '.js': '.mjs' },
  // Some CommonJS dependencies call require(); an ESM bundle has to provide it.
  banner: {
    js: "import { createRequire as __custosRequire } from 'node:module'; const require = __custosRequire(import.meta.url);",
  },
  // zod needs no plugin: the schemas are zod/mini (docs/decisions/0017), which loads English alone
  // and whose JSON Schema generator and compiler no deployed function reaches, so none is bundled.
  plugins: [
    prebuiltOpenApiDocument,
    sideEffectFreeLibStorage,
    environmentCredentialsOnly,
    endpointCacheWithoutMnemonist,
    sdkPackageVersionOnly,
  ],
};

export interface BundleResult {
  /** The entry, `<outDir>/index.mjs`. */
  readonly file: string;
  /** The entry's key in `metafile.outputs`. */
  readonly entryOutput: string;
  /** What a cold start reads: the entry and the chunks it imports statically. */
  readonly bytes: number;
  /** Every output, the chunks loaded on demand by `import()` included. */
  readonly totalBytes: number;
  readonly metafile: Metafile;
}

/** Bundles `entry` into `outDir`: `index.mjs` (the Lambda handler is `index.handler`) and `chunks/`. */
export async function bundleFunction(entry: string, outDir: string): Promise<BundleResult> {
  const result = await build({ ...BUNDLE_OPTIONS, entryPoints: [entry], outdir: outDir, logLevel: 'silent' });
  if (result.metafile === undefined) throw new Error('esbuild returned no metafile');
  const file = join(outDir, 'index.mjs');
  const outputs = result.metafile.outputs;
  // Every module loaded by import() is an entry point of the metafile too: the handler's is the one
  // written to index.mjs (metafile paths are relative to the working directory).
  const entryOutput = Object.keys(outputs).find((name) => resolve(name) === resolve(file));
  if (entryOutput === undefined) throw new Error(`esbuild wrote no entry output for ${entry}`);
  const totalBytes = Object.values(outputs).reduce((sum, output) => sum + output.bytes, 0);
  return {
    file,
    entryOutput,
    bytes: initialBytes(result.metafile, entryOutput),
    totalBytes,
    metafile: result.metafile,
  };
}

/** Bytes of `entryOutput` and of every chunk reachable from it by static imports. */
export function initialBytes(metafile: Metafile, entryOutput: string): number {
  const seen = new Set<string>();
  const visit = (name: string): number => {
    const output = metafile.outputs[name];
    if (output === undefined || seen.has(name)) return 0;
    seen.add(name);
    return (
      output.bytes +
      output.imports
        .filter((i) => i.kind === 'import-statement' && !i.external)
        .reduce((sum, i) => sum + visit(i.path), 0)
    );
  };
  return visit(entryOutput);
}
