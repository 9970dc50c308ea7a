import { BadCursorError } from '../../shared/domain/errors.ts';
import { pageList } from '../../shared/use-cases/page-list.ts';

const SECRET = 's'.repeat(32);
const cursor = { secret: SECRET, scope: 'members/org-1/user-1' };
const items = ['delta', 'alpha', 'echo', 'charlie', 'bravo'].map((name) => ({ name }));

test('pages follow the sealed cursor in key order, without repeats, to a null cursor', () => {
  // Act
  const seen: string[] = [];
  let next: string | undefined;
  let pages = 0;
  do {
    const page = pageList(items, (i) => i.name, { limit: 2, cursor: next }, cursor);
    seen.push(...page.items.map((i) => i.name));
    next = page.nextCursor ?? undefined;
    pages += 1;
  } while (next !== undefined);
  // Assess
  expect(seen).toEqual(['alpha', 'bravo', 'charlie', 'delta', 'echo']);
  expect(pages).toBe(3);
});

test('a page that ends the list has no next cursor', () => {
  expect(pageList(items, (i) => i.name, { limit: 5 }, cursor).nextCursor).toBeNull();
  expect(pageList(items, (i) => i.name, { limit: 4 }, cursor).nextCursor).not.toBeNull();
});

test.each([
  ['another list', { secret: SECRET, scope: 'roles/org-1/user-1' }],
  ['another caller', { secret: SECRET, scope: 'members/org-1/user-2' }],
  ['another secret', { secret: 't'.repeat(32), scope: cursor.scope }],
])('a cursor is refused by %s', (_name, other) => {
  const { nextCursor } = pageList(items, (i) => i.name, { limit: 1 }, cursor);
  expect(() => pageList(items, (i) => i.name, { limit: 1, cursor: nextCursor! }, other)).toThrow(BadCursorError);
});

test('a garbled cursor is refused', () => {
  expect(() => pageList(items, (i) => i.name, { limit: 1, cursor: 'garbage' }, cursor)).toThrow(BadCursorError);
});
