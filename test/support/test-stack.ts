/**
 * What the global setup hands on: to the teardown (same process) through globalThis, to the test
 * workers (child processes) through environment variables, which is the only channel they share.
 */
import type { ChildProcess } from 'node:child_process';

export const TEST_ENV = {
  /** PKCS#8 PEM of the local issuer's signing key, so workers sign tokens the issuer would. */
  privateKeyPem: 'TEST_ISSUER_PRIVATE_KEY_PEM',
  kid: 'TEST_ISSUER_KID',
  /** JSON of the ProvisionedResources (queue and dead-letter queue URLs, table names…). */
  resources: 'TEST_RESOURCES',
  dataDir: 'TEST_DATA_DIR',
  /** Where the test HTTP clients record the answers they receive, for the contract check. */
  contractDir: 'TEST_CONTRACT_DIR',
} as const;

/** What stack-process.ts tells the global setup over IPC. */
export type StackMessage =
  { type: 'ready'; env: Record<string, string> } | { type: 'failed'; message: string };

export interface TestStack {
  readonly dataDir: string;
  readonly process: ChildProcess;
}

const KEY = Symbol.for('custos.test-stack');
type WithStack = typeof globalThis & { [KEY]?: TestStack };

export function setTestStack(stack: TestStack): void {
  (globalThis as WithStack)[KEY] = stack;
}

export function takeTestStack(): TestStack | undefined {
  const holder = globalThis as WithStack;
  const stack = holder[KEY];
  delete holder[KEY];
  return stack;
}

/** Reads a variable the global setup set; a test run without it was started without emulators. */
export function testEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') {
    throw new Error(
      `${name} is not set: run this test through jest with its integration or e2e project, whose global setup starts the emulators`,
    );
  }
  return value;
}
