/**
 * Where a paged read continues. Opaque to everyone but the adapter that answered it: a caller
 * hands it back for the next page, or seals it into a cursor (`Cursors` in domain/cursor.ts),
 * and never reads or builds one. (It is a storage key, which names partitions.)
 */
declare const pagePositionBrand: unique symbol;
export type PagePosition = Readonly<Record<string, unknown>> & { readonly [pagePositionBrand]: true };
