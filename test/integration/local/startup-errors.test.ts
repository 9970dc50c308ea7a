/**
 * A busy port stops the local stack with one sentence naming the port and the service, for each
 * service (not an EADDRINUSE stack trace or a Java child that silently exits).
 */
import { jest } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  startDynamoDb,
  startEmulators,
  StartupError,
  type EmulatorEndpoints,
} from '../../../infra/local/emulators.ts';
import { PortTakenError } from '../../../infra/local/dynamodb-local.ts';
import { freePort } from '../../../infra/local/free-port.ts';
import { startOidcIssuer } from '../../../infra/local/oidc-issuer.ts';

let dataDir: string;
let blocker: Server;
let busyPort: number;
const held = new Set<Socket>();

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'custos-startup-test-'));
  blocker = createServer((socket) => {
    // Readiness probes that reach the blocker get no answer; closing must not wait for them.
    held.add(socket);
    socket.once('close', () => held.delete(socket));
  });
  await new Promise<void>((resolve) => blocker.listen(0, '0.0.0.0', resolve));
  busyPort = (blocker.address() as { port: number }).port;
});
afterAll(async () => {
  for (const socket of held) socket.destroy();
  await new Promise((resolve) => blocker.close(resolve));
  await rm(dataDir, { recursive: true, force: true });
});

test.each<[keyof EmulatorEndpoints, RegExp]>([
  ['dynamodb', /\(DynamoDB Local\)/],
  ['sqs', /\(fauxqs, the SQS and S3 emulator\)/],
  ['ses', /\(aws-ses-v2-local, the SES emulator\)/],
  ['kms', /\(the local KMS endpoint\)/],
])('a busy %s port is a StartupError naming the port and the service', async (service, named) => {
  // Act
  const starting = startEmulators({ dataDir, ports: { [service]: busyPort } });
  // Assess
  await expect(starting).rejects.toBeInstanceOf(StartupError);
  await expect(starting).rejects.toThrow(new RegExp(`^Port ${busyPort} is already in use ${named.source}`));
});

test('a busy issuer port is a StartupError naming the issuer', async () => {
  const starting = startOidcIssuer({ dataDir, host: '0.0.0.0', port: busyPort });
  await expect(starting).rejects.toThrow(
    new RegExp(`^Port ${busyPort} is already in use \\(the local OIDC issuer\\)`),
  );
});

test('without Java on the PATH, DynamoDB Local fails with the package to install', () => {
  // Prepare: a separate Node process, because the PATH `java` is looked up on is the real
  // process environment, which the test sandbox's process.env does not reach.
  const script = `import('./infra/local/dynamodb-local.ts')
    .then((m) => m.startDynamoDbLocal({ dbPath: ${JSON.stringify(join(dataDir, 'nojava'))}, host: '127.0.0.1', port: ${busyPort} }))
    .then(() => console.log('started'), (e) => console.log(e.name + ': ' + e.message))`;
  // Act
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: process.cwd(),
    env: { ...process.env, PATH: join(dataDir, 'no-java-here') },
    encoding: 'utf8',
    timeout: 20_000,
  });
  // Assess
  expect(result.stdout.trim()).toBe(
    'StartupError: Java 17 is required for DynamoDB Local: install openjdk-17-jre-headless.',
  );
});

describe('a DynamoDB Local port taken between its probe and Java binding it', () => {
  test('a port we chose is chosen again, and DynamoDB Local starts on the new one', async () => {
    // Prepare: the first port handed to Java is already held, as if another socket took it.
    const fresh = await freePort('0.0.0.0');
    const choices: number[] = [];
    // Act
    const running = await startDynamoDb(dataDir, '127.0.0.1', busyPort, true, false, async () => {
      choices.push(fresh);
      return fresh;
    });
    try {
      // Assess
      expect(choices).toEqual([fresh]);
      expect(running.endpoint).toBe(`http://127.0.0.1:${fresh}`);
    } finally {
      await running.stop();
    }
  });

  test('a port the caller fixed is not swapped: the bind failure is the error, naming its cause', async () => {
    const choose = jest.fn(() => freePort('0.0.0.0'));
    const starting = startDynamoDb(dataDir, '127.0.0.1', busyPort, true, true, choose);
    await expect(starting).rejects.toBeInstanceOf(PortTakenError);
    await expect(starting).rejects.toThrow(/exited during startup \(code \d+\): .*(Bind|bind)/);
    expect(choose).not.toHaveBeenCalled();
  });
});
