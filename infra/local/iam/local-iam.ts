/**
 * Turning the local IAM check on: each function's policy from the synthesized app, and the plugin
 * registered for the clients created from then on. Synthesizing takes seconds of CPU (tens on a
 * busy machine), so the policies are cached under node_modules/.cache, keyed by a hash of the
 * sources they are made from, and one run's processes (the local stack, the test workers) share
 * them through a file.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { registerClientPlugin } from '../../../shared/adapters/aws/client-plugins.ts';
import { REPO_ROOT } from '../invoke.ts';
import { appendExercisedCalls, iamEnforcementPlugin, type FunctionPolicies } from './iam-enforcement.ts';
import { parseStatement } from './policy-evaluator.ts';

/** Variables through which one run shares the policies and collects the exercised calls. */
export const LOCAL_IAM_ENV = {
  /** JSON file: function name → resolved policy statements. */
  policies: 'CUSTOS_IAM_POLICIES_FILE',
  /** JSON-lines file the check appends every distinct (function, action, resource, answer) to. */
  calls: 'CUSTOS_IAM_CALLS_FILE',
} as const;

const CACHE_DIR = join(REPO_ROOT, 'node_modules', '.cache', 'custos-iam-policies');

/**
 * A hash of what the policies are made from: every source file this module reaches (the app,
 * the stacks, the manifest, the route table, the resolver; esbuild lists them), the CDK context
 * and the locked package versions. Editing a handler or a test does not force a new synth.
 */
async function sourcesHash(): Promise<string> {
  const { metafile } = await build({
    entryPoints: [fileURLToPath(import.meta.url)],
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    logLevel: 'silent',
  });
  const files = [
    ...Object.keys(metafile.inputs).map((input) => join(process.cwd(), input)),
    join(REPO_ROOT, 'cdk.json'),
    join(REPO_ROOT, 'package-lock.json'),
  ].sort();
  const hash = createHash('sha256');
  for (const file of files)
    hash
      .update(file.slice(REPO_ROOT.length))
      .update('\0')
      .update(await readFile(file))
      .update('\0');
  return hash.digest('hex').slice(0, 32);
}

/** The policies of the app as the sources are now: from the cache, else synthesized (and cached). */
export async function synthesizedPolicies(): Promise<FunctionPolicies> {
  const cached = join(CACHE_DIR, `${await sourcesHash()}.json`);
  try {
    return JSON.parse(await readFile(cached, 'utf8')) as FunctionPolicies;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  // Loaded only when needed: aws-cdk-lib alone takes seconds to import.
  const { synthesizeCloudFunctions } = await import('../cloud-app.ts');
  const policies: FunctionPolicies = Object.fromEntries(
    synthesizeCloudFunctions().map((fn) => [fn.name, fn.statements.map(parseStatement)]),
  );
  await mkdir(CACHE_DIR, { recursive: true });
  await writeFile(cached, JSON.stringify(policies));
  return policies;
}

/** The policies of this run: the file the environment names, else those of the sources. */
export async function runPolicies(): Promise<FunctionPolicies> {
  const file = process.env[LOCAL_IAM_ENV.policies];
  return file === undefined ? synthesizedPolicies() : readFunctionPolicies(file);
}

export function readFunctionPolicies(file: string): FunctionPolicies {
  return JSON.parse(readFileSync(file, 'utf8')) as FunctionPolicies;
}

/** The policies in force in this process, on globalThis like the plugins (client-plugins.ts). */
const POLICIES = Symbol.for('custos.local-iam.policies');
type WithPolicies = typeof globalThis & { [POLICIES]?: FunctionPolicies };

/**
 * Puts `policies` in force for every client, made before or after; the first call registers the
 * check. Exercised calls go to the environment's calls file, if any.
 */
export function enableLocalIam(policies: FunctionPolicies): void {
  const holder = globalThis as WithPolicies;
  const registered = holder[POLICIES] !== undefined;
  holder[POLICIES] = policies;
  if (registered) return;
  const callsFile = process.env[LOCAL_IAM_ENV.calls];
  registerClientPlugin(
    iamEnforcementPlugin(
      () => holder[POLICIES] ?? {},
      callsFile === undefined ? {} : { onCall: appendExercisedCalls(callsFile) },
    ),
  );
}
