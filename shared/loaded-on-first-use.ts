/**
 * A dependency loaded by `import()` on its first use, so that a function's cold start does not
 * read the module (nor the AWS client under it) when its first event does not need it. The
 * bundler puts into the cold start every module a statically imported one reaches: a module that
 * calls this must import the loaded one only through `load`. A load that failed is asked again on
 * the next call; a chunk that was found but threw while evaluating stays failed in Node's module
 * cache until the next cold start (a missing or unreadable chunk is read again).
 */
export interface LoadedOnFirstUse<T> {
  get(): Promise<T>;
  /** The loaded value, once a `get()` has resolved. */
  readonly loaded: T | undefined;
}

export function loadedOnFirstUse<T>(load: () => Promise<T>): LoadedOnFirstUse<T> {
  let loading: Promise<T> | undefined;
  let loaded: T | undefined;
  return {
    get() {
      loading ??= load().then(
        (value) => (loaded = value),
        (error: unknown) => {
          loading = undefined;
          throw error;
        },
      );
      return loading;
    },
    get loaded() {
      return loaded;
    },
  };
}
