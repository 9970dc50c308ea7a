import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Waits until a producer's counter stops moving (two equal samples `intervalMs` apart) and
 * returns where it stopped; throws if it still moves after `timeoutMs`, i.e. nothing holds it back.
 * Polling rather than one fixed delay keeps the check honest on a busy machine. A pause counts
 * only once `ready()` holds: on a loaded machine a producer that waits on asynchronous work (the
 * archive's encryption) can pause for an interval before its reader has read anything, which is
 * not the back-pressure under test; `ready` never holding within `timeoutMs` throws too.
 */
export async function stalledAt(
  counter: () => number,
  intervalMs = 300,
  timeoutMs = 15_000,
  ready: () => boolean = () => true,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let previous = counter();
  while (Date.now() < deadline) {
    await sleep(intervalMs);
    const current = counter();
    if (current === previous && current > 0 && ready()) return current;
    previous = current;
  }
  throw new Error(
    `The producer never stalled (at ${counter()}${ready() ? '' : ', and its reader never got ready'})`,
  );
}
