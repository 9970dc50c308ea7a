/**
 * The OpenAPI 3.1 document, generated from the route table and its zod schemas. A client's source
 * of truth, so it is exact: each route's declared answers plus those its shape implies
 * (impliedAnswers), real media types and headers, `security: []` on public routes.
 *
 * Schemas become JSON Schema (draft 2020-12, OpenAPI 3.1's dialect) through zod's own
 * `toJSONSchema`, which reads zod/mini and classic schemas alike; a schema registered with an `id`
 * (`z.meta({ id })`) becomes a component and is referenced where it is used.
 */
import type { $ZodObject, $ZodType, JSONSchema } from 'zod/v4/core';
import * as z from 'zod/mini';
import type { BodySchema, ResponseHeader, ResponseSpec, RouteDefinition } from './route.ts';
import { ROUTES } from './routes/index.ts';

export const PROBLEM_MEDIA_TYPE = 'application/problem+json';

const problem = z
  .object({
    type: z
      .string()
      .check(
        z.describe(
          'A URI naming the kind of problem; its last segment is stable (`restricted`, `consent-required`, …)',
        ),
      ),
    title: z.string(),
    status: z.int(),
    detail: z.string(),
    errors: z
      .optional(z.array(z.object({ path: z.string(), message: z.string() })))
      .check(z.describe('What failed validation, field by field (400)')),
    triesLeft: z
      .optional(z.int())
      .check(
        z.describe('A wrong one-time code (400 `wrong-code`): the tries left before the request is void'),
      ),
  })
  .check(z.meta({ id: 'Problem' }));

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

type SchemaObject = JSONSchema.BaseSchema;

interface MediaObject {
  readonly schema: SchemaObject;
  readonly example?: unknown;
}

interface ResponseObject {
  readonly description: string;
  readonly headers?: Record<string, { $ref: string }>;
  readonly content?: Record<string, MediaObject>;
}

interface ParameterObject {
  readonly schema: SchemaObject;
  readonly required: boolean;
  readonly description?: string;
  readonly name: string;
  readonly in: 'path' | 'query';
}

const COMPONENT_REF = '#/components/schemas/';
const UNION_BRANCH = 'x-custos-union-branch';
const SAFE_INTEGER_BOUNDS = new Set([Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]);

/**
 * The document's shared schemas, in the order the paths first use them. Each schema is converted
 * as input (what a client sends or may read: a default makes a property optional), as the
 * document always described them.
 */
class Components {
  readonly schemas: Record<string, SchemaObject> = {};

  schemaOf(schema: $ZodType): SchemaObject {
    const {
      $schema: _dialect,
      $defs,
      ...root
    } = z.toJSONSchema(schema, {
      io: 'input',
      unrepresentable: 'any',
      override: ({ zodSchema, jsonSchema }) => {
        // zod states an integer's safe range; the document leaves the bounds nobody chose unsaid.
        for (const bound of ['minimum', 'maximum'] as const)
          if (SAFE_INTEGER_BOUNDS.has(jsonSchema[bound] as number)) delete jsonSchema[bound];
        // A literal is a one-value enum, and a record's keys are not spelled out (generated
        // clients type them as strings either way).
        if (jsonSchema.const !== undefined) {
          jsonSchema.enum = [jsonSchema.const];
          delete jsonSchema.const;
        }
        delete jsonSchema.propertyNames;
        // A union stays a list of its branches (`anyOf`) rather than a folded `type` list, which
        // zod would make of branches that are bare types: marked here, unmarked below.
        if (zodSchema._zod.def.type === 'union')
          for (const branch of jsonSchema.anyOf ?? []) Object.assign(branch, { [UNION_BRANCH]: true });
        if (zodSchema._zod.def.type === 'nullable') foldNull(jsonSchema);
        // A format names what zod checks with its own pattern; the pattern is not repeated.
        if (jsonSchema.format !== undefined && jsonSchema.pattern === zodSchema._zod.pattern?.source)
          delete jsonSchema.pattern;
      },
    });
    for (const [id, definition] of Object.entries($defs ?? {}))
      this.schemas[id] ??= referToComponents(definition) as SchemaObject;
    return referToComponents(root) as SchemaObject;
  }
}

/**
 * `null` joins what it widens: a type (`["string", "null"]`, with `null` among an enum's values),
 * a union's branches, or a referenced component (`allOf`), as the document has always spelled it.
 */
