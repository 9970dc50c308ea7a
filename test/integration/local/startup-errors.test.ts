/**
 * A busy port stops the local stack with one sentence naming the port and the service, for each
 * service (not an EADDRINUSE stack trace or a Java child that silently exits).
 */
import { createServer, type Server } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulators, StartupError, type EmulatorEndpoints } from '../../../infra/local/emulators.ts';
import { startOidcIssuer } from '../../../infra/local/oidc-issuer.ts';

let dataDir: string;
let blocker: Server;
let busyPort: number;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'custos-startup-test-'));
  blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '0.0.0.0', resolve));
  busyPort = (blocker.address() as { port: number }).port;
});
afterAll(async () => {
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
  await expect(starting).rejects.toThrow(new RegExp(`^Port ${busyPort} is already in use \\(the local OIDC issuer\\)`));
});
