/** The OpenAPI 3.1 document, generated from the route table and its zod schemas. */
import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { z } from './schemas.ts';
import type { RouteDefinition } from './route.ts';
import { ROUTES } from './routes/index.ts';

const problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Problem' });

const problemResponse = (description: string) => ({ description, content: { 'application/problem+json': { schema: problem } } });

function errorResponses(route: RouteDefinition): Record<string, ReturnType<typeof problemResponse>> {
  const responses: Record<string, ReturnType<typeof problemResponse>> = {};
  if (route.body !== undefined || route.query !== undefined) responses['400'] = problemResponse('Invalid input');
  if (route.auth === 'jwt') {
    responses['401'] = problemResponse('Missing or invalid bearer token');
    responses['403'] = problemResponse('A member without the permission');
  }
  responses['404'] = problemResponse('Unknown resource, or one of an organization the caller is not a member of');
  if (route.body !== undefined) responses['413'] = problemResponse('Body over 1 MiB');
  responses['429'] = problemResponse('Throttled; see Retry-After');
  return responses;
}

function successResponse(route: RouteDefinition) {
  if (route.status === 204) return { description: 'Done' };
  if (route.response === undefined) return { description: 'OK', content: { 'application/json': { schema: z.object({}).passthrough() } } };
  return { description: 'OK', content: { 'application/json': { schema: route.response } } };
}

export function buildOpenApiDocument(serverUrl?: string): object {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
  for (const route of ROUTES) {
    const bodyType = route.bodyEncoding === 'form' ? 'application/x-www-form-urlencoded' : 'application/json';
    registry.registerPath({
      method: route.method.toLowerCase() as Lowercase<RouteDefinition['method']>,
      path: route.path,
      summary: route.summary,
      tags: [route.tag],
      ...(route.auth === 'jwt' ? { security: [{ bearer: [] }] } : {}),
      request: {
        ...(route.params === undefined ? {} : { params: route.params }),
        ...(route.query === undefined ? {} : { query: route.query as z.ZodObject }),
        ...(route.body === undefined ? {} : { body: { required: !route.body.safeParse(undefined).success, content: { [bodyType]: { schema: route.body } } } }),
      },
      responses: { [String(route.status)]: successResponse(route), ...errorResponses(route) },
    });
  }
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Custos API',
      version: '1.0.0',
      description: 'GDPR-native backend for multi-tenant workflow orchestrations. Errors are application/problem+json (RFC 9457).',
    },
    ...(serverUrl === undefined ? {} : { servers: [{ url: serverUrl }] }),
  });
}
