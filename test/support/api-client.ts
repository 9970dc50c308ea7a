/**
 * Sends a raw request to a route's function the way API Gateway would, with nothing cleaned up on
 * the way: any path parameter values, any query string, any header, any body bytes. The security
 * suite uses it to feed hostile input to the real handlers (test/integration/api/invoke-route.ts
 * is the well-behaved client for everything else).
 */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { FunctionRuntime } from '../../infra/local/invoke.ts';
import { httpApiEvent } from '../../infra/local/lambda-events.ts';
import { functionNamed } from '../../infra/manifest.ts';
import { routeKey, type RouteDefinition } from '../../shared/api/route.ts';
import { recordAnswer } from './contract-recorder.ts';

export interface RawRequest {
  readonly route: RouteDefinition;
  /** Decoded values of the template's parameters; missing ones are sent empty. */
  readonly params?: Readonly<Record<string, string>>;
  readonly rawQueryString?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Buffer;
}

export interface RawAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly text: string;
}

const runtime = new FunctionRuntime();

/**
 * Percent-encodes every byte outside RFC 3986's unreserved set. Unlike encodeURIComponent it
 * accepts lone surrogates (as U+FFFD, which is what their UTF-8 encoding becomes on the wire).
 */
export function percentEncode(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const ch = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-._~]/.test(ch) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

export const templateParams = (route: RouteDefinition): string[] =>
  [...route.path.matchAll(/\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1]!);

export async function sendRaw(request: RawRequest): Promise<RawAnswer> {
  const params: Record<string, string> = {};
  for (const name of templateParams(request.route)) params[name] = request.params?.[name] ?? '';
  const rawPath = request.route.path.replace(/\{([A-Za-z0-9_]+)\}/g, (_, name: string) =>
    percentEncode(params[name]!),
  );
  const event = httpApiEvent({
    method: request.route.method,
    rawPath,
    rawQueryString: request.rawQueryString ?? '',
    headers: { host: 'localhost', 'user-agent': 'custos-security-tests', ...request.headers },
    body:
      request.body === undefined
        ? Buffer.alloc(0)
        : Buffer.isBuffer(request.body)
          ? request.body
          : Buffer.from(request.body, 'utf8'),
    routeKey: routeKey(request.route),
    pathParameters: params,
    sourceIp: '192.0.2.66',
  });
  const result = (await runtime.invoke(
    functionNamed(request.route.fn),
    event,
  )) as APIGatewayProxyStructuredResultV2;
  const text =
    result.body === undefined
      ? ''
      : result.isBase64Encoded
        ? Buffer.from(result.body, 'base64').toString('utf8')
        : result.body;
  const answer = {
    status: result.statusCode ?? 200,
    headers: Object.fromEntries(
      Object.entries(result.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]),
    ),
    text,
  };
  // Hostile input included: whatever is sent, the answer must be one the document declares.
  recordAnswer({ method: request.route.method, path: request.route.path, ...answer });
  return answer;
}
