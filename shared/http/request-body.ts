/**
 * Request bodies: size limit before parsing (413), JSON only (415), malformed JSON (400), and no
 * prototype-pollution keys or absurd nesting reaching a schema.
 */
import { PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from '../domain/errors.ts';

export const MAX_BODY_BYTES = 1024 * 1024;
const MAX_DEPTH = 32;
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

export function rawBody(body: string | undefined, isBase64Encoded: boolean): string | undefined {
  if (body === undefined || body === '') return undefined;
  const bytes = isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8');
  if (bytes.byteLength > MAX_BODY_BYTES) throw new PayloadTooLargeError(MAX_BODY_BYTES);
  return bytes.toString('utf8');
}

function checkShape(value: unknown, depth: number): void {
  if (depth > MAX_DEPTH) throw new ValidationError(`JSON nested deeper than ${MAX_DEPTH} levels`);
  if (value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    for (const item of value) checkShape(item, depth + 1);
    return;
  }
  for (const [key, item] of Object.entries(value)) {
    if (FORBIDDEN_KEYS.has(key))
      throw new ValidationError('Invalid input', [{ path: key, message: 'This key is not allowed' }]);
    checkShape(item, depth + 1);
  }
}

export function parseJsonBody(text: string | undefined, contentType: string | undefined): unknown {
  if (text === undefined) return undefined;
  if (!/^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(contentType ?? ''))
    throw new UnsupportedMediaTypeError();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ValidationError('The body is not valid JSON');
  }
  checkShape(parsed, 0);
  return parsed;
}

export function parseFormBody(
  text: string | undefined,
  contentType: string | undefined,
): Record<string, string> {
  if (!/^application\/x-www-form-urlencoded\s*(?:;|$)/i.test(contentType ?? ''))
    throw new UnsupportedMediaTypeError();
  const form: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(text ?? '')) {
    if (!FORBIDDEN_KEYS.has(key)) form[key] = value;
  }
  return form;
}
