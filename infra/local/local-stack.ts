/**
 * The whole service on one machine: emulators and the local identity provider, the resources from
 * infra/resources.ts, then the gateway, scheduler, queue poller and stream poller that run the
 * manifest's functions in this process. `npm start` runs it; e2e tests and benchmarks start it in-process (port 0 = any
 * free port) and stop it when done.
 */
import { mkdir, rm } from 'node:fs/promises';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { SQSClient } from '@aws-sdk/client-sqs';
import { devRoutes } from './dev-routes.ts';
import type { EmulatorProcess } from './emulator-process.ts';
import { startEmulators, type EmulatorEndpoints } from './emulators.ts';
import { choosePort } from './free-port.ts';
import { startGateway } from './gateway.ts';
import { enableLocalIam, runPolicies } from './iam/local-iam.ts';
import { FunctionRuntime } from './invoke.ts';
import { LOCAL_REGION } from './lambda-events.ts';
import { startOidcIssuer, type LocalIssuer } from './oidc-issuer.ts';
import { startPoller } from './poller.ts';
import { provisionResources } from './provision.ts';
import { startScheduler } from './scheduler.ts';
import { startStreamPoller } from './stream-poller.ts';
import { serviceEnvironment } from './service-env.ts';
import { startWebhookSink, type WebhookSink } from './webhook-sink.ts';

export interface LocalStackOptions {
  /** API port; 0 picks a free one. Default: env PORT, else 3000. */
  readonly port?: number;
  readonly dataDir: string;
  /** Wipe dataDir first. */
  readonly fresh?: boolean;
  /** No request or error lines on stdout (tests, benchmarks). */
  readonly quiet?: boolean;
  /** false: no timed scheduler runs (POST /dev/cleanup still runs the clean-up cycle). Default true. */
  readonly schedulers?: boolean;
  /** Ports for the identity provider and the emulators (missing or 0: free ones). */
  readonly servicePorts?: Partial<Record<keyof EmulatorEndpoints | 'issuer' | 'sink', number>>;
}

export interface LocalStack {
  /** Base URL of the API, e.g. http://127.0.0.1:3000. */
  readonly url: string;
  /** The environment the functions run with (also set on process.env). */
  readonly env: Readonly<Record<string, string>>;
  readonly issuer: LocalIssuer;
  /** The local vendor sink (GET /dev/webhooks lists what it received). */
  readonly sink: WebhookSink;
  readonly endpoints: EmulatorEndpoints;
  /** Processes started beside this one (DynamoDB Local and its watchdog). */
  readonly processes: readonly EmulatorProcess[];
  stop(): Promise<void>;
}

const API_HOST = '127.0.0.1';

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const log = options.quiet === true ? () => {} : (line: string) => process.stdout.write(`${line}\n`);
  // Everything started so far, stopped in reverse if a later step fails or on stop(). One piece
  // failing to stop must not leave the rest (a Java child among them) running.
  const started: (() => Promise<void>)[] = [];
  const stopAll = async (): Promise<void> => {
    const failures: unknown[] = [];
    for (const stop of started.splice(0).reverse())
      await stop().catch((error: unknown) => failures.push(error));
    if (failures.length > 0) throw failures[0];
  };

  try {
    // The API port first: if it is taken, say so before spending seconds on the emulators.
    const port = await choosePort(
      options.port ?? Number(process.env.PORT ?? 3000),
      API_HOST,
      'local API gateway',
    );
    if (options.fresh === true) await rm(options.dataDir, { recursive: true, force: true });
    await mkdir(options.dataDir, { recursive: true });

    // Started side by side; whichever came up is stopped again if the other did not.
    const [emulatorsStart, issuerStart, sinkStart] = await Promise.allSettled([
      startEmulators({ dataDir: options.dataDir, ports: options.servicePorts ?? {} }).then(
        (e) => (started.push(() => e.stop()), e),
      ),
      startOidcIssuer({
        dataDir: options.dataDir,
        ...(options.servicePorts?.issuer === undefined ? {} : { port: options.servicePorts.issuer }),
      }).then((i) => (started.push(() => i.stop()), i)),
      startWebhookSink({
        dataDir: options.dataDir,
        ...(options.servicePorts?.sink === undefined ? {} : { port: options.servicePorts.sink }),
      }).then((s) => (started.push(() => s.stop()), s)),
    ]);
    if (emulatorsStart.status === 'rejected') throw emulatorsStart.reason;
    if (issuerStart.status === 'rejected') throw issuerStart.reason;
    if (sinkStart.status === 'rejected') throw sinkStart.reason;
    const emulators = emulatorsStart.value;
    const issuer = issuerStart.value;
    const sink = sinkStart.value;
    const resources = await provisionResources(emulators.endpoints);

    // The functions read their configuration when first imported, so the environment, the
    // gateway's own URL included, is complete before anything can invoke one.
    const url = `http://${API_HOST}:${port}`;
    const env = serviceEnvironment({
      endpoints: emulators.endpoints,
      resources,
      issuer,
      dataDir: options.dataDir,
      publicBaseUrl: url,
      sink,
    });
    Object.assign(process.env, env);
    // Every function's AWS calls are checked against its synthesized IAM policy, as in AWS.
    enableLocalIam(await runPolicies());

    const runtime = new FunctionRuntime();
    const scheduler = startScheduler({ runtime, timed: options.schedulers !== false, log });
    started.push(() => scheduler.stop());
    const gateway = await startGateway({
      runtime,
      port,
      host: API_HOST,
      log,
      devRoutes: devRoutes({
        issuer,
        sesEndpoint: emulators.endpoints.ses,
        sink,
        ...(scheduler.names.includes('cleanup') ? { runCleanup: () => scheduler.runNow('cleanup') } : {}),
      }),
    });
    started.push(() => gateway.stop());

    const sqs = new SQSClient({
      endpoint: emulators.endpoints.sqs,
      region: LOCAL_REGION,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const poller = startPoller({
      runtime,
      sqs,
      queueUrls: {
        deletion: resources.queues.deletion.url,
        work: resources.queues.work.url,
        notices: resources.queues.notices.url,
        checkpoints: resources.queues.checkpoints.url,
      },
      log,
    });
    started.push(async () => {
      await poller.stop();
      sqs.destroy();
    });

    // The audit sequencer, fed the audit table's stream as Lambda's event source mapping would.
    const localClient = {
      endpoint: emulators.endpoints.dynamodb,
      region: LOCAL_REGION,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    };
    const dynamodb = new DynamoDBClient(localClient);
    const streams = new DynamoDBStreamsClient(localClient);
    const streamPoller = startStreamPoller({ runtime, dynamodb, streams, tableNames: resources.tables, log });
    started.push(async () => {
      await streamPoller.stop();
      dynamodb.destroy();
      streams.destroy();
    });

    return {
      url,
      env,
      issuer,
      sink,
      endpoints: emulators.endpoints,
      processes: emulators.processes,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll().catch(() => undefined);
    throw error;
  }
}
