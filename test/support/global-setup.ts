/**
 * Jest's global setup, run once in the parent process before any worker starts: the emulators on
 * free ports with a fresh data directory, the declared resources and the local OIDC issuer, all in
 * a child process (stack-process.ts; jest loads this file as CommonJS, the emulators need ESM).
 * The service environment goes onto process.env, which the workers inherit, so tests use the
 * real adapters and config exactly as the functions do. Runs that select only the unit and infra
 * projects need none of it and skip it.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTestStack, TEST_ENV, type StackMessage } from './test-stack.ts';

const PROJECTS_WITHOUT_EMULATORS = new Set(['unit', 'infra']);
// Java alone took past 30 s on this 2-core machine under a load of 20 (2026-12-01); a first run
// after a change to the app also synthesizes it for the local IAM check (local-iam.ts).
const STARTUP_TIMEOUT_MS = 150_000;

/** The part of jest's global config we read (typed here to avoid depending on @jest/types). */
interface JestGlobalConfig {
  readonly rootDir: string;
  readonly selectProjects?: readonly string[];
}

export default async function globalSetup(globalConfig: JestGlobalConfig): Promise<void> {
  const selected = globalConfig.selectProjects ?? [];
  if (selected.length > 0 && selected.every((project) => PROJECTS_WITHOUT_EMULATORS.has(project))) return;

  const dataDir = await mkdtemp(join(tmpdir(), 'custos-test-'));
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join('test', 'support', 'stack-process.ts'), dataDir],
    {
      cwd: globalConfig.rootDir,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  setTestStack({ dataDir, process: child });

  const message = await new Promise<StackMessage>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`The test stack did not start within ${STARTUP_TIMEOUT_MS / 1000} s`)),
      STARTUP_TIMEOUT_MS,
    );
    child.once('message', (received) => {
      clearTimeout(timer);
      resolve(received as StackMessage);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`The test stack exited during startup (code ${code})`));
    });
  }).catch(async (error: unknown) => {
    child.kill('SIGTERM');
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  });
  if (message.type === 'failed') {
    await rm(dataDir, { recursive: true, force: true });
    throw new Error(`The test stack could not start: ${message.message}`);
  }

  Object.assign(process.env, message.env);
  // The test HTTP clients record every answer here; the teardown checks them against the document.
  const contractDir = join(dataDir, 'contract');
  await mkdir(contractDir);
  process.env[TEST_ENV.contractDir] = contractDir;
  // The stack lives until the teardown; it must not keep jest alive on its own.
  child.unref();
  child.channel?.unref();
}
