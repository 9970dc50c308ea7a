/** The one paging loop of the use cases: every page of a paged port read, first to last. */
import type { PagePosition } from '../ports/page.ts';

export interface PortPage<T> {
  readonly items: T[];
  readonly lastKey?: PagePosition;
}

/** One page of `pageReadsOf`: its items, whether another follows, and the same page read again. */
export interface PageRead<T> {
  readonly items: T[];
  /** No page follows this one (so a consumer on a time budget knows whether it stops early). */
  readonly last: boolean;
  /**
   * Reads this page again from the same position and answers what it holds now (a batch written
   * from it lost a race); the read goes on from where this fresh read ended.
   */
  again(): Promise<T[]>;
}

/**
 * Reads page after page, each from where the last one ended, until a page ends the read. Pages
 * are read as they are asked for, so a consumer that stops (a spent time budget) reads no more.
 */
export async function* pageReadsOf<T>(
  read: (after: { startKey?: PagePosition }) => Promise<PortPage<T>>,
): AsyncGenerator<PageRead<T>> {
  let startKey: PagePosition | undefined;
  do {
    const after = startKey === undefined ? {} : { startKey };
    let page = await read(after);
    yield {
      items: page.items,
      get last() {
        return page.lastKey === undefined;
      },
      async again() {
        page = await read(after);
        return page.items;
      },
    };
    startKey = page.lastKey;
  } while (startKey !== undefined);
}

/** The items of every page, first to last. */
export async function* pagesOf<T>(
  read: (after: { startKey?: PagePosition }) => Promise<PortPage<T>>,
): AsyncGenerator<T[]> {
  for await (const page of pageReadsOf(read)) yield page.items;
}
