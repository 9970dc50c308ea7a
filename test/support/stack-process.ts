/**
 * The emulators, resources and OIDC issuer of a test run, in a child process of jest. Jest loads
 * its global setup as CommonJS, which cannot load ESM-only packages such as fauxqs; this process
 * runs under tsx as real ESM instead. It also takes the functions' IAM policies from the CDK app
 * (synthesized, or cached for these sources) once for the whole run, into a file that every worker's local IAM check reads (local-iam.ts).
 * It reports the service environment over the IPC channel,
 * stops everything on SIGTERM, and also when that channel closes — the parent died — so no
 * emulator outlives the test run.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startEmulators, type Emulators } from '../../infra/local/emulators.ts';
import { LOCAL_IAM_ENV, synthesizedPolicies } from '../../infra/local/iam/local-iam.ts';
import { startOidcIssuer, type LocalIssuer } from '../../infra/local/oidc-issuer.ts';
import { provisionResources } from '../../infra/local/provision.ts';
import { serviceEnvironment } from '../../infra/local/service-env.ts';
import { StartupError } from '../../infra/local/startup-error.ts';
import { TEST_ENV, type StackMessage } from './test-stack.ts';

/** Nothing is served at this address: links built from it are only compared, never followed. */
const PUBLIC_BASE_URL = 'http://127.0.0.1:3000';

const dataDir = process.argv[2];
const running: (Emulators | LocalIssuer)[] = [];
let stopping: Promise<void> | undefined;

function stopAndExit(code: number): Promise<void> {
  stopping ??= Promise.allSettled(running.map((service) => service.stop())).then(() => process.exit(code));
  return stopping;
}

function report(message: StackMessage): void {
  process.send?.(message);
}

async function start(directory: string): Promise<void> {
  // First: a synth (when the sources changed) holds the event loop for seconds, which would fail
  // the emulators' start-up deadlines if they were starting meanwhile.
  const policiesFile = join(directory, 'iam-policies.json');
  await writeFile(policiesFile, JSON.stringify(await synthesizedPolicies()));
  const [emulators, issuer] = await Promise.allSettled([
    startEmulators({ dataDir: directory }),
    startOidcIssuer({ dataDir: directory }),
  ]);
  for (const result of [emulators, issuer]) if (result.status === 'fulfilled') running.push(result.value);
  if (emulators.status === 'rejected') throw emulators.reason;
  if (issuer.status === 'rejected') throw issuer.reason;

  const resources = await provisionResources(emulators.value.endpoints);
  report({
    type: 'ready',
    env: {
      ...serviceEnvironment({
        endpoints: emulators.value.endpoints,
        resources,
        issuer: issuer.value,
        dataDir: directory,
        publicBaseUrl: PUBLIC_BASE_URL,
      }),
      [TEST_ENV.privateKeyPem]: issuer.value.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
      [TEST_ENV.kid]: issuer.value.kid,
      [TEST_ENV.resources]: JSON.stringify(resources),
      [TEST_ENV.dataDir]: directory,
      [LOCAL_IAM_ENV.policies]: policiesFile,
      [LOCAL_IAM_ENV.calls]: join(directory, 'iam-calls.jsonl'),
    },
  });
}

process.once('SIGTERM', () => void stopAndExit(0));
process.once('disconnect', () => void stopAndExit(0));

if (dataDir === undefined || process.send === undefined) {
  process.stderr.write(
    'Usage: spawned by test/support/global-setup.ts with an IPC channel and the data directory as argument\n',
  );
  process.exit(2);
}

start(dataDir).catch((error: unknown) => {
  const message =
    error instanceof StartupError
      ? error.message
      : error instanceof Error
        ? (error.stack ?? error.message)
        : String(error);
  report({ type: 'failed', message });
  void stopAndExit(1);
});
