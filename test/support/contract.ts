/**
 * The contract check: every recorded answer against the OpenAPI document the service serves,
 * with Ajv (JSON Schema 2020-12, as OpenAPI 3.1 uses) and ajv-formats. An undeclared status, a
 * media type the status does not declare, a missing declared header, a JSON body its schema
 * rejects, and — over a whole run — an operation no test reached are violations.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { ValidateFunction } from 'ajv';
import type { Exchange } from './contract-recorder.ts';

interface MediaType {
  readonly schema?: unknown;
}
interface Response {
  readonly content?: Readonly<Record<string, MediaType>>;
  readonly headers?: Readonly<Record<string, unknown>>;
}
interface Operation {
  readonly responses: Readonly<Record<string, Response>>;
}
export interface OpenApiDocument {
  readonly paths: Readonly<Record<string, Readonly<Record<string, Operation>>>>;
  readonly components?: unknown;
}

const DOCUMENT_ID = 'https://custos.dev/openapi.json';
const pointer = (...segments: string[]): string =>
  segments.map((s) => s.replaceAll('~', '~0').replaceAll('/', '~1')).join('/');
const mediaTypeOf = (contentType: string): string => contentType.split(';')[0]!.trim().toLowerCase();

export interface ContractOptions {
  /** Also report operations that no exchange reached (only meaningful over a whole test run). */
  readonly requireEveryOperation: boolean;
}

export function contractViolations(
  document: OpenApiDocument,
  exchanges: Iterable<Exchange>,
  options: ContractOptions,
): string[] {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  ajv.addSchema({ ...document, $id: DOCUMENT_ID });
  const validators = new Map<string, ValidateFunction>();
  const validatorAt = (ref: string): ValidateFunction => {
    let validate = validators.get(ref);
    if (validate === undefined) {
      validate = ajv.compile({ $ref: `${DOCUMENT_ID}#/${ref}` });
      validators.set(ref, validate);
    }
    return validate;
  };

  const violations = new Map<string, number>();
  const report = (message: string): void => void violations.set(message, (violations.get(message) ?? 0) + 1);
  const reached = new Set<string>();

  for (const exchange of exchanges) {
    const method = exchange.method.toLowerCase();
    const where = `${exchange.method} ${exchange.path} → ${exchange.status}`;
    const operation = document.paths[exchange.path]?.[method];
    if (operation === undefined) {
      report(`${exchange.method} ${exchange.path}: not an operation of the document`);
      continue;
    }
    reached.add(`${exchange.method} ${exchange.path}`);
    const response = operation.responses[String(exchange.status)];
    if (response === undefined) {
      report(`${where}: status not declared`);
      continue;
    }
    for (const header of Object.keys(response.headers ?? {})) {
      if (!exchange.headers.includes(header.toLowerCase()))
        report(`${where}: declared header ${header} missing`);
    }
    const content = response.content ?? {};
    if (!exchange.hasBody) {
      if (Object.keys(content).length > 0)
        report(`${where}: no body, but the status declares ${Object.keys(content).join(', ')}`);
      continue;
    }
    const mediaType = exchange.contentType === undefined ? undefined : mediaTypeOf(exchange.contentType);
    if (mediaType === undefined || content[mediaType] === undefined) {
      report(
        `${where}: media type ${mediaType ?? '(none)'} not declared (declared: ${Object.keys(content).join(', ') || 'no body'})`,
      );
      continue;
    }
    if (exchange.malformedJson === true) {
      report(`${where}: ${mediaType} body that does not parse`);
      continue;
    }
    if (exchange.json === undefined || content[mediaType].schema === undefined) continue;
    const validate = validatorAt(
      pointer(
        'paths',
        exchange.path,
        method,
        'responses',
        String(exchange.status),
        'content',
        mediaType,
        'schema',
      ),
    );
    if (!validate(exchange.json)) {
      const first = validate.errors?.[0];
      report(
        `${where} (${mediaType}): body does not match its schema: ${first?.instancePath || '/'} ${first?.message ?? 'invalid'}`,
      );
    }
  }

  if (options.requireEveryOperation) {
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const method of Object.keys(operations)) {
        const key = `${method.toUpperCase()} ${path}`;
        if (!reached.has(key)) report(`${key}: no test reached this operation`);
      }
    }
  }
  return [...violations].map(([message, count]) => (count > 1 ? `${message} (×${count})` : message)).sort();
}
