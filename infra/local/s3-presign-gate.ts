/**
 * A thin front for the local S3 endpoint that checks presigned URLs as S3 does: fauxqs serves a
 * presigned GET whatever its signature and however old it is, so an expired or tampered link would
 * work in local tests and fail in the cloud. Requests carrying a presigned query (SigV4,
 * `X-Amz-Signature`) are verified against the local credentials and their expiry; every request
 * is then passed through unchanged. Header-signed SDK calls are passed through unverified, as the
 * emulator itself accepts them.
 *
 * The check recomputes the SigV4 signature of the canonical request (what the signer signed); the
 * SDK's signer signs but offers no verification of a received request, hence the few lines here.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, request as forward, type IncomingMessage, type ServerResponse } from 'node:http';
import { listen } from './free-port.ts';

/** SigV4 allows presigned URLs up to 7 days. */
const MAX_EXPIRES_SECONDS = 7 * 24 * 60 * 60;

export interface PresignGate {
  readonly url: string;
  close(): Promise<void>;
}

export interface PresignGateOptions {
  /** The emulator's S3 endpoint, e.g. http://127.0.0.1:4566. */
  readonly upstream: string;
  /** Access key id → secret, the credentials the local clients sign with. */
  readonly credentials: Readonly<Record<string, string>>;
  readonly host?: string;
  readonly port?: number;
  /** Seconds since the epoch; tests move time. */
  readonly now?: () => number;
}

type Verdict =
  { readonly ok: true } | { readonly ok: false; readonly code: string; readonly message: string };

/** RFC 3986 encoding as SigV4 wants it (encodeURIComponent leaves !'()* alone). */
const encode = (text: string): string =>
  encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');
const hmac = (key: Buffer | string, text: string): Buffer =>
  createHmac('sha256', key).update(text, 'utf8').digest();

/** `20261201T120000Z` → epoch seconds. */
function amzDateSeconds(value: string): number | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (match === null) return undefined;
  const [, y, mo, d, h, mi, s] = match.map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  return Date.UTC(y, mo - 1, d, h, mi, s) / 1000;
}

export function verifyPresigned(
  method: string,
  rawUrl: string,
  headers: IncomingMessage['headers'],
  credentials: PresignGateOptions['credentials'],
  now: number,
): Verdict {
  const url = new URL(rawUrl, 'http://local');
  const query = url.searchParams;
  const denied = (code: string, message: string): Verdict => ({ ok: false, code, message });
  if (query.get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256')
    return denied('AuthorizationQueryParametersError', 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"');
  const [accessKeyId, ...scopeParts] = (query.get('X-Amz-Credential') ?? '').split('/');
  const secret = accessKeyId === undefined ? undefined : credentials[accessKeyId];
  if (secret === undefined)
    return denied('InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.');
  const amzDate = query.get('X-Amz-Date') ?? '';
  const signedAt = amzDateSeconds(amzDate);
  const expires = Number(query.get('X-Amz-Expires'));
  if (signedAt === undefined || !Number.isInteger(expires) || expires < 1 || expires > MAX_EXPIRES_SECONDS) {
    return denied('AuthorizationQueryParametersError', 'X-Amz-Date or X-Amz-Expires is missing or invalid');
  }
  if (now > signedAt + expires) return denied('AccessDenied', 'Request has expired');

  const signedHeaders = (query.get('X-Amz-SignedHeaders') ?? '').split(';').filter(Boolean);
  const canonicalQuery = [...query.entries()]
    .filter(([name]) => name !== 'X-Amz-Signature')
    .map(([name, value]) => [encode(name), encode(value)] as const)
    .sort(([a, av], [b, bv]) => (a === b ? (av < bv ? -1 : 1) : a < b ? -1 : 1))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
  const canonicalHeaders = signedHeaders
    .map(
      (name) =>
        `${name}:${String(headers[name] ?? '')
          .trim()
          .replace(/\s+/g, ' ')}\n`,
    )
    .join('');
  // The path as sent: already URI-encoded by the signer (S3 does not encode it twice).
  const canonicalRequest = [
    method,
    url.pathname,
    canonicalQuery,
    canonicalHeaders,
    signedHeaders.join(';'),
    'UNSIGNED-PAYLOAD',
  ].join('\n');
  const scope = scopeParts.join('/');
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n');
  const signingKey = scopeParts.reduce<Buffer | string>((key, part) => hmac(key, part), `AWS4${secret}`);
  const expected = hmac(signingKey, stringToSign);
  const given = Buffer.from(query.get('X-Amz-Signature') ?? '', 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return denied(
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
    );
  }
  return { ok: true };
}

function refuse(response: ServerResponse, verdict: Extract<Verdict, { ok: false }>): void {
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${verdict.code}</Code><Message>${verdict.message}</Message></Error>`;
  response.writeHead(verdict.code === 'AuthorizationQueryParametersError' ? 400 : 403, {
    'content-type': 'application/xml',
    'content-length': Buffer.byteLength(body),
  });
  response.end(body);
}

function pass(upstream: URL, request: IncomingMessage, response: ServerResponse): void {
  const outgoing = forward(
    {
      host: upstream.hostname,
      port: upstream.port,
      method: request.method,
      path: request.url,
      headers: request.headers,
    },
    (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response);
    },
  );
  outgoing.on('error', () => {
    if (!response.headersSent) response.writeHead(502);
    response.end();
  });
  request.pipe(outgoing);
}

export function startPresignGate(options: PresignGateOptions): Promise<PresignGate> {
  const upstream = new URL(options.upstream);
  const host = options.host ?? '127.0.0.1';
  const now = options.now ?? (() => Date.now() / 1000);
  const server = createServer((request, response) => {
    const url = request.url ?? '/';
    if (new URL(url, 'http://local').searchParams.has('X-Amz-Signature')) {
      const verdict = verifyPresigned(
        request.method ?? 'GET',
        url,
        request.headers,
        options.credentials,
        now(),
      );
      if (!verdict.ok) {
        request.resume();
        refuse(response, verdict);
        return;
      }
    }
    pass(upstream, request, response);
  });
  return listen(server, options.port ?? 0, host, 'the local S3 presign gate');
}
