/** Every route of the API. A capability adds its own file here. */
import type { RouteDefinition } from '../route.ts';
import { openApiRoutes } from './openapi.ts';
import { orgRoutes } from './orgs.ts';

export const ROUTES: readonly RouteDefinition[] = [orgRoutes, openApiRoutes].flatMap((group) => Object.values(group));
