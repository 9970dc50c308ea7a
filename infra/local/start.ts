/**
 * `npm start`: the whole service on this machine, data kept under `.local-data/` between runs.
 * `npm start -- --fresh` (or CUSTOS_FRESH=1) starts from empty. Ctrl-C or SIGTERM stops every
 * emulator and child process before exiting; after a SIGKILL a watchdog stops DynamoDB Local, and
 * the next start stops whatever a killed run left on the folder (data-dir-lock.ts). A machine
 * problem (port in use, no Java, the folder in use by another start) prints one sentence and
 * exits 1; anything else is a bug and shows its stack.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { lockDataDir } from './data-dir-lock.ts';
import { preferPort } from './free-port.ts';
import { REPO_ROOT } from './invoke.ts';
import type { EmulatorEndpoints } from './emulators.ts';
import { startLocalStack } from './local-stack.ts';
import { StartupError } from './startup-error.ts';

/** CUSTOS_DATA_DIR moves it (the crash tests run their own `npm start` on a folder of their own). */
const dataDir = path.resolve(process.env.CUSTOS_DATA_DIR ?? path.join(REPO_ROOT, '.local-data'));
const fresh = process.argv.includes('--fresh') || process.env.CUSTOS_FRESH === '1';

/**
 * The identity provider's, vendor sink's and emulators' ports are remembered between runs: the token
 * issuer's URL (and so every token issued), the sink's URL (named in consents) and the mail viewer's
 * address survive a restart. A remembered port
 * that is taken now is replaced by a free one.
 */
const portsFile = path.join(dataDir, 'ports.json');
type ServicePorts = {
  issuer?: number;
  sink?: number;
  dynamodb?: number;
  sqs?: number;
  ses?: number;
  kms?: number;
};

async function rememberedPorts(): Promise<ServicePorts> {
  if (fresh) return {};
  const saved = await readFile(portsFile, 'utf8').then(
    (text) => JSON.parse(text) as ServicePorts,
    () => ({}) as ServicePorts,
  );
  const ports: ServicePorts = {};
  for (const name of ['issuer', 'sink', 'dynamodb', 'sqs', 'ses', 'kms'] as const) {
    const port = saved[name];
    if (typeof port === 'number')
      ports[name] = await preferPort(port, name === 'dynamodb' || name === 'sqs' ? '0.0.0.0' : '127.0.0.1');
  }
  return ports;
}

async function main(): Promise<void> {
  const lock = await lockDataDir(dataDir, (line) => process.stdout.write(`${line}\n`));
  // The folder is emptied here rather than by the stack, which would remove the lock with it.
  if (fresh) await lock.wipe();
  const stack = await startLocalStack({ dataDir, servicePorts: await rememberedPorts() }).catch(
    async (error: unknown) => {
      await lock.release();
      throw error;
    },
  );
  await lock.record(stack.processes);
  const port = (url: string): number => Number(new URL(url).port);
  await mkdir(dataDir, { recursive: true });
  await writeFile(
    portsFile,
    JSON.stringify({
      issuer: port(stack.issuer.issuer),
      sink: port(stack.sink.sinkUrl),
      dynamodb: port(stack.endpoints.dynamodb),
      sqs: port(stack.endpoints.sqs),
      ses: port(stack.endpoints.ses),
      kms: port(stack.endpoints.kms),
    }) + '\n',
  );

  const tokenExample = `curl -s -X POST ${stack.url}/dev/token -H 'content-type: application/json' -d '{"sub":"user-1","email":"user-1@example.com"}'`;
  process.stdout.write(
    [
      '',
      `Custos is running${fresh ? ' (fresh data)' : ''}; data in ${path.relative(process.cwd(), dataDir) || dataDir}/`,
      `  API          ${stack.url}/v1`,
      `  OpenAPI      ${stack.url}/v1/openapi.json`,
      `  Mail viewer  ${new URL('/', stack.endpoints.ses).href}`,
      `  Dev routes   POST /dev/token {sub, email} · GET /dev/mail · POST /dev/clock {advanceSeconds} · POST /dev/cleanup · GET /dev/webhooks`,
      `  Vendor sink  ${stack.sink.sinkUrl}   (a custom-webhook consent's webhookUrl; what it received: GET /dev/webhooks)`,
      `  A token      ${tokenExample}`,
      ...emulatorLines(stack.endpoints),
      'Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );

  let stopping = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    // A terminal's Ctrl-C may arrive more than once (npm and tsx relay it); one stop is enough.
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping the local stack…\n`);
    stack.stop().then(
      () => lock.release().then(() => process.exit(0)),
      (error: unknown) => {
        process.stderr.write(`Stopping failed: ${error instanceof Error ? error.name : String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

main().catch((error: unknown) => {
  if (error instanceof StartupError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  throw error;
});

/**
 * Where each emulator listens, with a ready AWS CLI line (any credentials work locally). SQS is
 * listed without one: fauxqs speaks SQS's JSON protocol only, and the AWS CLI of Debian 12 sends
 * the query protocol.
 */
function emulatorLines(endpoints: EmulatorEndpoints): string[] {
  const cli = (command: string, endpoint: string): string =>
    `AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_REGION=us-east-1 aws ${command} --endpoint-url ${endpoint}`;
  return [
    '  Emulators (the same endpoints the functions use; any AWS credentials):',
    `    DynamoDB   ${endpoints.dynamodb}   ${cli('dynamodb list-tables', endpoints.dynamodb)}`,
    `    S3         ${endpoints.s3}   ${cli('s3 ls s3://custos-files', endpoints.s3)}`,
    `    KMS        ${endpoints.kms}   ${cli('kms list-aliases', endpoints.kms)}`,
    `    SES        ${endpoints.ses}   curl -s ${new URL('/store', endpoints.ses).href}`,
    `    SQS        ${endpoints.sqs}   (JSON protocol: the AWS SDK, or a CLI that speaks it)`,
  ];
}
