/**
 * The local AWS: DynamoDB Local, fauxqs (SQS and S3), aws-ses-v2-local (SES) and our KMS
 * endpoint, started in parallel on fixed or free ports. The functions reach them through the
 * SDK's standard AWS_ENDPOINT_URL_<SERVICE> variables (see service-env.ts), so the same adapters
 * run here and in AWS. If one service fails to start, the others are stopped again.
 */
import type { Server } from 'node:http';
import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { startFauxqs } from 'fauxqs';
import sesLocal from 'aws-ses-v2-local';
import { PortTakenError, startDynamoDbLocal } from './dynamodb-local.ts';
import type { EmulatorProcess } from './emulator-process.ts';
import { choosePort, freePort, portError } from './free-port.ts';
import { startKmsServer } from './kms-server.ts';
import { startPresignGate } from './s3-presign-gate.ts';
import { StartupError } from './startup-error.ts';

/** The emulators accept any credentials; fixed dummies keep the SDK from looking for real ones. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

export { StartupError };

export interface EmulatorEndpoints {
  dynamodb: string;
  sqs: string;
  s3: string;
  ses: string;
  kms: string;
}

export interface Emulators {
  readonly endpoints: EmulatorEndpoints;
  /** The processes started beside this one (the others run inside it and die with it). */
  readonly processes: readonly EmulatorProcess[];
  stop(): Promise<void>;
}

export interface StartEmulatorsOptions {
  /** Where the emulators keep their state: dynamodb/, fauxqs/, kms.json. */
  dataDir: string;
  /** Host the endpoints name (default 127.0.0.1). */
  host?: string;
  /** Fixed ports; 0 or missing = a free port. fauxqs serves SQS and S3 on one port (`sqs` wins). */
  ports?: Partial<Record<keyof EmulatorEndpoints, number>>;
  /** DynamoDB Local keeps its tables in memory only (benchmarks: faster, nothing kept). */
  dynamoInMemory?: boolean;
}

interface Running {
  readonly endpoint: string;
  readonly processes?: readonly EmulatorProcess[];
  stop(): Promise<void>;
}

/** DynamoDB Local and fauxqs bind every interface whatever host we name, so probe that. */
const ALL_INTERFACES = '0.0.0.0';

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

const SERVICES = {
  dynamodb: 'DynamoDB Local',
  fauxqs: 'fauxqs, the SQS and S3 emulator',
  ses: 'aws-ses-v2-local, the SES emulator',
  kms: 'the local KMS endpoint',
} as const;

/** Fresh ports tried when the one we chose for DynamoDB Local was taken before Java bound it. */
const DYNAMODB_PORT_ATTEMPTS = 3;

/**
 * Starts DynamoDB Local on `chosen`. A port we chose ourselves (`fixed` false) was free when probed
 * but is released again until Java binds it seconds later; if another socket took it meanwhile,
 * a new free port is chosen. A port the caller fixed is never swapped.
 */
export async function startDynamoDb(
  dataDir: string,
  host: string,
  chosen: number,
  inMemory: boolean,
  fixed: boolean,
  choose: () => Promise<number> = () => freePort(ALL_INTERFACES),
): Promise<Running> {
  for (let attempt = 1, port = chosen; ; attempt += 1, port = await choose()) {
    try {
      return await startDynamoDbLocal({
        dbPath: inMemory ? undefined : join(dataDir, 'dynamodb'),
        host: urlHost(host),
        port,
      });
    } catch (error) {
      if (fixed || !(error instanceof PortTakenError) || attempt >= DYNAMODB_PORT_ATTEMPTS) throw error;
    }
  }
}

async function startSqsAndS3(dataDir: string, host: string, chosen: number): Promise<Running> {
  const persistDir = join(dataDir, 'fauxqs');
  await mkdir(persistDir, { recursive: true });
  try {
    const server = await startFauxqs({ port: chosen, logger: false, dataDir: persistDir });
    return { endpoint: `http://${urlHost(host)}:${server.port}`, stop: () => server.stop() };
  } catch (error) {
    throw portError(error, chosen, SERVICES.fauxqs);
  }
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeAllConnections();
  });
}

async function startSes(host: string, chosen: number): Promise<Running> {
  // The package's server() resolves even when listen fails (Express 5 hands the error to the
  // listen callback, which ignores it), so a server that is not listening means the port is taken.
  const server = await sesLocal.default({ host, port: chosen });
  if (!server.listening)
    throw portError(Object.assign(new Error('listen failed'), { code: 'EADDRINUSE' }), chosen, SERVICES.ses);
  return { endpoint: `http://${urlHost(host)}:${chosen}`, stop: () => closeServer(server) };
}

async function startKms(dataDir: string, host: string, chosen: number): Promise<Running> {
  try {
    const server = await startKmsServer({ port: chosen, host, stateFile: join(dataDir, 'kms.json') });
    return { endpoint: server.url, stop: () => server.close() };
  } catch (error) {
    throw portError(error, chosen, SERVICES.kms);
  }
}

async function stopAll(running: readonly Running[]): Promise<void> {
  const results = await Promise.allSettled(running.map((service) => service.stop()));
  const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failure) throw failure.reason;
}

export async function startEmulators(options: StartEmulatorsOptions): Promise<Emulators> {
  const host = options.host ?? '127.0.0.1';
  const ports = options.ports ?? {};
  await mkdir(options.dataDir, { recursive: true });

  // Every port first: a busy one fails the start in milliseconds, before Java is even spawned.
  const [dynamodbPort, fauxqsPort, sesPort, kmsPort] = await Promise.all([
    choosePort(ports.dynamodb, ALL_INTERFACES, SERVICES.dynamodb),
    choosePort(ports.sqs ?? ports.s3, ALL_INTERFACES, SERVICES.fauxqs),
    choosePort(ports.ses, host, SERVICES.ses),
    choosePort(ports.kms, host, SERVICES.kms),
  ]);
  const starting = [
    startDynamoDb(
      options.dataDir,
      host,
      dynamodbPort,
      options.dynamoInMemory === true,
      (ports.dynamodb ?? 0) !== 0,
    ),
    startSqsAndS3(options.dataDir, host, fauxqsPort),
    startSes(host, sesPort),
    startKms(options.dataDir, host, kmsPort),
  ] as const;
  const settled = await Promise.allSettled(starting);
  const running = settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failure = settled.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failure) {
    await stopAll(running).catch(() => undefined); // the startup failure is the news, not the clean-up
    throw failure.reason;
  }

  const [dynamodb, sqsAndS3, ses, kms] = running as [Running, Running, Running, Running];
  // S3 goes through a front that checks presigned URLs' signatures and expiry, as fauxqs does not.
  const s3Gate = await startPresignGate({
    upstream: sqsAndS3.endpoint,
    host,
    credentials: { [LOCAL_CREDENTIALS.accessKeyId]: LOCAL_CREDENTIALS.secretAccessKey },
  }).catch(async (error: unknown) => {
    await stopAll(running).catch(() => undefined);
    throw error;
  });
  running.push({ endpoint: s3Gate.url, stop: () => s3Gate.close() });
  let stopped: Promise<void> | undefined;
  return {
    endpoints: {
      dynamodb: dynamodb.endpoint,
      sqs: sqsAndS3.endpoint,
      s3: s3Gate.url,
      ses: ses.endpoint,
      kms: kms.endpoint,
    },
    processes: running.flatMap((service) => service.processes ?? []),
    stop: () => (stopped ??= stopAll(running)),
  };
}
