/**
 * Child processes that must not outlive us. A detached child leads its own process group, so one
 * kill reaches it and anything it forked; this module kills that group when we exit normally or
 * on the usual termination signals. A SIGKILL of the parent (an OOM kill, `kill -9` of the
 * `npm start` group) cannot be intercepted, and Node cannot ask Linux for a parent-death signal
 * (prctl PR_SET_PDEATHSIG), so a watchdog does that job: a tiny shell, detached too, that waits on
 * a pipe whose only writer is this process. However we die, the kernel closes our end, the
 * shell's `read` sees end-of-file and it stops the group, TERM then KILL. (Inside a jest test
 * sandbox `process` is a copy whose listeners never see real signals; that is why jest's global
 * setup runs the emulators in a child process of its own, see test/support/stack-process.ts.)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';

const TERMINATION_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** `$0` is the group to stop; `read` returns only at end-of-file, since nothing is ever written. */
const WATCHDOG_SCRIPT =
  'read _; kill -s TERM -- "-$0" 2>/dev/null; sleep 3; kill -s KILL -- "-$0" 2>/dev/null';

export interface BoundProcessGroup {
  /** The watchdog's process id (recorded with the emulators, see data-dir-lock.ts). */
  readonly watchdogPid: number | undefined;
  /** Kills the group (SIGTERM, then SIGKILL after the grace period); resolves once the child has exited. */
  stop(): Promise<void>;
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone: nothing left to kill.
  }
}

function startWatchdog(groupId: number): ChildProcess {
  const watchdog = spawn('sh', ['-c', WATCHDOG_SCRIPT, String(groupId)], {
    detached: true,
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  watchdog.on('error', () => undefined); // no shell: the signal handlers below still cover every exit but SIGKILL
  // Neither the watchdog nor our end of its pipe may keep the event loop alive.
  watchdog.unref();
  (watchdog.stdin as Socket | null)?.unref();
  return watchdog;
}

/** Ties the detached child's process group to our lifetime, SIGKILL of this process included. */
export function bindProcessGroup(child: ChildProcess, graceMs = 3000): BoundProcessGroup {
  const pid = child.pid;
  if (pid === undefined) throw new Error('The child process has no pid: it did not start');

  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  const watchdog = startWatchdog(pid);
  const dismissWatchdog = (): void => {
    // Dismissed rather than released: closing its pipe would make it signal a group that is gone.
    if (watchdog.exitCode === null && watchdog.signalCode === null) watchdog.kill('SIGKILL');
  };

  const onExit = (): void => {
    killGroup(pid, 'SIGKILL');
    dismissWatchdog();
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    onExit();
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

  return {
    watchdogPid: watchdog.pid,
    async stop() {
      unbind();
      killGroup(pid, 'SIGTERM');
      const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
      dismissWatchdog();
    },
  };
}
