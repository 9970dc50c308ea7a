import { describe, expect, test } from '@jest/globals';
import type { FunctionSpec } from '../../../infra/manifest.ts';
import { startScheduler } from '../../../infra/local/scheduler.ts';

const scheduledFn = (name: string, intervalSeconds: number): FunctionSpec => ({
  name,
  entry: `functions/${name}/handler.ts`,
  description: name,
  memoryMb: 256,
  timeoutSeconds: 5,
  access: {},
  routes: [],
  schedule: { contextKey: `${name}Minutes`, defaultMinutes: 15, localIntervalSeconds: intervalSeconds },
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('startScheduler', () => {
  test('runs each scheduled function repeatedly with a scheduled event, never two runs at once', async () => {
    // Prepare
    let running = 0;
    let maxRunning = 0;
    const events: unknown[] = [];
    const runtime = {
      async invoke(_fn: FunctionSpec, event: unknown) {
        events.push(event);
        running++;
        maxRunning = Math.max(maxRunning, running);
        await sleep(40);
        running--;
        return { swept: 0 };
      },
    };

    // Act
    const scheduler = startScheduler({ runtime, functions: [scheduledFn('cleanup', 0.01)] });
    await sleep(300);
    await scheduler.stop();

    // Assess
    expect(events.length).toBeGreaterThanOrEqual(2);
    expect(maxRunning).toBe(1);
    expect(events[0]).toMatchObject({ 'detail-type': 'Scheduled Event', source: 'aws.events' });
  });

  test('a failing run is logged by error name and the loop goes on', async () => {
    // Prepare
    let calls = 0;
    const lines: string[] = [];
    const runtime = {
      async invoke() {
        calls++;
        if (calls === 1) throw new RangeError('secret detail about subject@example.com');
        return 'ok';
      },
    };

    // Act
    const scheduler = startScheduler({
      runtime,
      functions: [scheduledFn('cleanup', 0.01)],
      log: (line) => lines.push(line),
    });
    await sleep(200);
    await scheduler.stop();

    // Assess
    expect(calls).toBeGreaterThanOrEqual(2);
    expect(lines).toContain('cleanup (scheduled) failed: RangeError');
    expect(lines.join('\n')).not.toContain('subject@example.com');
  });

  test('a run on demand waits for the run in flight and returns its own result', async () => {
    // Prepare
    const order: string[] = [];
    let release: () => void = () => {};
    let call = 0;
    const runtime = {
      async invoke() {
        const n = ++call;
        order.push(`start ${n}`);
        if (n === 1) await new Promise<void>((resolve) => (release = resolve));
        order.push(`end ${n}`);
        return { run: n };
      },
    };
    const scheduler = startScheduler({ runtime, functions: [scheduledFn('cleanup', 60)], timed: false });

    // Act
    const first = scheduler.runNow('cleanup');
    const second = scheduler.runNow('cleanup');
    await sleep(20);
    release();

    // Assess
    await expect(first).resolves.toEqual({ run: 1 });
    await expect(second).resolves.toEqual({ run: 2 });
    expect(order).toEqual(['start 1', 'end 1', 'start 2', 'end 2']);
    await expect(scheduler.runNow('nothing')).rejects.toThrow('not a scheduled function');
    await scheduler.stop();
  });

  test('with timed runs off, nothing runs by itself', async () => {
    let calls = 0;
    const scheduler = startScheduler({
      runtime: { invoke: async () => calls++ },
      functions: [scheduledFn('cleanup', 0.01)],
      timed: false,
    });

    await sleep(100);
    await scheduler.stop();

    expect(calls).toBe(0);
  });
});
