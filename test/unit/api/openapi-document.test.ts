/**
 * The OpenAPI document is a client's source of truth (API.md, Conventions): what a generated client
 * or validator reads from it must mean what the service does.
 */
import { describe, expect, test } from '@jest/globals';
import { safeParse } from 'zod/mini';
import { buildOpenApiDocument } from '../../../shared/api/openapi.ts';
import { routeKey } from '../../../shared/api/route.ts';
import { ROUTES } from '../../../shared/api/routes/index.ts';
import { label } from '../../../shared/api/schemas.ts';

interface Operation {
  readonly operationId?: string;
  readonly security?: readonly unknown[];
  readonly responses: Readonly<Record<string, unknown>>;
}

const document = buildOpenApiDocument() as {
  paths: Record<string, Record<string, Operation>>;
  servers?: unknown[];
};

function* patternsIn(value: unknown): Generator<string> {
  if (Array.isArray(value)) for (const item of value) yield* patternsIn(item);
  else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (key === 'pattern' && typeof item === 'string') yield item;
      else yield* patternsIn(item);
    }
  }
}

const operationOf = (route: (typeof ROUTES)[number]): Operation => {
  const operation = document.paths[route.path]?.[route.method.toLowerCase()];
  if (operation === undefined) throw new Error(`${routeKey(route)} is not in the document`);
  return operation;
};

describe('the OpenAPI document', () => {
  test('every operationId is unique, a verb then a noun in camelCase, and the one its route declares', () => {
    // Act
    const ids = ROUTES.map((route) => operationOf(route).operationId);

    // Assess
    expect(new Set(ids).size).toBe(ROUTES.length);
    for (const id of ids) expect(id).toMatch(/^[a-z]+(?:[A-Z][a-z0-9]*)+$/);
    expect(ids).toEqual(ROUTES.map((route) => route.operationId));
  });

  test('every pattern is an ECMA-262 regex that compiles without flags, and means the same without them', () => {
    // Prepare
    const patterns = [...new Set(patternsIn(document))];

    // Assess
    expect(patterns.length).toBeGreaterThan(0);
    for (const pattern of patterns) {
      expect(pattern).not.toMatch(/\/[dgimsuvy]*$/);
      expect(() => new RegExp(pattern)).not.toThrow();
      expect(() => new RegExp(pattern, 'u')).not.toThrow();
    }
  });

  test.each([
    ['Acme', true],
    ['Zoë’s Café 🚲', true],
    ['tab\there', false],
    ['bell\u0007', false],
    ['C1\u0085control', false],
    ['del\u007F', false],
  ])(
    'the label rule accepts %j: %s, as its serialised pattern does with and without the u flag',
    (text, allowed) => {
      // Prepare: the pattern labels carry in the document.
      const serialised = [...patternsIn(document)].find((pattern) => pattern.includes('\\u0000'));
      if (serialised === undefined) throw new Error('No label pattern in the document');

      // Assess
      expect(label().safeParse(text).success).toBe(allowed);
      expect(new RegExp(serialised).test(text)).toBe(allowed);
      expect(new RegExp(serialised, 'u').test(text)).toBe(allowed);
    },
  );

  test('public routes say security: [], the others require the bearer token', () => {
    for (const route of ROUTES)
      expect(operationOf(route).security).toEqual(route.auth === 'none' ? [] : [{ bearer: [] }]);
  });

  test('the document names its server', () => {
    expect(document.servers).toEqual([expect.objectContaining({ url: '/' })]);
  });

  test.each(
    ROUTES.filter((route) => route.example !== undefined).map((route) => [routeKey(route), route] as const),
  )('the example body of %s is one its schema accepts', (_, route) => {
    expect(route.body && safeParse(route.body, route.example).error).toBeUndefined();
  });

  test('every route with a JSON body shows an example', () => {
    const without = ROUTES.filter(
      (route) => route.body !== undefined && route.bodyEncoding !== 'form' && route.example === undefined,
    ).map(routeKey);
    expect(without).toEqual([]);
  });
});
