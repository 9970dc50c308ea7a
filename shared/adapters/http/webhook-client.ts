/**
 * The outbound HTTPS client for extension webhooks. Every attempt resolves the host, vets every
 * address with the SSRF guard and connects only to a vetted address (the socket's `lookup` is
 * pinned to them, so a second DNS answer cannot swap in a private address), with the host name
 * kept for SNI and certificate checks. Every attempt is signed (`Custos-Signature`). No redirect is followed (a 3xx is the final answer), the
 * connection and each attempt are time-boxed, and network errors, 429 and 5xx are retried a
 * bounded number of times with jittered exponential backoff under one overall deadline.
 *
 * Trust: the public roots, plus `extraCaPem` when configured (only the local stack and tests do,
 * for their self-signed fake vendor). The bearer token goes only into the Authorization header:
 * errors carry codes and statuses, never headers, bodies or the URL's query.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { request, type RequestOptions } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { rootCertificates } from 'node:tls';
import { assertPublicAddresses, parseWebhookUrl, type WebhookTarget } from '../../domain/ssrf-guard.ts';
import { SIGNATURE_HEADER, signatureHeader } from '../../domain/webhook-signature.ts';
import {
  WebhookUnreachable,
  type WebhookDelivery,
  type WebhookResult,
  type Webhooks,
} from '../../ports/webhooks.ts';

export interface WebhookClientOptions {
  /** Exact host names allowed to resolve to private addresses: local stack and tests only. */
  readonly allowedPrivateHosts?: readonly string[];
  /** A PEM CA trusted beside the public roots: local stack and tests only. */
  readonly extraCaPem?: string;
  /** All addresses of a host name (default: the system resolver). */
  readonly resolve?: (host: string) => Promise<string[]>;
  readonly connectTimeoutMs?: number;
  /** Per attempt, from the request to the end of the answer. */
  readonly attemptTimeoutMs?: number;
  /** All attempts and backoffs together; kept below API Gateway's 30 s. */
  readonly deadlineMs?: number;
  readonly maxAttempts?: number;
  readonly backoffBaseMs?: number;
}

const DEFAULTS = {
  connectTimeoutMs: 3_000,
  attemptTimeoutMs: 8_000,
  deadlineMs: 20_000,
  maxAttempts: 3,
  backoffBaseMs: 250,
};
/** The vendor's answer body is drained, never read for content; more than this is cut off. */
const MAX_ANSWER_BYTES = 64 * 1024;

const systemResolve = async (host: string): Promise<string[]> =>
  (await dnsLookup(host, { all: true, verbatim: true })).map((entry) => entry.address);

type AttemptOutcome = { readonly status: number } | { readonly failure: string };

const isRetryableStatus = (status: number): boolean => status === 429 || status >= 500;

export class WebhookClient implements Webhooks {
  private readonly settings: typeof DEFAULTS;
  private readonly ca: string[] | undefined;

  constructor(private readonly options: WebhookClientOptions = {}) {
    this.settings = {
      ...DEFAULTS,
      ...Object.fromEntries(
        Object.entries(options).filter(([key, value]) => key in DEFAULTS && value !== undefined),
      ),
    };
    this.ca = options.extraCaPem === undefined ? undefined : [...rootCertificates, options.extraCaPem];
  }

  async deliver(delivery: WebhookDelivery): Promise<WebhookResult> {
    const target = parseWebhookUrl(delivery.url);
    const body = Buffer.from(JSON.stringify(delivery.payload), 'utf8');
    const deadline = Date.now() + this.settings.deadlineMs;
    let last: AttemptOutcome = { failure: 'not attempted' };
    for (let attempt = 1; attempt <= this.settings.maxAttempts; attempt += 1) {
      // Resolved and vetted on every attempt: a refusal is final, never retried.
      const addresses = await this.addressesOf(target.host);
      assertPublicAddresses(target.host, addresses, this.options.allowedPrivateHosts ?? []);
      const remaining = deadline - Date.now();
      if (remaining <= 0) break;
      last = await this.attempt(
        target,
        addresses,
        delivery,
        body,
        Math.min(this.settings.attemptTimeoutMs, remaining),
      );
      if ('status' in last && !isRetryableStatus(last.status))
        return { status: last.status, attempts: attempt };
      if (attempt === this.settings.maxAttempts) break;
      const backoff = this.settings.backoffBaseMs * 2 ** (attempt - 1) * (0.5 + Math.random() / 2);
      if (Date.now() + backoff >= deadline) break;
      await new Promise((resolve) => setTimeout(resolve, backoff));
    }
    // A vendor that kept answering 5xx did answer: its last status is the result.
    if ('status' in last) return { status: last.status, attempts: this.settings.maxAttempts };
    throw new WebhookUnreachable(this.settings.maxAttempts, last.failure);
  }

  private async addressesOf(host: string): Promise<string[]> {
    if (isIP(host) !== 0) return [host];
    try {
      return await (this.options.resolve ?? systemResolve)(host);
    } catch {
      return [];
    }
  }

  private attempt(
    target: WebhookTarget,
    addresses: readonly string[],
    delivery: WebhookDelivery,
    body: Buffer,
    timeoutMs: number,
  ): Promise<AttemptOutcome> {
    // Connect only to what the guard vetted, whichever form the socket asks for.
    const pinned: LookupFunction = (_host, options, callback) => {
      const entries = addresses.map((address) => ({ address, family: isIP(address) }));
      if (options.all === true)
        (callback as (error: null, entries: { address: string; family: number }[]) => void)(null, entries);
      else callback(null, entries[0]!.address, entries[0]!.family);
    };
    const options: RequestOptions = {
      method: 'POST',
      hostname: target.host,
      port: target.port,
      path: `${target.url.pathname}${target.url.search}`,
      lookup: pinned,
      agent: false,
      ...(this.ca === undefined ? {} : { ca: this.ca }),
      headers: {
        'content-type': 'application/json',
        'content-length': String(body.length),
        ...(delivery.bearerToken === undefined ? {} : { authorization: `Bearer ${delivery.bearerToken}` }),
        // Signed at each attempt, so a retry's timestamp is fresh for the vendor's tolerance window.
        [SIGNATURE_HEADER]: signatureHeader(delivery.signingSecret, Math.floor(Date.now() / 1000), body),
        'idempotency-key': delivery.deliveryId,
        'user-agent': 'Custos-Webhooks/1',
      },
    };
    return new Promise<AttemptOutcome>((resolve) => {
      let settled = false;
      const finish = (outcome: AttemptOutcome): void => {
        if (settled) return;
        settled = true;
        clearTimeout(attemptTimer);
        clearTimeout(connectTimer);
        resolve(outcome);
      };
      let connectTimer: NodeJS.Timeout | undefined;
      const attemptTimer = setTimeout(() => {
        finish({ failure: 'timeout' });
        req.destroy();
      }, timeoutMs);
      const req = request(options, (answer) => {
        const status = answer.statusCode ?? 0;
        let received = 0;
        answer.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (received > MAX_ANSWER_BYTES) {
            finish({ status });
            answer.destroy();
          }
        });
        answer.on('end', () => finish({ status }));
        answer.on('error', () => finish({ status }));
      });
      req.on('socket', (socket) => {
        connectTimer = setTimeout(() => {
          finish({ failure: 'connect-timeout' });
          req.destroy();
        }, this.settings.connectTimeoutMs);
        socket.once('secureConnect', () => clearTimeout(connectTimer));
      });
      req.on('error', (error: NodeJS.ErrnoException) => finish({ failure: error.code ?? 'network' }));
      req.end(body);
    });
  }
}
