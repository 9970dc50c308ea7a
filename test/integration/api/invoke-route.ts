/**
 * Calls a route the way the deployed API does: the manifest function that serves it, imported
 * once like a Lambda cold start, receiving the API Gateway v2 event the local gateway would build
 * (infra/local/lambda-events.ts). No HTTP server in between, no fakes behind: the handlers run the
 * real adapters against the emulators the global setup started.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { FunctionRuntime } from '../../../infra/local/invoke.ts';
import { httpApiEvent } from '../../../infra/local/lambda-events.ts';
import { FUNCTIONS } from '../../../infra/manifest.ts';
import { routeKey, type RouteDefinition } from '../../../shared/api/route.ts';
import { recordAnswer } from '../../support/contract-recorder.ts';
import { bearer } from '../../support/tokens.ts';

export interface TestUser {
  readonly sub: string;
  readonly email: string;
}

export interface RouteCall {
  readonly route: RouteDefinition;
  readonly params?: Readonly<Record<string, string>>;
  readonly query?: Readonly<Record<string, string>>;
  /** Sent as JSON, or URL-encoded for a route whose `bodyEncoding` is `form` (then string values only). */
  readonly body?: unknown;
  /** The caller; none sends no Authorization header. */
  readonly as?: TestUser;
  readonly headers?: Readonly<Record<string, string>>;
  /** The caller's address as API Gateway reports it; one fixed test address by default. */
  readonly sourceIp?: string;
}

export interface RouteAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** Parsed JSON, or the raw text for other media types. */
  // Bodies are whatever the route answers; tests narrow them with expectations.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly body: any;
  readonly text: string;
}

const runtime = new FunctionRuntime();

export function newUser(label: string): TestUser {
  const id = randomUUID();
  return { sub: `${label}-${id}`, email: `${label}-${id.slice(0, 8)}@example.test` };
}

export function pathOf(route: RouteDefinition, params: Readonly<Record<string, string>>): string {
  return route.path.replace(/\{([A-Za-z0-9_]+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`No value for {${name}} of ${routeKey(route)}`);
    return encodeURIComponent(value);
  });
}

export async function callRoute(call: RouteCall): Promise<RouteAnswer> {
  const fn = FUNCTIONS.find((f) => f.name === call.route.fn);
  if (fn === undefined)
    throw new Error(`No function ${call.route.fn} in the manifest for ${routeKey(call.route)}`);
  const headers: Record<string, string> = {
    host: 'localhost',
    'user-agent': 'custos-tests',
    ...call.headers,
  };
  if (call.as !== undefined) headers.authorization = bearer(call.as);
  // A form route (the download page) gets its body as a browser sends a form; every other route JSON.
  const form = call.route.bodyEncoding === 'form';
  const encoded =
    call.body === undefined
      ? undefined
      : form
        ? new URLSearchParams(call.body as Record<string, string>).toString()
        : JSON.stringify(call.body);
  const body = encoded === undefined ? Buffer.alloc(0) : Buffer.from(encoded, 'utf8');
  if (call.body !== undefined)
    headers['content-type'] ??= form ? 'application/x-www-form-urlencoded' : 'application/json';
  const pathParameters: Record<string, string> = {};
  for (const match of call.route.path.matchAll(/\{([A-Za-z0-9_]+)\}/g))
    pathParameters[match[1]!] = call.params?.[match[1]!] ?? '';
  const event = httpApiEvent({
    method: call.route.method,
    rawPath: pathOf(call.route, call.params ?? {}),
    rawQueryString: new URLSearchParams(call.query ?? {}).toString(),
    headers,
    body,
    routeKey: routeKey(call.route),
    pathParameters,
    sourceIp: call.sourceIp ?? '192.0.2.10',
  });
  const result = (await runtime.invoke(fn, event)) as APIGatewayProxyStructuredResultV2;
  const text =
    result.body === undefined
      ? ''
      : result.isBase64Encoded
        ? Buffer.from(result.body, 'base64').toString('utf8')
        : result.body;
  const contentType = String(result.headers?.['content-type'] ?? '');
  const parsed: unknown = /json/.test(contentType) && text !== '' ? JSON.parse(text) : text;
  const answer = {
    status: result.statusCode ?? 200,
    headers: Object.fromEntries(Object.entries(result.headers ?? {}).map(([k, v]) => [k, String(v)])),
    body: parsed,
    text,
  };
  recordAnswer({
    method: call.route.method,
    path: call.route.path,
    status: answer.status,
    headers: answer.headers,
    text,
  });
  return answer;
}
