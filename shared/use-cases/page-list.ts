/**
 * Pages of a bounded collection that is read whole — an organization's members, roles,
 * orchestrations and extensions, a user's organizations — so every list of the API answers
 * `{items, nextCursor}` with `limit` and a sealed cursor. Items are ordered by a stable, unique
 * key; the cursor names the last key given out and is bound to its list and caller (a cursor of
 * another list or user is a 400).
 */
import { BadCursorError } from '../domain/errors.ts';
import type { Cursors, CursorScope } from '../domain/cursor.ts';

export interface PageRequest {
  readonly limit: number;
  readonly cursor?: string | undefined;
}

export interface ListPage<T> {
  readonly items: T[];
  readonly nextCursor: string | null;
}

export function pageList<T>(
  items: readonly T[],
  keyOf: (item: T) => string,
  request: PageRequest,
  cursors: Cursors,
  scope: CursorScope,
): ListPage<T> {
  const sorted = [...items].sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
  let start = 0;
  if (request.cursor !== undefined) {
    const { after } = cursors.open(scope, request.cursor);
    if (typeof after !== 'string') throw new BadCursorError();
    start = sorted.findIndex((item) => keyOf(item) > after);
    if (start < 0) start = sorted.length;
  }
  const page = sorted.slice(start, start + request.limit);
  const last = page.at(-1);
  const more = start + request.limit < sorted.length;
  return {
    items: page,
    nextCursor: more && last !== undefined ? cursors.seal(scope, { after: keyOf(last) }) : null,
  };
}
