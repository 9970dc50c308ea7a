/**
 * What every route's schemas make of a few inputs: its example, an empty object, a wrong type.
 * Computed once in the test process and once inside a bundle built by infra/bundling.ts, so a
 * bundling that changed validation (what tree-shaking keeps of zod/mini, its English locale)
 * shows as a difference; accepted inputs come back as parsed, refused ones as their issues.
 */
import { safeParse } from 'zod/mini';
import type { RouteDefinition } from '../../shared/api/route.ts';

const INPUTS: Readonly<Record<string, (route: RouteDefinition) => unknown>> = {
  example: (route) => route.example,
  empty: () => ({}),
  wrongType: () => 42,
};

export function schemaOutcomes(routes: readonly RouteDefinition[]): Record<string, unknown> {
  const outcomes: Record<string, unknown> = {};
  for (const route of routes) {
    const schemas = { params: route.params, query: route.query, body: route.body, response: route.response };
    for (const [part, schema] of Object.entries(schemas)) {
      if (schema === undefined) continue;
      for (const [name, input] of Object.entries(INPUTS)) {
        const result = safeParse(schema, input(route));
        outcomes[`${route.operationId} ${part} ${name}`] = result.success
          ? { data: result.data }
          : { issues: result.error.issues.map(({ code, path, message }) => ({ code, path, message })) };
      }
    }
  }
  return JSON.parse(JSON.stringify(outcomes)) as Record<string, unknown>;
}
