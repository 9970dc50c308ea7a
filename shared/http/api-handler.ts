/**
 * The HTTP spine every API function shares, one function (no middy: docs/decisions/0015): it
 * finds the route's operation, limits and parses the body, authenticates, validates
 * params/query/body with the route's zod schemas, runs the operation and maps any error to
 * problem+json. Operations stay free of HTTP plumbing.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { safeParse } from 'zod/mini';
import type { $ZodError, $ZodType } from 'zod/v4/core';
import {
  ForbiddenError,
  NotFoundError,
  UnauthenticatedError,
  ValidationError,
  CustosError,
} from '../domain/errors.ts';
import { routeKey, type RouteDefinition } from '../api/route.ts';
import { cursorScope, type CursorScope } from '../domain/cursor.ts';
import type { RequestContext } from '../domain/principal.ts';
import { authenticate, type TokenVerifier } from './auth.ts';
import type { HttpResult } from './http-result.ts';
import { errorFields, logger } from '../logger.ts';
import type { Operation } from './operation.ts';
import { problemResult } from './problem.ts';
import { parseFormBody, parseJsonBody, rawBody } from './request-body.ts';
import { SECURITY_HEADERS } from './security-headers.ts';

export type ApiHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

export interface ApiHandlerOptions {
  /**
   * Required when a route needs a token: the handler module creates it at cold start
   * (createTokenVerifier, token-verifier.ts), so only the functions with token routes carry
   * aws-jwt-verify. Without one such a function fails to start.
   */
  readonly verifier?: TokenVerifier;
  /** Called for 401/403 answers: the security events of the audit log. */
  readonly onSecurityEvent?: (event: SecurityEvent) => Promise<void>;
}

export interface SecurityEvent {
  readonly status: 401 | 403;
  readonly routeKey: string;
  readonly ctx: Omit<RequestContext, 'principal'> & { principal?: RequestContext['principal'] };
  readonly orgId?: string;
}

function issuesOf(error: $ZodError, prefix: string): { path: string; message: string }[] {
  return error.issues.map((issue) => ({
    path: [prefix, ...issue.path.map(String)].filter(Boolean).join('.'),
    message: issue.message,
  }));
}

function parseWith(schema: $ZodType | undefined, value: unknown, prefix: string): unknown {
  if (schema === undefined) return undefined;
  const result = safeParse(schema, value ?? (prefix === 'body' ? undefined : {}));
  if (!result.success) {
    throw new ValidationError(
      prefix === 'body' ? 'The body does not match the schema' : `Invalid ${prefix} parameters`,
      issuesOf(result.error, prefix),
    );
  }
  return result.data;
}

/** A cursor handed out by one list opens only on that list (same operation and path) for the same caller. */
function listScope(
  route: RouteDefinition,
  params: unknown,
  principal: RequestContext['principal'] | undefined,
): CursorScope {
  const path = Object.entries(params ?? {})
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .flatMap(([name, value]) => [name, String(value)]);
  return cursorScope(route.operationId, principal?.userId ?? '', ...path);
}

/** API Gateway (payload 2.0) sends header names in lower case; direct invocations and tests may not. */
function withLowerCaseHeaders(event: APIGatewayProxyEventV2): APIGatewayProxyEventV2 {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) headers[name.toLowerCase()] = value;
  return { ...event, headers };
}

function toResult(result: HttpResult, requestId: string): APIGatewayProxyStructuredResultV2 {
  const headers: Record<string, string> = {
    ...SECURITY_HEADERS,
    'x-request-id': requestId,
    ...result.headers,
  };
  if (result.body === undefined) return { statusCode: result.status, headers };
  if (Buffer.isBuffer(result.body)) {
    headers['content-type'] = result.contentType ?? 'application/octet-stream';
    return {
      statusCode: result.status,
      headers,
      body: result.body.toString('base64'),
      isBase64Encoded: true,
    };
  }
  if (typeof result.body === 'string') {
    headers['content-type'] = result.contentType ?? 'text/plain; charset=utf-8';
    return { statusCode: result.status, headers, body: result.body };
  }
  headers['content-type'] = result.contentType ?? 'application/json';
  return { statusCode: result.status, headers, body: JSON.stringify(result.body) };
}

export function apiHandler(
  functionName: string,
  operations: readonly Operation[],
  options: ApiHandlerOptions = {},
): ApiHandler {
  const byKey = new Map(operations.map((op) => [routeKey(op.route), op]));
  const { verifier } = options;
  // Checked while the module loads: a token route is never served unverified, not even once.
  if (verifier === undefined && operations.some((op) => op.route.auth === 'jwt'))
    throw new Error(`${functionName} has token routes but no verifier`);

  return async (received: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    const event = withLowerCaseHeaders(received);
    const requestId = event.requestContext.requestId;
    const baseCtx = {
      requestId,
      sourceIp: event.requestContext.http.sourceIp,
      userAgent: (event.headers['user-agent'] ?? '').slice(0, 512),
    };
    const op = byKey.get(event.routeKey);
    let principal: RequestContext['principal'] | undefined;
    try {
      if (op === undefined) throw new NotFoundError('route');
      const { route } = op;
      const query = { ...event.queryStringParameters };
      const text = rawBody(event.body, event.isBase64Encoded);
      if (route.auth === 'jwt') {
        if (verifier === undefined) throw new Error('A token route without a verifier');
        principal = await authenticate(verifier, event.headers, query);
      }
      const paramsResult = route.params && safeParse(route.params, event.pathParameters ?? {});
      if (paramsResult !== undefined && !paramsResult.success) throw new NotFoundError();
      const parsedQuery = parseWith(route.query, query, 'query');
      const body =
        route.body === undefined
          ? undefined
          : route.bodyEncoding === 'form'
            ? parseFormBody(text, event.headers['content-type'])
            : parseJsonBody(text, event.headers['content-type']);
      const parsedBody = parseWith(route.body, body, 'body');
      const ctx = principal === undefined ? baseCtx : { ...baseCtx, principal };
      const params = paramsResult?.data;
      const cursorScope = listScope(route, params, principal);
      const result = await op.run({
        ctx,
        params,
        query: parsedQuery,
        body: parsedBody,
        headers: event.headers,
        event,
        cursorScope,
      } as Parameters<Operation['run']>[0]);
      return toResult(result, requestId);
    } catch (error) {
      const answer = problemResult(error);
      if (answer.status >= 500 && !(error instanceof CustosError && error.status < 500)) {
        logger.error('request failed', {
          fn: functionName,
          route: event.routeKey,
          requestId,
          ...errorFields(error),
        });
      }
      if (
        (error instanceof UnauthenticatedError || error instanceof ForbiddenError) &&
        options.onSecurityEvent !== undefined
      ) {
        const orgId = event.pathParameters?.orgId;
        await options
          .onSecurityEvent({
            status: error.status,
            routeKey: event.routeKey,
            ctx: { ...baseCtx, ...(principal ? { principal } : {}) },
            ...(orgId ? { orgId } : {}),
          })
          .catch((e: unknown) =>
            logger.error('security event not recorded', { requestId, ...errorFields(e) }),
          );
      }
      logger.info('request answered', {
        fn: functionName,
        route: event.routeKey,
        requestId,
        status: answer.status,
      });
      return toResult(answer, requestId);
    }
  };
}
