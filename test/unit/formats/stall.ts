import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Waits until a producer's counter stops moving (two equal samples `intervalMs` apart) and
 * returns where it stopped; throws if it still moves after `timeoutMs`, i.e. nothing holds it back.
 * Polling rather than one fixed delay keeps the check honest on a busy machine.
 */
export async function stalledAt(
  counter: () => number,
  intervalMs = 300,
  timeoutMs = 15_000,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let previous = counter();
  while (Date.now() < deadline) {
    await sleep(intervalMs);
    const current = counter();
    if (current === previous && current > 0) return current;
    previous = current;
  }
  throw new Error(`The producer never stalled (at ${counter()})`);
}
