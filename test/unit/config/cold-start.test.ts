/**
 * A missing variable fails the cold start, not the first request. Each case loads a function's
 * entry module in a fresh Node process, as the Lambda runtime does at init, with an environment
 * that lacks one variable the function needs. No request is sent and nothing touches the network.
 */
import { jest } from '@jest/globals';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Every variable a function of Custos may need, with harmless values. */
const FULL_ENV: Record<string, string> = {
  AWS_REGION: 'us-east-1',
  RECORDS_TABLE: 'records',
  AUDIT_TABLE: 'audit',
  FIELD_KEY_ID: 'alias/fields',
  AUDIT_SIGNING_KEY_ID: 'alias/signing',
  DELETION_QUEUE_URL: 'http://127.0.0.1:9/deletion',
  WORK_QUEUE_URL: 'http://127.0.0.1:9/work',
  DELETION_QUEUE_LEASE_SECONDS: '60',
  WORK_QUEUE_LEASE_SECONDS: '60',
  FILES_BUCKET: 'files',
  MAIL_FROM: 'no-reply@custos.test',
  PUBLIC_BASE_URL: 'http://127.0.0.1:9',
  CURSOR_SECRET: 'a'.repeat(64),
  AUTH_ISSUER: 'https://issuer.test',
  AUTH_AUDIENCE: 'custos',
};

/** Loads the entry module the way the runtime does at init; answers the exit status and stderr. */
function coldStart(entry: string, env: Record<string, string>): Promise<{ status: number; stderr: string }> {
  const script = `await import(${JSON.stringify(`./${entry}`)});`;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000 },
      (error, _stdout, stderr) =>
        resolve({ status: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stderr }),
    );
  });
}

// Loading a handler's whole import graph through tsx takes seconds, far more on a loaded machine.
jest.setTimeout(90_000);

function without(name: string): Record<string, string> {
  const { [name]: _dropped, ...rest } = FULL_ENV;
  return rest;
}

// Concurrent: each case is a separate process, mostly waiting on its own module loading.
test.concurrent('with its whole environment, a function loads', async () => {
  // Act
  const { status, stderr } = await coldStart('functions/api-orgs/handler.ts', FULL_ENV);
  // Assess
  expect(stderr).toBe('');
  expect(status).toBe(0);
});

test.concurrent.each([
  ['functions/api-orgs/handler.ts', 'AUTH_ISSUER'],
  ['functions/portability-worker/handler.ts', 'WORK_QUEUE_LEASE_SECONDS'],
  ['functions/recipient-notifier/handler.ts', 'RECORDS_TABLE'],
  ['functions/audit-digest/handler.ts', 'AUDIT_SIGNING_KEY_ID'],
  // The file store and the mailer load on first use there, but read their variables at cold start.
  ['functions/request-report/handler.ts', 'FILES_BUCKET'],
  ['functions/request-report/handler.ts', 'MAIL_FROM'],
])('%s without %s fails its cold start with a ConfigError naming it', async (entry, name) => {
  // Act
  const { status, stderr } = await coldStart(entry, without(name));
  // Assess
  expect(status).not.toBe(0);
  expect(stderr).toMatch(new RegExp(`ConfigError: Environment variable ${name} is not set`));
});
