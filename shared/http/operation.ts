/**
 * An operation serves one route: it receives validated, typed input and answers an HttpResult.
 * Types come from the route's own schemas, so an operation cannot read a field its route does
 * not validate.
 */
import type { $ZodType, output } from 'zod/v4/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { CursorScope } from '../domain/cursor.ts';
import type { RequestContext } from '../domain/principal.ts';
import type { RouteDefinition } from '../api/route.ts';
import type { HttpResult } from './http-result.ts';

type Parsed<S> = S extends $ZodType ? output<S> : undefined;

export interface OperationInput<R extends RouteDefinition> {
  readonly ctx: R['auth'] extends 'jwt' ? RequestContext : Omit<RequestContext, 'principal'>;
  readonly params: Parsed<R['params']>;
  readonly query: Parsed<R['query']>;
  readonly body: Parsed<R['body']>;
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** The scope a list's cursors are bound to: this operation, its path parameters and its caller. */
  readonly cursorScope: CursorScope;
  readonly event: APIGatewayProxyEventV2;
}

export interface Operation {
  readonly route: RouteDefinition;
  run(input: OperationInput<RouteDefinition>): Promise<HttpResult>;
}

export function operation<R extends RouteDefinition>(
  route: R,
  run: (input: OperationInput<R>) => Promise<HttpResult>,
): Operation {
  return { route, run: run as unknown as Operation['run'] };
}
