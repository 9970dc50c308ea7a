/**
 * The file store (S3) for the functions whose first event seldom needs it: the backup link's and
 * the report link's pages (only a right password or code presigns; the origin their CSP names is
 * derived without the client, adapters/aws/s3-origin.ts), the portability API (only a ready
 * export's or backup's status presigns) and the clean-up cycle (only a run with expired files or an
 * erasure deletes any). The adapter, with `@aws-sdk/client-s3`, lib-storage and the presigner
 * under it (about 150 KB), is loaded by `import()` on the first call; the bucket is still read at
 * cold start.
 *
 * Not in services.ts: esbuild assigns whole files to chunks, so an `import()` of the S3 adapter in
 * the module every function imports would carry the parts of the SDK's shared files that only S3
 * uses into the cold start of every function, file store or not (+27 to +37 KB measured,
 * docs/decisions/0017). Only the functions that store files import this module. The function whose
 * every first event touches a file (the portability worker uploads) keeps files-at-cold-start.ts.
 */
import type { Readable } from 'node:stream';
import { env } from './config.ts';
import { loadedOnFirstUse } from './loaded-on-first-use.ts';
import type { Files } from './ports/files.ts';

let store: Files | undefined;

function onFirstUse(): Files {
  const bucket = env.filesBucket();
  const s3Files = loadedOnFirstUse(async () => {
    const { S3Files } = await import('./adapters/aws/s3-files.ts');
    return new S3Files(undefined, bucket);
  });
  return {
    async upload(key: string, body: Readable, contentType: string) {
      let loaded: Files;
      try {
        loaded = await s3Files.get();
      } catch (error) {
        // As a failed upload does: a producer waiting on the body's back-pressure would wait forever.
        body.destroy();
        throw error;
      }
      return loaded.upload(key, body, contentType);
    },
    presignGet: async (key, seconds, downloadName) =>
      (await s3Files.get()).presignGet(key, seconds, downloadName),
    delete: async (key) => (await s3Files.get()).delete(key),
    deletePrefix: async (prefix) => (await s3Files.get()).deletePrefix(prefix),
    exists: async (key) => (await s3Files.get()).exists(key),
  };
}

/** The file store, created on first call (at cold start, through `atColdStart`) and kept. */
export function filesOnFirstUse(): Files {
  store ??= onFirstUse();
  return store;
}
