/**
 * The S3 client, created once per cold start like those of clients.ts, in a module of its own:
 * most of the functions that store files reach it only through `import()` when they first touch a
 * file (shared/files-on-first-use.ts). A module their cold start reads must not import it, or the
 * bundler would put the client back into that cold start.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { env } from '../../config.ts';
import { withClientPlugins } from './client-plugins.ts';

let client: S3Client | undefined;

/** A client configured as the adapters' one (s3-origin.test.ts derives its URLs' origin against it). */
export function newS3Client(): S3Client {
  // Path-style addressing works with every S3 endpoint, the local emulator included.
  return withClientPlugins(new S3Client({ region: env.region(), forcePathStyle: env.s3ForcePathStyle() }));
}

export function s3(): S3Client {
  client ??= newS3Client();
  return client;
}
