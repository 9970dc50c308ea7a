/** The domain clock. Every use case reads time from it, so link and retention expiry can be tested (and moved locally via POST /dev/clock). */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
