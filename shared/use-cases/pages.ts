/** The one paging loop of the use cases: every page of a paged port read, first to last. */
import type { PagePosition } from '../ports/page.ts';

export interface PortPage<T> {
  readonly items: T[];
  readonly lastKey?: PagePosition;
}

/** Reads page after page, each from where the last one ended, until a page ends the read. */
export async function* pagesOf<T>(
  read: (after: { startKey?: PagePosition }) => Promise<PortPage<T>>,
): AsyncGenerator<T[]> {
  let startKey: PagePosition | undefined;
  do {
    const page = await read(startKey === undefined ? {} : { startKey });
    yield page.items;
    startKey = page.lastKey;
  } while (startKey !== undefined);
}
