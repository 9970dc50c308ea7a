import { jest } from '@jest/globals';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { apiHandler, type SecurityEvent } from '../../../shared/http/api-handler.ts';
import { ok } from '../../../shared/http/http-result.ts';
import { operation } from '../../../shared/http/operation.ts';
import { ForbiddenError, UnauthenticatedError } from '../../../shared/domain/errors.ts';
import * as z from 'zod/mini';
import { id, label } from '../../../shared/api/schemas.ts';
import type { RouteDefinition } from '../../../shared/api/route.ts';
import type { TokenVerifier } from '../../../shared/http/auth.ts';

const routes = {
  create: {
    method: 'POST',
    operationId: 'createThing',
    path: '/v1/things/{thingId}',
    fn: 'api-orgs',
    tag: 'Test',
    summary: 'test',
    auth: 'jwt',
    params: z.object({ thingId: id }),
    body: z.strictObject({ name: label() }),
    status: 201,
  },
  open: {
    method: 'GET',
    operationId: 'getOpen',
    path: '/v1/open',
    fn: 'openapi',
    tag: 'Test',
    summary: 'test',
    auth: 'none',
    status: 200,
  },
  denied: {
    method: 'GET',
    operationId: 'getDenied',
    path: '/v1/orgs/{orgId}/denied',
    fn: 'api-orgs',
    tag: 'Test',
    summary: 'test',
    auth: 'jwt',
    params: z.object({ orgId: id }),
    status: 200,
  },
  boom: {
    method: 'GET',
    operationId: 'getBoom',
    path: '/v1/boom',
    fn: 'api-orgs',
    tag: 'Test',
    summary: 'test',
    auth: 'none',
    status: 200,
  },
} as const satisfies Record<string, RouteDefinition>;

const THING = '01JAAAAAAAAAAAAAAAAAAAAAAA';
const GOOD_TOKEN = 'aaa.bbb.ccc';

const verifier: TokenVerifier = {
  verify: async (token) => {
    if (token !== GOOD_TOKEN) throw new Error('bad signature');
    return { sub: 'user-1', email: 'user@example.com' };
  },
};

const received: unknown[] = [];
const securityEvents: SecurityEvent[] = [];
const handler = apiHandler(
  'test',
  [
    operation(routes.create, async ({ ctx, params, body }) => {
      received.push({ user: ctx.principal.userId, params, body });
      return ok({ thingId: params.thingId, name: body.name }, 201);
    }),
    operation(routes.open, async () => ok({ open: true })),
    operation(routes.denied, async () => {
      throw new ForbiddenError();
    }),
    operation(routes.boom, async () => {
      throw new Error('secret internal detail');
    }),
  ],
  { verifier, onSecurityEvent: async (e) => void securityEvents.push(e) },
);

function event(
  route: RouteDefinition,
  init: {
    body?: string;
    headers?: Record<string, string>;
    pathParameters?: Record<string, string>;
    query?: Record<string, string>;
  },
): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: `${route.method} ${route.path}`,
    rawPath: route.path,
    rawQueryString: '',
    headers: { 'Content-Type': 'application/json', ...init.headers },
    queryStringParameters: init.query,
    pathParameters: init.pathParameters,
    body: init.body,
    isBase64Encoded: false,
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: 'localhost',
      domainPrefix: 'localhost',
      http: {
        method: route.method,
        path: route.path,
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
        userAgent: 'jest',
      },
      requestId: 'req-1',
      routeKey: `${route.method} ${route.path}`,
      stage: '$default',
      time: '',
      timeEpoch: 0,
    },
  };
}

const context = {} as Context;
const auth = { Authorization: `Bearer ${GOOD_TOKEN}` };

beforeEach(() => {
  received.length = 0;
  securityEvents.length = 0;
});

test('a valid request reaches the operation with typed, validated input', async () => {
  const res = await handler(
    event(routes.create, {
      headers: auth,
      body: JSON.stringify({ name: '  Acme ' }),
      pathParameters: { thingId: THING },
    }),
    context,
  );

  expect(res.statusCode).toBe(201);
  expect(JSON.parse(res.body ?? '')).toEqual({ thingId: THING, name: 'Acme' });
  expect(received).toEqual([{ user: 'user-1', params: { thingId: THING }, body: { name: 'Acme' } }]);
  expect(res.headers?.['x-request-id']).toBe('req-1');
  expect(res.headers?.['cache-control']).toBe('no-store');
});

test.each([
  ['no Authorization header', {}],
  ['a token that does not verify', { Authorization: 'Bearer xxx.yyy.zzz' }],
  ['a non-bearer scheme', { Authorization: `Basic ${GOOD_TOKEN}` }],
])('%s is a 401 problem that never reaches the operation', async (_name, headers) => {
  const res = await handler(
    event(routes.create, {
      headers,
      body: JSON.stringify({ name: 'x' }),
      pathParameters: { thingId: THING },
    }),
    context,
  );

  expect(res.statusCode).toBe(401);
  expect(res.headers?.['content-type']).toBe('application/problem+json');
  expect(received).toHaveLength(0);
});

test('a token in the query string is refused even with a valid header', async () => {
  const res = await handler(
    event(routes.create, {
      headers: auth,
      query: { access_token: GOOD_TOKEN },
      body: JSON.stringify({ name: 'x' }),
      pathParameters: { thingId: THING },
    }),
    context,
  );
  expect(res.statusCode).toBe(401);
  expect(received).toHaveLength(0);
});

