/**
 * The local EventBridge: every manifest function with a `schedule` runs every
 * `localIntervalSeconds` with a scheduled event. Runs of one function never overlap — a run on
 * demand (POST /dev/cleanup) waits for the scheduled one in flight, and the next scheduled run is
 * timed from the end of the previous one. A failing run is logged by error name and the loop goes on.
 */
import { FUNCTIONS, type FunctionSpec } from '../manifest.ts';
import { errorName, type Invoker } from './invoke.ts';
import { scheduledEvent } from './lambda-events.ts';

export interface SchedulerOptions {
  readonly runtime: Invoker;
  readonly functions?: readonly FunctionSpec[];
  /** false: no timed runs, only `runNow` (tests that drive the clean-up cycle themselves). */
  readonly timed?: boolean;
  readonly log?: (line: string) => void;
}

export interface Scheduler {
  /** The scheduled functions by name. */
  readonly names: readonly string[];
  /** One run now, after any run of the same function in flight; resolves to its result. */
  runNow(name: string): Promise<unknown>;
  stop(): Promise<void>;
}

export function startScheduler(options: SchedulerOptions): Scheduler {
  const log = options.log ?? (() => {});
  const scheduled = (options.functions ?? FUNCTIONS).flatMap((fn) =>
    fn.schedule === undefined ? [] : [{ fn, intervalSeconds: fn.schedule.localIntervalSeconds }],
  );
  const lastRun = new Map<string, Promise<unknown>>();
  const timers = new Map<string, NodeJS.Timeout>();
  let stopped = false;

  function runNow(name: string): Promise<unknown> {
    const fn = scheduled.find((s) => s.fn.name === name)?.fn;
    if (fn === undefined) return Promise.reject(new Error(`${name} is not a scheduled function`));
    const previous = lastRun.get(name) ?? Promise.resolve();
    const run = previous
      .catch(() => undefined)
      .then(() => options.runtime.invoke(fn, scheduledEvent(`${fn.name}-schedule`)));
    lastRun.set(name, run);
    return run;
  }

  function scheduleNext(fn: FunctionSpec, intervalSeconds: number): void {
    if (stopped) return;
    const timer = setTimeout(() => {
      runNow(fn.name)
        .catch((error: unknown) => log(`${fn.name} (scheduled) failed: ${errorName(error)}`))
        .finally(() => scheduleNext(fn, intervalSeconds));
    }, intervalSeconds * 1000);
    timers.set(fn.name, timer);
  }

  if (options.timed !== false) {
    for (const { fn, intervalSeconds } of scheduled) scheduleNext(fn, intervalSeconds);
  }

  return {
    names: scheduled.map((s) => s.fn.name),
    runNow,
    async stop() {
      stopped = true;
      for (const timer of timers.values()) clearTimeout(timer);
      await Promise.allSettled(lastRun.values());
    },
  };
}
