import { describe, expect, test } from '@jest/globals';
import type { RouteDefinition } from '../../../shared/api/route.ts';
import { ROUTES } from '../../../shared/api/routes/index.ts';
import { RouteTable, wireReply } from '../../../infra/local/gateway.ts';

const route = (method: RouteDefinition['method'], path: string): RouteDefinition => ({
  method,
  operationId: `${method.toLowerCase()}Test`,
  path,
  fn: 'api-orgs',
  summary: path,
  tag: 'Test',
  auth: 'jwt',
  status: 200,
});

const table = new RouteTable([
  route('GET', '/v1/orgs'),
  route('POST', '/v1/orgs'),
  route('GET', '/v1/orgs/{orgId}'),
  route('GET', '/v1/orgs/{orgId}/jobs/{jobId}'),
  route('GET', '/v1/orgs/{orgId}/jobs/export'),
  route('GET', '/v1/backups/{backupId}/download'),
]);

describe('RouteTable', () => {
  test.each([
    ['GET', '/v1/orgs', 'GET /v1/orgs', {}],
    ['POST', '/v1/orgs', 'POST /v1/orgs', {}],
    ['GET', '/v1/orgs/01ABC', 'GET /v1/orgs/{orgId}', { orgId: '01ABC' }],
    [
      'GET',
      '/v1/orgs/01ABC/jobs/01DEF',
      'GET /v1/orgs/{orgId}/jobs/{jobId}',
      { orgId: '01ABC', jobId: '01DEF' },
    ],
    ['GET', '/v1/orgs/01ABC/jobs/export', 'GET /v1/orgs/{orgId}/jobs/export', { orgId: '01ABC' }],
    ['GET', '/v1/orgs/a%20b%2Fc', 'GET /v1/orgs/{orgId}', { orgId: 'a b/c' }],
    ['GET', '/v1/backups/01XYZ/download', 'GET /v1/backups/{backupId}/download', { backupId: '01XYZ' }],
  ])('%s %s matches %s', (method, path, key, params) => {
    const match = table.match(method, path);

    expect(match?.routeKey).toBe(key);
    expect(match?.pathParameters).toEqual(params);
  });

  test.each([
    ['GET', '/v1/nowhere'],
    ['DELETE', '/v1/orgs'],
    ['GET', '/v1/orgs/'],
    ['GET', '/v1/orgs//jobs/1'],
    ['GET', '/v1/orgs/1/2'],
    ['get', '/v1/orgs'],
  ])('%s %s matches nothing', (method, path) => {
    expect(table.match(method, path)).toBeUndefined();
  });

  test('every declared route matches its own key with sample parameters', () => {
    // Prepare
    const declared = new RouteTable(ROUTES);

    // Act and assess
    for (const r of ROUTES) {
      const path = r.path.replace(/\{[^}]+\}/g, 'sample');
      expect(declared.match(r.method, path)?.routeKey).toBe(`${r.method} ${r.path}`);
    }
  });
});

describe('wireReply (payload 2.0 responses)', () => {
  test('a structured result is written as given, cookies as Set-Cookie', () => {
    const reply = wireReply({
      statusCode: 201,
      headers: { 'Content-Type': 'application/json', 'X-Count': 3 },
      cookies: ['a=1', 'b=2'],
      body: '{"ok":true}',
    });

    expect(reply.status).toBe(201);
    expect(reply.headers).toEqual({
      'content-type': 'application/json',
      'x-count': '3',
      'set-cookie': ['a=1', 'b=2'],
    });
    expect(reply.body.toString()).toBe('{"ok":true}');
  });

  test('a base64 body is decoded', () => {
    const reply = wireReply({
      statusCode: 200,
      body: Buffer.from([0, 1, 2, 255]).toString('base64'),
      isBase64Encoded: true,
    });

    expect([...reply.body]).toEqual([0, 1, 2, 255]);
  });

  test.each([
    ['a string', 'hello', 'hello'],
    ['an object without statusCode', { items: [] }, '{"items":[]}'],
  ])('%s becomes a 200 JSON answer', (_, result, body) => {
    const reply = wireReply(result);

    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe('application/json');
    expect(reply.body.toString()).toBe(body);
  });

  test.each([[{ statusCode: 'ok' }], [{ statusCode: 42 }], [{ statusCode: 200.5 }]])(
    'an invalid status code %j is refused',
    (result) => {
      expect(() => wireReply(result)).toThrow(TypeError);
    },
  );
});
