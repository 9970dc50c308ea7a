/**
 * Child processes that must not outlive us. A detached child leads its own process group, so one
 * kill reaches it and anything it forked; this module kills that group when we exit normally or
 * on the usual termination signals. (A SIGKILL of the parent cannot be intercepted: then the
 * group survives and `npm start` reports the busy port on the next run. Inside a jest test
 * sandbox `process` is a copy whose listeners never see real signals; that is why jest's global
 * setup runs the emulators in a child process of its own, see test/support/stack-process.ts.)
 */
import type { ChildProcess } from 'node:child_process';

const TERMINATION_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone: nothing left to kill.
  }
}

/**
 * Ties the detached child's process group to our lifetime. Returns the function that kills the
 * group (SIGTERM, then SIGKILL after `graceMs`) and resolves once the child has exited.
 */
export function bindProcessGroup(child: ChildProcess, graceMs = 3000): () => Promise<void> {
  const pid = child.pid;
  if (pid === undefined) throw new Error('The child process has no pid: it did not start');

  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });

  const onExit = (): void => killGroup(pid, 'SIGKILL');
  const onSignal = (signal: NodeJS.Signals): void => {
    killGroup(pid, 'SIGKILL');
    unbind();
    // If nobody else handles this signal, keep its default meaning: terminate us.
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  };
  process.once('exit', onExit);
  for (const signal of TERMINATION_SIGNALS) process.on(signal, onSignal);

  function unbind(): void {
    process.off('exit', onExit);
    for (const signal of TERMINATION_SIGNALS) process.off(signal, onSignal);
  }

  return async () => {
    unbind();
    killGroup(pid, 'SIGTERM');
    const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  };
}
