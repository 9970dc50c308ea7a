/** Serves the OpenAPI document, built once per instance from the route table (deployed bundles build it when bundled: infra/bundling.ts). */
import { openApiRoutes } from '../../shared/api/routes/openapi.ts';
import { buildOpenApiDocument } from '../../shared/api/openapi.ts';
import { apiHandler } from '../../shared/http/api-handler.ts';
import { ok } from '../../shared/http/http-result.ts';
import { operation } from '../../shared/http/operation.ts';

let document: object | undefined;

export const operations = [
  operation(openApiRoutes.document, async () => ok((document ??= buildOpenApiDocument()))),
];

export const handler = apiHandler('openapi', operations);
