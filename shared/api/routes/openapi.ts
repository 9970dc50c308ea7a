import type { RouteDefinition } from '../route.ts';

export const openApiRoutes = {
  document: { method: 'GET', path: '/v1/openapi.json', fn: 'openapi', tag: 'Meta', summary: 'This OpenAPI document', auth: 'none', status: 200 },
} as const satisfies Record<string, RouteDefinition>;
