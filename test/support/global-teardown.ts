/** Stops the test stack that global-setup.ts started and removes its data directory. */
import { rm } from 'node:fs/promises';
import { takeTestStack } from './test-stack.ts';

const STOP_TIMEOUT_MS = 10_000;

export default async function globalTeardown(): Promise<void> {
  const stack = takeTestStack();
  if (stack === undefined) return;
  const child = stack.process;
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }
  await rm(stack.dataDir, { recursive: true, force: true });
}
