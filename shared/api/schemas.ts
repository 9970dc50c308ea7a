/** Building blocks shared by the route schemas. */
// A namespace import (not `{ z }`) lets the bundler drop what no schema uses, zod's locales above all.
// Schema names and descriptions for the OpenAPI document go through zod's own `.meta()`.
import * as z from 'zod';

/** A server-generated id (ULID). A malformed id in a path is treated as unknown (404). */
export const id = z.string().regex(/^[0-9A-HJKMNP-TV-Z]{26}$/, 'Not a valid id');

/**
 * No control characters: the ranges of Unicode's Cc category (C0, DEL, C1) spelled out, so the
 * pattern means the same with or without the `u` flag; the OpenAPI document carries it without
 * flags (ECMA-262), as validators and generated clients read it.
 */
const NO_CONTROL_CHARACTERS = /^[^\u0000-\u001F\u007F-\u009F]*$/;

/** A name or label: trimmed, non-empty, bounded, no control characters. */
export const label = (max = 200) =>
  z.string().trim().min(1).max(max).regex(NO_CONTROL_CHARACTERS, 'Control characters are not allowed');

export const email = z.string().trim().max(254).pipe(z.email());

/** A user id as the identity provider issues it (Cognito `sub`, directory ids). */
export const userId = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9._:@|+-]+$/, 'Not a valid user id');

export const listQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().min(1).max(2048).optional(),
});

export const pageOf = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), nextCursor: z.string().nullable() });

export { z };