function foldNull(jsonSchema: SchemaObject): void {
  const [inner] = jsonSchema.anyOf ?? [];
  if (inner === undefined || typeof inner !== 'object') return;
  delete jsonSchema.anyOf;
  if (inner.$ref !== undefined) jsonSchema.allOf = [{ $ref: inner.$ref }, { type: ['object', 'null'] }];
  else if (inner.anyOf !== undefined) jsonSchema.anyOf = [...inner.anyOf, { type: 'null' }];
  else
    Object.assign(jsonSchema, inner, {
      type: [inner.type, 'null'],
      ...(inner.enum === undefined ? {} : { enum: [...inner.enum, null] }),
    });
}

/**
 * The order the document has always given a schema's keywords: its type and items, the other
 * assertions, then the annotations.
 */
const KEYWORD_RANK: Readonly<Record<string, number>> = { type: -2, items: -1, default: 1, description: 2 };
const rank = ([keyword]: [string, unknown]): number => KEYWORD_RANK[keyword] ?? 0;

/**
 * A converted schema as the document carries it: `#/$defs/Job` → `#/components/schemas/Job`,
 * union marks removed, keywords in the document's order (property names keep theirs).
 */
function referToComponents(value: unknown, keywords = true): unknown {
  if (Array.isArray(value)) return value.map((item) => referToComponents(item));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value).filter(([key]) => key !== UNION_BRANCH);
  return Object.fromEntries(
    (keywords ? entries.sort((a, b) => rank(a) - rank(b)) : entries).map(([key, item]) => [
      key,
      key === '$ref' && typeof item === 'string'
        ? item.replace('#/$defs/', COMPONENT_REF)
        : referToComponents(item, !(keywords && key === 'properties')),
    ]),
  );
}

function mediaSchema(schema: BodySchema, components: Components): SchemaObject {
  if (schema === 'text') return { type: 'string' };
  if (schema === 'binary') return { type: 'string', format: 'binary' };
  return components.schemaOf(schema);
}

function responseObject(spec: ResponseSpec & { problem: boolean }, components: Components): ResponseObject {
  const content: Record<string, MediaObject> = {};
  for (const [mediaType, schema] of Object.entries(spec.content ?? {}))
    content[mediaType] = { schema: mediaSchema(schema, components) };
  if (spec.problem) content[PROBLEM_MEDIA_TYPE] = { schema: components.schemaOf(problem) };
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

/** One parameter per property of a route's params or query object. */
function parameters(
  schema: $ZodObject | undefined,
  location: ParameterObject['in'],
  components: Components,
): ParameterObject[] {
  if (schema === undefined) return [];
  const { shape } = schema._zod.def;
  return Object.entries(shape).map(([name, property]) => {
    const description = z.globalRegistry.get(property)?.description;
    return {
      schema: components.schemaOf(property),
      required: location === 'path' || property._zod.optin === undefined,
      ...(description === undefined ? {} : { description }),
      name,
      in: location,
    };
  });
}

export function buildOpenApiDocument(): object {
  const components = new Components();
  const paths: Record<string, Record<string, object>> = {};
  for (const route of ROUTES) {
    const bodyType = route.bodyEncoding === 'form' ? 'application/x-www-form-urlencoded' : 'application/json';
    const responses = Object.fromEntries(
      [...routeAnswers(route)].map(([status, spec]) => [String(status), responseObject(spec, components)]),
    );
    const routeParameters = [
      ...parameters(route.params, 'path', components),
      ...parameters(route.query, 'query', components),
    ];
    (paths[route.path] ??= {})[route.method.toLowerCase()] = {
      operationId: route.operationId,
      summary: route.summary,
      tags: [route.tag],
      security: route.auth === 'jwt' ? [{ bearer: [] }] : [],
      ...(routeParameters.length === 0 ? {} : { parameters: routeParameters }),
      ...(route.body === undefined
        ? {}
        : {
            requestBody: {
              required: !z.safeParse(route.body, undefined).success,
              content: {
                [bodyType]: {
                  ...(route.example === undefined ? {} : { example: route.example }),
                  schema: components.schemaOf(route.body),
                },
              },
            },
          }),
      responses,
    };
  }
  return {
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
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      headers: Object.fromEntries(
        Object.values(HEADERS).map((header) => [
          header.name,
          { description: header.description, required: true, schema: header.schema },
        ]),
      ),
      schemas: components.schemas,
      parameters: {},
    },
    paths,
    webhooks: {},
  };
}
