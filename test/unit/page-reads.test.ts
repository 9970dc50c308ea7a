import type { PagePosition } from '../../shared/ports/page.ts';
import { pageReadsOf, pagesOf, type PortPage } from '../../shared/use-cases/pages.ts';

/** A paged port over `pages` of a list that a test may change meanwhile; it records each read's start. */
function pagedPort(pages: string[][]) {
  const starts: (string | undefined)[] = [];
  const read = async (after: { startKey?: PagePosition }): Promise<PortPage<string>> => {
    const at = after.startKey === undefined ? 0 : Number((after.startKey as unknown as { i: number }).i);
    starts.push(after.startKey === undefined ? undefined : String(at));
    const next = at + 1 < pages.length ? ({ i: at + 1 } as unknown as PagePosition) : undefined;
    return { items: [...pages[at]!], ...(next === undefined ? {} : { lastKey: next }) };
  };
  return { read, starts };
}

test('pagesOf reads every page once, first to last, each from where the last one ended', async () => {
  // Prepare
  const port = pagedPort([['a', 'b'], ['c'], ['d']]);

  // Act
  const seen: string[][] = [];
  for await (const items of pagesOf(port.read)) seen.push(items);

  // Assess
  expect(seen).toEqual([['a', 'b'], ['c'], ['d']]);
  expect(port.starts).toEqual([undefined, '1', '2']);
});

test('a page read again answers what it holds now, from the same position, and the read goes on after it', async () => {
  // Prepare
  const pages = [['a', 'b'], ['c']];
  const port = pagedPort(pages);

  // Act
  const seen: string[][] = [];
  for await (const page of pageReadsOf(port.read)) {
    seen.push(page.items);
    if (page.items.includes('a')) {
      pages[0] = ['a2', 'b'];
      seen.push(await page.again());
    }
  }

  // Assess
  expect(seen).toEqual([['a', 'b'], ['a2', 'b'], ['c']]);
  expect(port.starts).toEqual([undefined, undefined, '1']);
});

test('pages are read only as they are asked for, and the last one says so', async () => {
  // Prepare
  const port = pagedPort([['a'], ['b'], ['c']]);

  // Act: stop after the first page, as a consumer whose time budget ran out does.
  const lasts: boolean[] = [];
  for await (const page of pageReadsOf(port.read)) {
    lasts.push(page.last);
    break;
  }
  for await (const page of pageReadsOf(pagedPort([['x'], ['y']]).read)) lasts.push(page.last);

  // Assess
  expect(port.starts).toEqual([undefined]);
  expect(lasts).toEqual([false, false, true]);
});
