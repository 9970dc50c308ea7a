/**
 * The outbound webhook client against a real HTTPS server on loopback (the fake vendor): trust
 * only through the configured CA, the SSRF guard before any connection, no redirects, timeouts,
 * bounded retries, and the bearer token only in the Authorization header.
 */
import { WebhookClient, type WebhookClientOptions } from '../../shared/adapters/http/webhook-client.ts';
import { WebhookTargetRefused } from '../../shared/domain/ssrf-guard.ts';
import { WebhookUnreachable } from '../../shared/ports/webhooks.ts';
import { newSigningSecret, verifySignature } from '../../shared/domain/webhook-signature.ts';
import { startFakeVendor, type FakeVendor } from '../support/fake-vendor.ts';

let vendor: FakeVendor;
const TOKEN = 'vnd_7Hq2-Lp9xZ4rT8mK3wB6yN1c';
const SECRET = newSigningSecret();

beforeAll(async () => {
  vendor = await startFakeVendor();
});
afterAll(() => vendor.stop());
beforeEach(() => vendor.reset());

const client = (options: WebhookClientOptions = {}) =>
  new WebhookClient({
    allowedPrivateHosts: ['localhost'],
    extraCaPem: vendor.caPem,
    backoffBaseMs: 10,
    attemptTimeoutMs: 1_000,
    connectTimeoutMs: 500,
    ...options,
  });

const delivery = (url = vendor.url()) => ({
  url,
  bearerToken: TOKEN,
  signingSecret: SECRET,
  payload: { fields: { title: 'Claim' } },
  deliveryId: 'delivery-1',
});
const signedBySecret = (request: {
  headers: Readonly<Record<string, string | string[] | undefined>>;
  body: string;
}): boolean =>
  verifySignature(
    SECRET,
    String(request.headers['custos-signature']),
    Buffer.from(request.body, 'utf8'),
    Math.floor(Date.now() / 1000),
  );

test('delivers JSON with the bearer token and an idempotency key', async () => {
  // Act
  const result = await client().deliver(delivery());
  // Assess
  expect(result).toEqual({ status: 200, attempts: 1 });
  expect(vendor.received).toHaveLength(1);
  const [request] = vendor.received;
  expect(request).toMatchObject({ method: 'POST', path: '/hook', json: { fields: { title: 'Claim' } } });
  expect(request!.headers).toMatchObject({
    authorization: `Bearer ${TOKEN}`,
    'idempotency-key': 'delivery-1',
    'content-type': 'application/json',
  });
});

test('retries 5xx and 429 with the same idempotency key, then succeeds', async () => {
  vendor.script({ status: 503 }, { status: 429 });
  const result = await client().deliver(delivery());
  expect(result).toEqual({ status: 200, attempts: 3 });
  expect(vendor.received.map((r) => r.headers['idempotency-key'])).toEqual([
    'delivery-1',
    'delivery-1',
    'delivery-1',
  ]);
  expect(vendor.received.map(signedBySecret)).toEqual([true, true, true]);
});

test('signs the raw body with the secret, and sends no Authorization header without a token', async () => {
  const { bearerToken: _token, ...unauthenticated } = delivery();
  await client().deliver(unauthenticated);
  const [request] = vendor.received;
  expect(request!.headers['custos-signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
  expect(signedBySecret(request!)).toBe(true);
  expect(
    verifySignature(
      newSigningSecret(),
      String(request!.headers['custos-signature']),
      Buffer.from(request!.body),
      Math.floor(Date.now() / 1000),
    ),
  ).toBe(false);
  expect(request!.headers).not.toHaveProperty('authorization');
  expect(JSON.stringify(request!.headers)).not.toContain(SECRET);
});

test('gives up after the bounded number of attempts and reports the last status', async () => {
  vendor.script({ status: 500 }, { status: 502 }, { status: 503 }, { status: 200 });
  const result = await client().deliver(delivery());
  expect(result).toEqual({ status: 503, attempts: 3 });
  expect(vendor.received).toHaveLength(3);
});

test('does not retry a 4xx', async () => {
  vendor.script({ status: 401 });
  await expect(client().deliver(delivery())).resolves.toEqual({ status: 401, attempts: 1 });
  expect(vendor.received).toHaveLength(1);
});

test('follows no redirect: the 3xx is the answer and its target is never called', async () => {
  vendor.script({ status: 307, location: vendor.url('/elsewhere') });
  await expect(client().deliver(delivery())).resolves.toEqual({ status: 307, attempts: 1 });
  expect(vendor.received.map((r) => r.path)).toEqual(['/hook']);
});

test('an answer slower than the attempt timeout counts as a failure, retried, then unreachable', async () => {
  vendor.script({ delayMs: 2_000 }, { delayMs: 2_000 });
  const error = await client({ maxAttempts: 2, attemptTimeoutMs: 300 })
    .deliver(delivery())
    .catch((e: unknown) => e);
  expect(error).toBeInstanceOf(WebhookUnreachable);
  expect(error).toMatchObject({ attempts: 2, lastFailure: 'timeout' });
});

test('a dropped connection is retried', async () => {
  vendor.script({ drop: true });
  await expect(client().deliver(delivery())).resolves.toEqual({ status: 200, attempts: 2 });
});

test('nothing listening: unreachable after the bounded attempts, nothing in the error but codes', async () => {
  const closed = await startFakeVendor();
  const url = closed.url();
  await closed.stop();
  const error = await client({ maxAttempts: 2 })
    .deliver(delivery(url))
    .catch((e: unknown) => e);
  expect(error).toBeInstanceOf(WebhookUnreachable);
  expect(String((error as Error).message)).not.toContain(TOKEN);
});

test('a certificate not trusted through the CA option is refused (nothing is sent)', async () => {
  const error = await new WebhookClient({ allowedPrivateHosts: ['localhost'], maxAttempts: 1 })
    .deliver(delivery())
    .catch((e: unknown) => e);
  expect(error).toBeInstanceOf(WebhookUnreachable);
  expect(vendor.received).toHaveLength(0);
});

describe('SSRF: refused before any connection', () => {
  test.each([
    ['loopback by IP, not allowed', () => `https://127.0.0.1:${vendor.port}/hook`, {}],
    ['loopback as IPv4-mapped IPv6', () => `https://[::ffff:127.0.0.1]:${vendor.port}/hook`, {}],
    ['localhost without the allowance', () => vendor.url(), { allowedPrivateHosts: [] }],
    [
      'a public-looking name resolving to loopback',
      () => `https://hooks.vendor.example:${vendor.port}/hook`,
      { resolve: async () => ['127.0.0.1'] },
    ],
    [
      'a name resolving to cloud metadata',
      () => `https://hooks.vendor.example:${vendor.port}/hook`,
      { resolve: async () => ['169.254.169.254'] },
    ],
    [
      'a name with one private address among public ones',
      () => `https://hooks.vendor.example:${vendor.port}/hook`,
      { resolve: async () => ['93.184.215.14', '10.0.0.7'] },
    ],
    ['plain http', () => `http://localhost:${vendor.port}/hook`, {}],
  ] as const)('%s', async (_name, url, options) => {
    const error = await client(options)
      .deliver(delivery(url()))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WebhookTargetRefused);
    expect(vendor.received).toHaveLength(0);
  });
});
