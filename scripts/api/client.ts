/**
 * The typed client of the Custos API: openapi-fetch over the types that `npm run api:generate`
 * derives from the route table. JSON in and out (problems included); the few answers of another
 * media type (CSV, JSON lines, the download page) are read with `parseAs: 'text'`.
 */
import createClient, { type Client, type ClientOptions } from 'openapi-fetch';
import type { paths } from './openapi-types.ts';

export type { components, operations, paths } from './openapi-types.ts';

/** The media types the typed answers cover. */
export type JsonMediaType = 'application/json' | 'application/problem+json';

export type CustosClient = Client<paths, JsonMediaType>;

export function createCustosClient(
  baseUrl: string,
  options: Omit<ClientOptions, 'baseUrl'> = {},
): CustosClient {
  return createClient<paths, JsonMediaType>({ ...options, baseUrl });
}
