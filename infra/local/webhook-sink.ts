/**
 * The local vendor sink (API.md "Local stack only"): an HTTPS endpoint that records every request
 * it receives at `sinkUrl` or any path under it and answers 200, so the `custom-webhook` extension
 * can share to it and Art. 19 notifications and their signatures can be seen on one machine
 * (`GET /dev/webhooks`). Its certificate is self-signed; the functions trust it through
 * WEBHOOK_CA_FILE and reach it on loopback only because the local stack lets `localhost` through
 * the address guard (ALLOWED_PRIVATE_WEBHOOK_HOSTS) — configuration the cloud never carries
 * (test/infra proves it). What it received is kept in the data folder, so a restart keeps it.
 */
import { appendFile, mkdir } from 'node:fs/promises';
import { createServer } from 'node:https';
import { join } from 'node:path';
import { listen } from './free-port.ts';
import { fileOrUndefined, loadOrCreateCertificate } from './local-certificate.ts';

export interface SinkItem {
  readonly at: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  /** The raw text received (a signature is checked over these bytes). */
  readonly body: string;
}

export interface WebhookSink {
  /** `https://localhost:<port>/sink`: give it (or a path under it) as the custom webhook's URL. */
  readonly sinkUrl: string;
  /** The certificate to trust (WEBHOOK_CA_FILE). */
  readonly caFile: string;
  items(): readonly SinkItem[];
  stop(): Promise<void>;
}

/** The host name the sink is reached by: the one exact name the local address guard lets through. */
export const SINK_HOST = 'localhost';
const SINK_PATH = '/sink';
/** Bigger bodies are cut (and the request still recorded): a webhook is a small JSON document. */
const MAX_BODY_BYTES = 1024 * 1024;

export async function startWebhookSink(options: { dataDir: string; port?: number }): Promise<WebhookSink> {
  const dir = join(options.dataDir, 'webhook-sink');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const tls = await loadOrCreateCertificate(dir, SINK_HOST, 'local vendor sink');
  const logFile = join(dir, 'received.jsonl');
  const items: SinkItem[] = ((await fileOrUndefined(logFile)) ?? '')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as SinkItem);

  let base = '';
  const server = createServer({ key: tls.key, cert: tls.cert }, (request, response) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    request.on('end', () => {
      const headers = Object.fromEntries(
        Object.entries(request.headers).map(([name, value]) => [
          name,
          Array.isArray(value) ? value.join(', ') : (value ?? ''),
        ]),
      );
      const item: SinkItem = {
        at: new Date().toISOString(),
        url: `${base}${request.url ?? '/'}`,
        headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      items.push(item);
      appendFile(logFile, `${JSON.stringify(item)}\n`, { mode: 0o600 }).then(
        () => {
          response.writeHead(200, { 'content-type': 'application/json' });
          response.end('{"received":true}');
        },
        () => {
          response.writeHead(500);
          response.end();
        },
      );
    });
  });
  const listening = await listen(server, options.port ?? 0, '127.0.0.1', 'the local vendor sink');
  base = `https://${SINK_HOST}:${new URL(listening.url).port}`;
  return {
    sinkUrl: `${base}${SINK_PATH}`,
    caFile: tls.certFile,
    items: () => items,
    stop: () => listening.close(),
  };
}
