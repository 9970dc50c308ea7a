import type { RouteDefinition } from '../route.ts';

export const openApiRoutes: readonly RouteDefinition[] = [
  { method: 'GET', path: '/v1/openapi.json', fn: 'openapi', tag: 'Meta', summary: 'This OpenAPI document', auth: 'none', status: 200 },
];
