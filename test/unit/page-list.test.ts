import { BadCursorError } from '../../shared/domain/errors.ts';
import { Cursors, cursorScope } from '../../shared/domain/cursor.ts';
import { pageList } from '../../shared/use-cases/page-list.ts';

const cursors = new Cursors('s'.repeat(32));
const scope = cursorScope('listMembers', 'user-1', 'orgId', 'org-1');
const items = ['delta', 'alpha', 'echo', 'charlie', 'bravo'].map((name) => ({ name }));

test('pages follow the sealed cursor in key order, without repeats, to a null cursor', () => {
  // Act
  const seen: string[] = [];
  let next: string | undefined;
  let pages = 0;
  do {
    const page = pageList(items, (i) => i.name, { limit: 2, cursor: next }, cursors, scope);
    seen.push(...page.items.map((i) => i.name));
    next = page.nextCursor ?? undefined;
    pages += 1;
  } while (next !== undefined);
  // Assess
  expect(seen).toEqual(['alpha', 'bravo', 'charlie', 'delta', 'echo']);
  expect(pages).toBe(3);
});

test('a page that ends the list has no next cursor', () => {
  expect(pageList(items, (i) => i.name, { limit: 5 }, cursors, scope).nextCursor).toBeNull();
  expect(pageList(items, (i) => i.name, { limit: 4 }, cursors, scope).nextCursor).not.toBeNull();
});

test.each([
  ['another list', cursors, cursorScope('listRoles', 'user-1', 'orgId', 'org-1')],
  ['another caller', cursors, cursorScope('listMembers', 'user-2', 'orgId', 'org-1')],
  ['another organization', cursors, cursorScope('listMembers', 'user-1', 'orgId', 'org-2')],
  ['parts that only concatenate alike', cursors, cursorScope('listMembers', 'user-1', 'orgIdorg-1')],
  ['another secret', new Cursors('t'.repeat(32)), scope],
])('a cursor is refused by %s', (_name, otherCursors, otherScope) => {
  const { nextCursor } = pageList(items, (i) => i.name, { limit: 1 }, cursors, scope);
  expect(() =>
    pageList(items, (i) => i.name, { limit: 1, cursor: nextCursor! }, otherCursors, otherScope),
  ).toThrow(BadCursorError);
});

test('a garbled cursor is refused', () => {
  expect(() => pageList(items, (i) => i.name, { limit: 1, cursor: 'garbage' }, cursors, scope)).toThrow(
    BadCursorError,
  );
});
