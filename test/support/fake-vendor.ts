/**
 * A marketplace vendor for tests: an HTTPS server on loopback with a self-signed certificate made
 * by the `openssl` CLI (SAN localhost and 127.0.0.1), which records every request it receives.
 * The webhook client trusts it only through its `extraCaPem` option (WEBHOOK_CA_FILE for the
 * functions), and reaches it only because tests allow `localhost` as a private webhook host.
 *
 * Answers are scripted: by default 200; `script` queues answers (a status, a redirect, a delay,
 * or a dropped connection) consumed one per request.
 *
 * It verifies every request's `Custos-Signature` against the signing secrets it was told to
 * `trust` (the ones consents returned), as a vendor would: `signed` says whether it held.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { verifySignature } from '../../shared/domain/webhook-signature.ts';

const run = promisify(execFile);

export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
  /** Whether the Custos-Signature verified under one of the trusted secrets, over the raw body. */
  readonly signed: boolean;
  // The vendor sees whatever JSON was posted; tests narrow it with expectations.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly json: any;
}

export type ScriptedAnswer =
  | { readonly status: number; readonly location?: string }
  | { readonly delayMs: number; readonly status?: number }
  | { readonly drop: true };

export interface FakeVendor {
  readonly port: number;
  /** `https://localhost:<port><path>`. */
  url(path?: string): string;
  readonly caFile: string;
  readonly caPem: string;
  readonly received: ReceivedRequest[];
  script(...answers: ScriptedAnswer[]): void;
  /** A signing secret (from a consent's 201) the vendor accepts signatures of. */
  trust(secret: string): void;
  reset(): void;
  stop(): Promise<void>;
}

export async function startFakeVendor(): Promise<FakeVendor> {
  const dir = await mkdtemp(join(tmpdir(), 'custos-fake-vendor-'));
  const keyFile = join(dir, 'key.pem');
  const caFile = join(dir, 'cert.pem');
  await run('openssl', [
    'req',
    '-x509',
    '-nodes',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-keyout',
    keyFile,
    '-out',
    caFile,
    '-days',
    '2',
    '-subj',
    '/CN=Custos fake vendor',
    '-addext',
    'subjectAltName=DNS:localhost,IP:127.0.0.1',
  ]);
  const [key, caPem] = await Promise.all([readFile(keyFile, 'utf8'), readFile(caFile, 'utf8')]);

  const received: ReceivedRequest[] = [];
  const secrets = new Set<string>();
  let answers: ScriptedAnswer[] = [];
  const server: Server = createServer({ key, cert: caPem }, (request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const raw = Buffer.concat(chunks);
      const body = raw.toString('utf8');
      const header = request.headers['custos-signature'];
      const now = Math.floor(Date.now() / 1000);
      const signed =
        typeof header === 'string' &&
        [...secrets].some((secret) => verifySignature(secret, header, raw, now));
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      received.push({
        method: request.method ?? '',
        path: request.url ?? '',
        headers: { ...request.headers },
        body,
        signed,
        json,
      });
      const answer = answers.shift() ?? { status: 200 };
      if ('drop' in answer) {
        request.socket.destroy();
        return;
      }
      const respond = (status: number, location?: string) => {
        response.writeHead(status, {
          'content-type': 'application/json',
          ...(location === undefined ? {} : { location }),
        });
        response.end(JSON.stringify({ ok: status < 300 }));
      };
      if ('delayMs' in answer) {
        const timer = setTimeout(() => respond(answer.status ?? 200), answer.delayMs);
        response.on('close', () => clearTimeout(timer));
        return;
      }
      respond(answer.status, answer.location);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  // A test that forgets to stop it must not keep jest alive.
  server.unref();
  const port = (server.address() as AddressInfo).port;

  return {
    port,
    url: (path = '/hook') => `https://localhost:${port}${path}`,
    caFile,
    caPem,
    received,
    script: (...next) => {
      answers = [...answers, ...next];
    },
    trust: (secret) => {
      secrets.add(secret);
    },
    reset: () => {
      received.length = 0;
      answers = [];
    },
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
