/**
 * The JWT attack catalogue, each a named test, against the real handler (PATCH /v1/orgs/{orgId},
 * which would write) with the real verifier: createTokenVerifier from the environment, fetching
 * the local OIDC issuer's JWKS over HTTPS. Every attack must answer 401 problem+json and reach no
 * use case: the handler sends not one DynamoDB command (a use case always reads the caller's
 * membership first) and the organization's partitions stay byte-identical. A control test proves
 * the same request with an honest token does reach the use case and write.
 */
import {
  createHmac,
  createPublicKey,
  generateKeyPairSync,
  randomUUID,
  sign,
  type KeyObject,
} from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { publicJwk } from '../../infra/local/access-token.ts';
import { dynamoDocumentClient } from '../../shared/adapters/aws/clients.ts';
import { orgRoutes } from '../../shared/api/routes/orgs.ts';
import { createOrg } from '../integration/api/fixtures.ts';
import { newUser, type TestUser } from '../integration/api/invoke-route.ts';
import { sendRaw, type RawAnswer } from '../support/api-client.ts';
import { observeCommands, type CommandLog, type MiddlewareHost } from '../support/fault-injection.ts';
import { TEST_ENV, testEnv } from '../support/test-stack.ts';
import { tokenFor } from '../support/tokens.ts';
import { changes, partitionState } from './partition-state.ts';

const b64 = (value: unknown): string =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

let owner: TestUser;
let orgId: string;
let commands: CommandLog;
let attacker: { server: Server; url: string; hits: number; key: KeyObject };

function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: testEnv('AUTH_ISSUER'),
    aud: testEnv('AUTH_AUDIENCE'),
    token_use: 'access',
    iat: now,
    nbf: now,
    exp: now + 600,
    jti: randomUUID(),
    sub: owner.sub,
    email: owner.email,
    ...overrides,
  };
}

function rs256(header: Record<string, unknown>, payload: Record<string, unknown>, key: KeyObject): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${sign('sha256', Buffer.from(input), key).toString('base64url')}`;
}

const patch = (headers: Record<string, string>, rawQueryString = ''): Promise<RawAnswer> =>
  sendRaw({
    route: orgRoutes.updateOrg,
    params: { orgId },
    rawQueryString,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ name: `Renamed ${randomUUID()}` }),
  });

beforeAll(async () => {
  owner = newUser('jwt-owner');
  orgId = await createOrg(owner, 'JWT target');
  commands = observeCommands(dynamoDocumentClient() as unknown as MiddlewareHost);
  const key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const state = { hits: 0 };
  const server = createServer((_, response) => {
    state.hits += 1;
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ keys: [publicJwk(key, 'attacker-key')] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  attacker = {
    server,
    key,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`,
    get hits() {
      return state.hits;
    },
  };
});

afterAll(async () => {
  commands.remove();
  await new Promise<void>((resolve) => attacker.server.close(() => resolve()));
});

/** 401 problem+json, no DynamoDB command sent during the request, the organization unchanged. */
async function expectRefusedBeforeAnyUseCase(send: () => Promise<RawAnswer>): Promise<void> {
  const before = await partitionState(orgId);
  commands.clear();
  const answer = await send();
  expect(answer.status).toBe(401);
  expect(answer.headers['content-type']).toBe('application/problem+json');
  expect(JSON.parse(answer.text)).toMatchObject({
    status: 401,
    type: 'https://custos.dev/problems/unauthenticated',
  });
  expect(commands.calls).toEqual([]);
  const after = await partitionState(orgId);
  expect(changes(before.records, after.records)).toEqual({ added: [], removed: [], changed: [] });
  expect(changes(before.audit, after.audit)).toEqual({ added: [], removed: [], changed: [] });
}

test('control: the same request with an honest token reaches the use case and writes', async () => {
  commands.clear();
  const answer = await patch({ authorization: `Bearer ${tokenFor(owner)}` });
  expect(answer.status).toBe(200);
  expect(commands.calls.some((c) => c.command === 'TransactWriteItems' && c.succeeded)).toBe(true);
});

