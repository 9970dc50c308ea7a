import * as z from 'zod/mini';
import type { RouteDefinition } from '../route.ts';

/** The document itself is described loosely: its own schema is OpenAPI 3.1's. */
const openApiDocument = z
  .object({
    openapi: z.string(),
    info: z.object({ title: z.string(), version: z.string() }),
    paths: z.record(z.string(), z.unknown()),
  })
  .check(z.meta({ id: 'OpenApiDocument' }));

export const openApiRoutes = {
  document: {
    method: 'GET',
    operationId: 'getOpenApiDocument',
    path: '/v1/openapi.json',
    fn: 'openapi',
    tag: 'Meta',
    summary: 'This OpenAPI document',
    auth: 'none',
    status: 200,
    response: openApiDocument,
  },
} as const satisfies Record<string, RouteDefinition>;