test.each([
  ['malformed JSON', '{"name": ', 400],
  ['an unknown key (mass assignment)', JSON.stringify({ name: 'x', ownerId: 'me' }), 400],
  ['a prototype-pollution key', '{"name":"x","__proto__":{"admin":true}}', 400],
  ['deep nesting', JSON.stringify({ name: 'x', deep: JSON.parse('['.repeat(40) + ']'.repeat(40)) }), 400],
  ['a wrong type', JSON.stringify({ name: 42 }), 400],
  ['a body over 1 MiB', JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024) }), 413],
])('%s → %p problem+json, operation not called', async (_name, body, status) => {
  const res = await handler(
    event(routes.create, { headers: auth, body, pathParameters: { thingId: THING } }),
    context,
  );

  expect(res.statusCode).toBe(status);
  expect(res.headers?.['content-type']).toBe('application/problem+json');
  const problem = JSON.parse(res.body ?? '');
  expect(problem).toMatchObject({
    status,
    type: expect.stringMatching(/^https:\/\//),
    title: expect.any(String),
    detail: expect.any(String),
  });
  expect(received).toHaveLength(0);
});

test('validation errors name the failing path', async () => {
  const res = await handler(
    event(routes.create, {
      headers: auth,
      body: JSON.stringify({ name: '' }),
      pathParameters: { thingId: THING },
    }),
    context,
  );
  expect(JSON.parse(res.body ?? '').errors).toEqual([expect.objectContaining({ path: 'body.name' })]);
});

test('a non-JSON content type is 415', async () => {
  const res = await handler(
    event(routes.create, {
      headers: { ...auth, 'Content-Type': 'text/plain' },
      body: '{"name":"x"}',
      pathParameters: { thingId: THING },
    }),
    context,
  );
  expect(res.statusCode).toBe(415);
});

test('a malformed id in the path is a 404, like a missing resource', async () => {
  const res = await handler(
    event(routes.create, {
      headers: auth,
      body: JSON.stringify({ name: 'x' }),
      pathParameters: { thingId: '../etc/passwd' },
    }),
    context,
  );
  expect(res.statusCode).toBe(404);
});

test('public routes need no token', async () => {
  const res = await handler(event(routes.open, {}), context);
  expect(res.statusCode).toBe(200);
});

test('a function with a token route and no verifier fails to start instead of serving it unverified', () => {
  // Prepare: the operations of a function with one public and one token route.
  const ops = [operation(routes.open, async () => ok({})), operation(routes.denied, async () => ok({}))];
  // Act and Assess: creating the handler (at module load, the cold start) throws.
  expect(() => apiHandler('test', ops)).toThrow('test has token routes but no verifier');
});

test('a public-only function starts without a verifier', async () => {
  const open = apiHandler('test', [operation(routes.open, async () => ok({ open: true }))]);
  expect((await open(event(routes.open, {}), context)).statusCode).toBe(200);
});

test('an unexpected error is a 500 that says nothing of its cause', async () => {
  const res = await handler(event(routes.boom, {}), context);
  expect(res.statusCode).toBe(500);
  expect(res.body).not.toContain('secret internal detail');
  expect(JSON.parse(res.body ?? '')).toMatchObject({ status: 500, title: 'Internal error' });
});

test('an unexpected error is logged with its message and stack, emails and tokens masked', async () => {
  // Prepare: an error whose message quotes input, as SDK errors can.
  const failing = apiHandler('test', [
    operation(routes.boom, async () => {
      throw new TypeError(
        'cannot read owner of subject ada@example.com with eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln',
      );
    }),
  ]);
  const lines: string[] = [];
  const spy = jest
    .spyOn(process.stderr, 'write')
    .mockImplementation((chunk: string | Uint8Array) => lines.push(String(chunk)) > 0);

  // Act
  try {
    await failing(event(routes.boom, {}), context);
  } finally {
    spy.mockRestore();
  }

  // Assess
  const logged = lines
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .find((entry) => entry.message === 'request failed');
  expect(logged).toMatchObject({
    error: 'TypeError',
    errorMessage: 'cannot read owner of subject [email] with [token]',
  });
  expect(logged?.stack).toEqual(expect.stringContaining('api-handler.test.ts'));
  expect(JSON.stringify(logged)).not.toMatch(/ada@example\.com|eyJhbGci/);
});

test('403 answers are reported as security events with the organization', async () => {
  const orgId = '01JBBBBBBBBBBBBBBBBBBBBBBB';
  const res = await handler(event(routes.denied, { headers: auth, pathParameters: { orgId } }), context);

  expect(res.statusCode).toBe(403);
  expect(securityEvents).toEqual([
    expect.objectContaining({
      status: 403,
      orgId,
      ctx: expect.objectContaining({ principal: { userId: 'user-1', email: 'user@example.com' } }),
    }),
  ]);
});

test('an unknown route key is a 404 problem', async () => {
  const res = await handler({ ...event(routes.open, {}), routeKey: 'GET /v1/nothing' }, context);
  expect(res.statusCode).toBe(404);
});

test("a 401 never repeats what the verifier said about the token's claims", async () => {
  // Prepare: a verifier whose error names the token's claims, as aws-jwt-verify's errors do.
  const chatty = apiHandler('test', [operation(routes.denied, async () => ok({}))], {
    verifier: {
      verify: async () => {
        throw new Error('Token claim sub user-1 (user@example.com) failed: signature mismatch');
      },
    },
  });
  // Act
  const res = await chatty(
    event(routes.denied, {
      headers: { Authorization: 'Bearer xxx.yyy.zzz' },
      pathParameters: { orgId: THING },
    }),
    context,
  );

  // Assess
  expect(res.statusCode).toBe(401);
  expect(res.body).not.toMatch(/user-1|user@example\.com|signature mismatch/);
  expect(JSON.parse(res.body ?? '')).toMatchObject({
    status: 401,
    detail: new UnauthenticatedError('The bearer token is not valid').message,
  });
});