const ATTACKS: readonly [string, () => Record<string, string> | Promise<Record<string, string>>][] = [
  [
    'alg: none (unsigned token)',
    () => ({
      authorization: `Bearer ${b64({ alg: 'none', typ: 'JWT', kid: testEnv(TEST_ENV.kid) })}.${b64(claims())}.`,
    }),
  ],
  [
    'HS256 signed with the public key as the HMAC secret',
    () => {
      const publicPem = createPublicKey(testEnv(TEST_ENV.privateKeyPem))
        .export({ format: 'pem', type: 'spki' })
        .toString();
      const input = `${b64({ alg: 'HS256', typ: 'JWT', kid: testEnv(TEST_ENV.kid) })}.${b64(claims())}`;
      return {
        authorization: `Bearer ${input}.${createHmac('sha256', publicPem).update(input).digest('base64url')}`,
      };
    },
  ],
  [
    'unknown kid',
    () => ({
      authorization: `Bearer ${rs256({ alg: 'RS256', typ: 'JWT', kid: 'no-such-key' }, claims(), attacker.key)}`,
    }),
  ],
  [
    'injected jku and x5u pointing at an attacker JWKS',
    () => ({
      authorization: `Bearer ${rs256({ alg: 'RS256', typ: 'JWT', kid: 'attacker-key', jku: attacker.url, x5u: attacker.url }, claims(), attacker.key)}`,
    }),
  ],
  [
    'expired (exp in the past)',
    () => ({
      authorization: `Bearer ${tokenFor(owner, {}, { now: new Date(Date.now() - 2 * 3600_000), expiresInSeconds: 600 })}`,
    }),
  ],
  [
    'not yet valid (nbf in the future)',
    () => ({ authorization: `Bearer ${tokenFor(owner, { nbf: Math.floor(Date.now() / 1000) + 3600 })}` }),
  ],
  ['wrong issuer', () => ({ authorization: `Bearer ${tokenFor(owner, { iss: 'https://evil.example' })}` })],
  ['wrong audience', () => ({ authorization: `Bearer ${tokenFor(owner, { aud: 'someone-else' })}` })],
  [
    'wrong token_use (an id token)',
    () => ({ authorization: `Bearer ${tokenFor(owner, { token_use: 'id' })}` }),
  ],
  [
    "signature from another issuer's key with the same kid",
    () => ({
      authorization: `Bearer ${rs256({ alg: 'RS256', typ: 'JWT', kid: testEnv(TEST_ENV.kid) }, claims(), generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey)}`,
    }),
  ],
  [
    'truncated token (signature cut short)',
    () => ({ authorization: `Bearer ${tokenFor(owner).slice(0, -12)}` }),
  ],
  [
    'truncated token (two segments)',
    () => ({ authorization: `Bearer ${tokenFor(owner).split('.').slice(0, 2).join('.')}` }),
  ],
  [
    'garbled token (payload swapped, signature kept)',
    () => {
      const [header, , signature] = tokenFor(owner).split('.');
      return { authorization: `Bearer ${header}.${b64(claims({ sub: 'someone-else' }))}.${signature}` };
    },
  ],
  [
    'garbled token (random bytes)',
    () => ({ authorization: `Bearer ${b64(randomUUID())}.${b64(randomUUID())}.${b64(randomUUID())}` }),
  ],
  [
    'garbled header (not a Bearer scheme)',
    () => ({ authorization: `Basic ${Buffer.from('owner:password').toString('base64')}` }),
  ],
];

test.each(ATTACKS)('%s → 401, no use case reached', async (_name, headers) => {
  await expectRefusedBeforeAnyUseCase(async () => patch(await headers()));
});

test('the attacker JWKS named by jku/x5u is never fetched', async () => {
  // Prepare: the attacker's server answers and counts every request it gets.
  const header = { alg: 'RS256', typ: 'JWT', kid: 'attacker-key', jku: attacker.url, x5u: attacker.url };

  // Act: present the token on its own, so this test does not lean on the catalogue above having run.
  await expectRefusedBeforeAnyUseCase(() =>
    patch({ authorization: `Bearer ${rs256(header, claims(), attacker.key)}` }),
  );

  // Assess
  expect(attacker.hits).toBe(0);
});

test.each(['access_token', 'id_token'])(
  'token in the query string (%s) → 401 even with a valid Authorization header',
  async (name) => {
    const token = tokenFor(owner);
    await expectRefusedBeforeAnyUseCase(() =>
      patch({ authorization: `Bearer ${token}` }, `${name}=${token}`),
    );
  },
);
