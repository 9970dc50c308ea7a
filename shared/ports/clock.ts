/** The domain clock. Every use case reads time from it, so link and retention expiry can be tested. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

let offsetMs = 0;

/**
 * The clock the functions are composed with: system time plus an offset that only the local stack
 * (POST /dev/clock) and tests move, by calling `advanceDomainClock` in the same process. Nothing
 * deployed calls it, so in the cloud this is the system clock.
 */
export const domainClock: Clock = { now: () => new Date(Date.now() + offsetMs) };

export function advanceDomainClock(seconds: number): Date {
  offsetMs += seconds * 1000;
  return domainClock.now();
}
