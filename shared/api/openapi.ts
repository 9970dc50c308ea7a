/**
 * The OpenAPI 3.1 document, generated from the route table and its zod schemas. A client's source
 * of truth, so it is exact: each route's declared answers plus those its shape implies
 * (impliedAnswers), real media types and headers, `security: []` on public routes.
 */
import {
  OpenAPIRegistry,
  OpenApiGeneratorV31,
  type ResponseConfig,
  type ZodContentObject,
} from '@asteasolutions/zod-to-openapi';
import { z } from './schemas.ts';
import type { BodySchema, ResponseHeader, ResponseSpec, RouteDefinition } from './route.ts';
import { ROUTES } from './routes/index.ts';

export const PROBLEM_MEDIA_TYPE = 'application/problem+json';

const problem = z
  .object({
    type: z.string().meta({
      description:
        'A URI naming the kind of problem; its last segment is stable (`restricted`, `consent-required`, …)',
    }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    errors: z
      .array(z.object({ path: z.string(), message: z.string() }))
      .optional()
      .meta({ description: 'What failed validation, field by field (400)' }),
    triesLeft: z.number().int().optional().meta({
      description: 'A wrong one-time code (400 `wrong-code`): the tries left before the request is void',
    }),
  })
  .meta({ id: 'Problem' });

const HEADERS: Readonly<
  Record<
    ResponseHeader,
    { name: string; description: string; schema: { type: 'string' | 'integer'; format?: string } }
  >
> = {
  etag: {
    name: 'ETag',
    description: "The resource's version; send it as If-Match to change only what you read",
    schema: { type: 'string' },
  },
  location: { name: 'Location', description: 'Where to go next', schema: { type: 'string', format: 'uri' } },
  'retry-after': {
    name: 'Retry-After',
    description: 'Seconds to wait before trying again',
    schema: { type: 'integer' },
  },
  'content-disposition': {
    name: 'Content-Disposition',
    description: 'attachment, with the file name',
    schema: { type: 'string' },
  },
};

/** The answers every route of this shape can give, whatever it does: problems from the HTTP spine. */
export function impliedAnswers(route: RouteDefinition): Record<number, string | ResponseSpec> {
  const answers: Record<number, string | ResponseSpec> = {};
  if (route.body !== undefined || route.query !== undefined)
    answers[400] = 'Invalid input; `errors` lists what failed';
  if (route.auth === 'jwt') answers[401] = 'Missing, expired or invalid bearer token';
  if (route.auth === 'jwt' && route.path.startsWith('/v1/orgs/{orgId}'))
    answers[403] = 'A member of the organization without the permission';
  // Every change is a conditional write: a concurrent one, or a state that forbids it, is a 409.
  if (route.auth === 'jwt' && route.method !== 'GET')
    answers[409] =
      'Conflict: changed by others at the same time, or the state forbids it (`type` says which)';
  if (route.params !== undefined)
    answers[404] = 'Unknown resource, or one of an organization the caller is not a member of';
  // The spine measures any body before it looks at the route's, so even a GET may answer 413.
  answers[413] = 'Body over 1 MiB';
  if (route.body !== undefined)
    answers[415] = `The body is not ${route.bodyEncoding === 'form' ? 'application/x-www-form-urlencoded' : 'application/json'}`;
  answers[429] = { description: 'Throttled; retry after the time given', headers: ['retry-after'] };
  answers[500] = 'Internal error (says nothing of its cause)';
  answers[503] = {
    description: 'A dependency is unavailable; retry after the time given',
    headers: ['retry-after'],
  };
  return answers;
}

/** Every answer of a route, by status: the success, the implied problems and the declared ones. */
export function routeAnswers(route: RouteDefinition): Map<number, ResponseSpec & { problem: boolean }> {
  const merged = new Map<number, ResponseSpec & { problem: boolean }>();
  const success: ResponseSpec = {
    description: route.status === 204 ? 'Done' : route.status === 303 ? 'See other' : 'OK',
    ...(route.response === undefined ? {} : { content: { 'application/json': route.response } }),
  };
  const add = (status: number, answer: string | ResponseSpec, problem: boolean): void => {
    const spec = typeof answer === 'string' ? { description: answer } : answer;
    const before = merged.get(status);
    merged.set(status, {
      description: spec.description,
      content: { ...before?.content, ...spec.content },
      headers: [...new Set([...(before?.headers ?? []), ...(spec.headers ?? [])])],
      problem: (before?.problem ?? false) || problem,
    });
  };
  add(route.status, success, false);
  for (const [status, answer] of Object.entries(impliedAnswers(route))) add(Number(status), answer, true);
  for (const [status, answer] of Object.entries(route.answers ?? {}))
    add(Number(status), answer, Number(status) >= 400 && typeof answer === 'string');
  return new Map([...merged.entries()].sort(([a], [b]) => a - b));
}

function mediaSchema(schema: BodySchema): ZodContentObject[string] {
  if (schema === 'text') return { schema: { type: 'string' } };
  if (schema === 'binary') return { schema: { type: 'string', format: 'binary' } };
  return { schema };
}

function responseObject(spec: ResponseSpec & { problem: boolean }): ResponseConfig {
  const content: ZodContentObject = {};
  for (const [mediaType, schema] of Object.entries(spec.content ?? {}))
    content[mediaType] = mediaSchema(schema);
  if (spec.problem) content[PROBLEM_MEDIA_TYPE] = { schema: problem };
  const headers = Object.fromEntries(
    (spec.headers ?? []).map((header) => [
      HEADERS[header].name,
      { $ref: `#/components/headers/${HEADERS[header].name}` },
    ]),
  );
  return {
    description: spec.description,
    ...(Object.keys(headers).length === 0 ? {} : { headers }),
    ...(Object.keys(content).length === 0 ? {} : { content }),
  };
}

export function buildOpenApiDocument(): object {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
  });
  for (const header of Object.values(HEADERS)) {
    registry.registerComponent('headers', header.name, {
      description: header.description,
      required: true,
      schema: header.schema,
    });
  }
  for (const route of ROUTES) {
    const bodyType = route.bodyEncoding === 'form' ? 'application/x-www-form-urlencoded' : 'application/json';
    const responses = Object.fromEntries(
      [...routeAnswers(route)].map(([status, spec]) => [String(status), responseObject(spec)]),
    );
    registry.registerPath({
      method: route.method.toLowerCase() as Lowercase<RouteDefinition['method']>,
      path: route.path,
      operationId: route.operationId,
      summary: route.summary,
      tags: [route.tag],
      security: route.auth === 'jwt' ? [{ bearer: [] }] : [],
      request: {
        ...(route.params === undefined ? {} : { params: route.params }),
        ...(route.query === undefined ? {} : { query: route.query as z.ZodObject }),
        ...(route.body === undefined
          ? {}
          : {
              body: {
                required: !route.body.safeParse(undefined).success,
                content: {
                  [bodyType]: {
                    schema: route.body,
                    ...(route.example === undefined ? {} : { example: route.example }),
                  },
                },
              },
            }),
      },
      responses,
    });
  }
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Custos API',
      version: '1.0.0',
      description:
        'GDPR-native backend for multi-tenant workflow orchestrations. Errors are application/problem+json (RFC 9457).',
      license: { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' },
    },
    // Relative: the host that serves this document serves the API (API Gateway, or `npm start`).
    servers: [{ url: '/', description: 'The host serving this document' }],
  });
}
