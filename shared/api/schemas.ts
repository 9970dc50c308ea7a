/**
 * Building blocks shared by the route schemas, and the `z` they are written with: zod/mini, whose
 * functions the bundler can drop when no schema calls them (docs/decisions/0017 says how to write
 * a schema). Names and descriptions for the OpenAPI document go through `.check(z.meta(…))`.
 */
import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';

// zod/mini loads no messages; answers keep the English ones zod classic gave ("Too small: …").
z.config(en());

/** A server-generated id (ULID). A malformed id in a path is treated as unknown (404). */
export const id = z.string().check(z.regex(/^[0-9A-HJKMNP-TV-Z]{26}$/, 'Not a valid id'));

/**
 * No control characters: the ranges of Unicode's Cc category (C0, DEL, C1) spelled out, so the
 * pattern means the same with or without the `u` flag; the OpenAPI document carries it without
 * flags (ECMA-262), as validators and generated clients read it.
 */
const NO_CONTROL_CHARACTERS = /^[^\u0000-\u001F\u007F-\u009F]*$/;

/** A name or label: trimmed, non-empty, bounded, no control characters. */
export const label = (max = 200) =>
  z
    .string()
    .check(
      z.trim(),
      z.minLength(1),
      z.maxLength(max),
      z.regex(NO_CONTROL_CHARACTERS, 'Control characters are not allowed'),
    );

export const email = z.pipe(z.string().check(z.trim(), z.maxLength(254)), z.email());

/** A user id as the identity provider issues it (Cognito `sub`, directory ids). */
export const userId = z
  .string()
  .check(z.minLength(1), z.maxLength(128), z.regex(/^[A-Za-z0-9._:@|+-]+$/, 'Not a valid user id'));

export const listQuery = z.strictObject({
  limit: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(100)), 50),
  cursor: z.optional(z.string().check(z.minLength(1), z.maxLength(2048))),
});

export const pageOf = <T extends z.ZodMiniType>(item: T) =>
  z.object({ items: z.array(item), nextCursor: z.nullable(z.string()) });
