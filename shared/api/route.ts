/**
 * A route of the HTTP API, declared once: the local gateway and the CDK app route by it, the
 * HTTP spine validates by it, the OpenAPI document is generated from it, and the authorization
 * matrix and audit coverage tests iterate over it.
 */
import type { z } from 'zod';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** The Lambda functions that serve API routes (see infra/manifest.ts). */
export type ApiFunctionName =
  | 'api-orgs'
  | 'api-orchestrations'
  | 'api-jobs'
  | 'api-subjects'
  | 'api-audit'
  | 'api-portability'
  | 'api-extensions'
  | 'api-accountability'
  | 'download'
  | 'openapi';

export interface RouteDefinition {
  readonly method: HttpMethod;
  /** API Gateway path template, e.g. `/v1/orgs/{orgId}`. */
  readonly path: string;
  readonly fn: ApiFunctionName;
  readonly summary: string;
  readonly tag: string;
  /** `jwt`: a bearer token is required. `none`: public (the OpenAPI document, the download page). */
  readonly auth: 'jwt' | 'none';
  readonly params?: z.ZodObject;
  readonly query?: z.ZodType;
  readonly body?: z.ZodType;
  /** `form`: the body is application/x-www-form-urlencoded (the download page). */
  readonly bodyEncoding?: 'json' | 'form';
  readonly status: number;
  readonly response?: z.ZodType;
  /** The audit action a mutating route writes with its change. */
  readonly audit?: string;
}

export const routeKey = (route: Pick<RouteDefinition, 'method' | 'path'>): string => `${route.method} ${route.path}`;
