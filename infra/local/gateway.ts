/**
 * The local API Gateway (HTTP API, payload 2.0): routes by the route table, hands each request to
 * the manifest function that serves it as an API Gateway event, and writes the function's result
 * back the way API Gateway does. The local-only dev routes are mounted in front of the API.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { ROUTES } from '../../shared/api/routes/index.ts';
import { routeKey, type RouteDefinition } from '../../shared/api/route.ts';
import { FUNCTIONS, type FunctionSpec } from '../manifest.ts';
import type { DevRoute } from './dev-routes.ts';
import { portError } from './free-port.ts';
import { errorName, type Invoker } from './invoke.ts';
import { httpApiEvent } from './lambda-events.ts';
import { problemReply, type LocalReply } from './local-reply.ts';

/** API Gateway's payload quota for HTTP APIs; the service's own 1 MiB limit is the handlers' to enforce. */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;

const notFound = (): LocalReply =>
  problemReply(404, 'not-found', 'Not found', 'No route matches this method and path');
const internalError = (): LocalReply =>
  problemReply(500, 'internal', 'Internal error', 'Something went wrong on our side');

// ---- Route matching -------------------------------------------------------------------------

interface CompiledRoute {
  readonly route: RouteDefinition;
  readonly key: string;
  /** Per segment: the literal text, or the name of a `{param}`. */
  readonly segments: readonly ({ literal: string } | { param: string })[];
}

export interface RouteMatch {
  readonly route: RouteDefinition;
  readonly routeKey: string;
  readonly pathParameters: Record<string, string>;
}

function compile(route: RouteDefinition): CompiledRoute {
  const segments = route.path
    .split('/')
    .slice(1)
    .map((segment) => {
      const param = /^\{([A-Za-z0-9_]+)\}$/.exec(segment);
      return param ? { param: param[1]! } : { literal: segment };
    });
  return { route, key: routeKey(route), segments };
}

/** Literal segments beat parameters, position by position, as API Gateway prefers the most specific route. */
function bySpecificity(a: CompiledRoute, b: CompiledRoute): number {
  const length = Math.min(a.segments.length, b.segments.length);
  for (let i = 0; i < length; i++) {
    const rank = (c: CompiledRoute): number => ('literal' in c.segments[i]! ? 0 : 1);
    if (rank(a) !== rank(b)) return rank(a) - rank(b);
  }
  return 0;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

export class RouteTable {
  private readonly compiled: readonly CompiledRoute[];

  constructor(routes: readonly RouteDefinition[]) {
    this.compiled = routes.map(compile).sort(bySpecificity);
  }

  /** The route for this method and raw (still percent-encoded) path; an unknown path or method is no match. */
  match(method: string, rawPath: string): RouteMatch | undefined {
    const segments = rawPath.split('/').slice(1);
    for (const candidate of this.compiled) {
      if (candidate.route.method !== method || candidate.segments.length !== segments.length) continue;
      const pathParameters: Record<string, string> = {};
      const matches = candidate.segments.every((part, i) => {
        const segment = segments[i]!;
        if ('literal' in part) return part.literal === segment;
        if (segment === '') return false;
        pathParameters[part.param] = decodeSegment(segment);
        return true;
      });
      if (matches) return { route: candidate.route, routeKey: candidate.key, pathParameters };
    }
    return undefined;
  }
}

// ---- Results --------------------------------------------------------------------------------

interface WireReply {
  readonly status: number;
  readonly headers: Record<string, string | string[]>;
  readonly body: Buffer;
}

function isStructured(result: unknown): result is APIGatewayProxyStructuredResultV2 {
  return typeof result === 'object' && result !== null && 'statusCode' in result;
}

/**
 * Payload 2.0 response rules: a result with `statusCode` is used as given (cookies become
 * Set-Cookie headers, a base64 body is decoded); anything else is a 200 JSON answer whose body is
 * the string itself or the JSON of the value.
 */
export function wireReply(result: unknown): WireReply {
  if (!isStructured(result)) {
    const body = typeof result === 'string' ? result : (JSON.stringify(result) ?? '');
    return { status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from(body) };
  }
  const status = result.statusCode;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599) {
    throw new TypeError('The function returned an invalid status code');
  }
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(result.headers ?? {}))
    headers[name.toLowerCase()] = String(value);
  if (result.cookies !== undefined && result.cookies.length > 0) headers['set-cookie'] = [...result.cookies];
  const text = result.body ?? '';
  return {
    status,
    headers,
    body: result.isBase64Encoded === true ? Buffer.from(text, 'base64') : Buffer.from(text),
  };
}

