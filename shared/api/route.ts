/**
 * A route of the HTTP API, declared once: the local gateway and the CDK app route by it, the
 * HTTP spine validates by it, the OpenAPI document is generated from it, and the authorization
 * matrix and audit coverage tests iterate over it.
 */
import type { $ZodObject, $ZodType } from 'zod/v4/core';

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
  | 'api-requests'
  | 'download'
  | 'request-report'
  | 'openapi';

/** Response headers the contract declares, in the lower case the spine sends. */
export type ResponseHeader = 'etag' | 'location' | 'retry-after' | 'content-disposition';

/** A body schema: zod (mini, or any zod 4 schema) for JSON, or `text` (CSV, HTML, JSON lines) / `binary` (XLSX) for files and pages. */
export type BodySchema = $ZodType | 'text' | 'binary';

/** One answer of a route beyond what its shape implies (openapi.ts lists the implied ones). */
export interface ResponseSpec {
  readonly description: string;
  /** Media type → schema; absent: no body. Merged with the problem+json of a problem status. */
  readonly content?: Readonly<Record<string, BodySchema>>;
  readonly headers?: readonly ResponseHeader[];
}

export interface RouteDefinition {
  readonly method: HttpMethod;
  /** Unique and stable: a verb and a noun in camelCase (`createJob`). Generated clients name their calls by it. */
  readonly operationId: string;
  /** API Gateway path template, e.g. `/v1/orgs/{orgId}`. */
  readonly path: string;
  readonly fn: ApiFunctionName;
  readonly summary: string;
  readonly tag: string;
  /** `jwt`: a bearer token is required. `none`: public (the OpenAPI document, the download page). */
  readonly auth: 'jwt' | 'none';
  readonly params?: $ZodObject;
  readonly query?: $ZodObject;
  readonly body?: $ZodType;
  /** `form`: the body is application/x-www-form-urlencoded (the download page). */
  readonly bodyEncoding?: 'json' | 'form';
  /** A typical request body, shown in the document (a unit test checks that `body` accepts it). */
  readonly example?: unknown;
  readonly status: number;
  /** The JSON body of the success answer. */
  readonly response?: $ZodType;
  /**
   * Answers beyond the implied ones, by status: a string is a problem+json answer and why it
   * happens; a spec gives its own media types and headers (the success answer's too, when it is
   * not only `response` as JSON).
   */
  readonly answers?: Readonly<Record<number, string | ResponseSpec>>;
  /** The audit action a mutating route writes with its change. */
  readonly audit?: string;
}

export const routeKey = (route: Pick<RouteDefinition, 'method' | 'path'>): string =>
  `${route.method} ${route.path}`;