function localWireReply(reply: LocalReply): WireReply {
  return { status: reply.status, headers: { ...reply.headers }, body: Buffer.from(reply.body ?? '') };
}

// ---- Server ---------------------------------------------------------------------------------

/** Reads the whole body, or reports it too large (after draining it, so the client sees the answer). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = Number(req.headers['content-length'] ?? 0) > limit;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      if (!tooLarge) chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? 'too-large' : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export interface GatewayOptions {
  readonly runtime: Invoker;
  /** Defaults to env PORT, else 3000; 0 picks a free port. */
  readonly port?: number;
  readonly host?: string;
  readonly routes?: readonly RouteDefinition[];
  readonly functions?: readonly FunctionSpec[];
  readonly devRoutes?: readonly DevRoute[];
  /** One line per request: method, route key, status, time. Never paths, bodies or tokens. */
  readonly log?: (line: string) => void;
}

export interface Gateway {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? Number(process.env.PORT ?? 3000);
  const table = new RouteTable(options.routes ?? ROUTES);
  const functions = new Map((options.functions ?? FUNCTIONS).map((fn) => [fn.name, fn]));
  const devRoutes = options.devRoutes ?? [];
  const log = options.log ?? (() => {});

  async function answer(req: IncomingMessage): Promise<{ reply: WireReply; label: string }> {
    const method = req.method ?? 'GET';
    const target = req.url ?? '/';
    const queryAt = target.indexOf('?');
    const rawPath = queryAt === -1 ? target : target.slice(0, queryAt);
    const rawQueryString = queryAt === -1 ? '' : target.slice(queryAt + 1);

    const body = await readBody(req, MAX_BODY_BYTES);
    if (body === 'too-large') {
      const detail = `Request bodies are limited to ${MAX_BODY_BYTES} bytes`;
      return {
        reply: localWireReply(problemReply(413, 'payload-too-large', 'Payload too large', detail)),
        label: method,
      };
    }

    const dev = devRoutes.find((r) => r.method === method && r.path === rawPath);
    if (dev !== undefined)
      return { reply: localWireReply(await dev.handle(body)), label: `${method} ${dev.path}` };

    const match = table.match(method, rawPath);
    if (match === undefined) return { reply: localWireReply(notFound()), label: `${method} (no route)` };
    const fn = functions.get(match.route.fn);
    if (fn === undefined) {
      const detail = `The function ${match.route.fn} that serves this route is not in the manifest yet`;
      return {
        reply: localWireReply(problemReply(501, 'not-implemented', 'Not implemented', detail)),
        label: match.routeKey,
      };
    }
    const event = httpApiEvent({
      method,
      rawPath,
      rawQueryString,
      headers: req.headers,
      body,
      routeKey: match.routeKey,
      pathParameters: match.pathParameters,
      sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
    });
    try {
      const reply = wireReply(await options.runtime.invoke(fn, event));
      // API Gateway tags every answer with its request id.
      reply.headers['apigw-requestid'] = event.requestContext.requestId;
      return { reply, label: match.routeKey };
    } catch (error) {
      log(`${fn.name} failed: ${errorName(error)}`);
      return { reply: localWireReply(internalError()), label: match.routeKey };
    }
  }

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    let outcome: { reply: WireReply; label: string };
    try {
      outcome = await answer(req);
    } catch (error) {
      log(`gateway failed: ${errorName(error)}`);
      outcome = { reply: localWireReply(internalError()), label: req.method ?? '' };
    }
    const { reply, label } = outcome;
    res.writeHead(reply.status, { ...reply.headers, 'content-length': String(reply.body.length) });
    res.end(reply.body);
    log(`${label} → ${reply.status} (${Math.round(performance.now() - started)} ms)`);
  }

  const server: Server = createServer((req, res) => void serve(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) => reject(portError(error, port, 'local API gateway')));
    server.listen({ port, host }, () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${bound}`,
    port: bound,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
