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

export function s3(): S3Client {
  // Path-style addressing works with every S3 endpoint, the local emulator included.
  client ??= withClientPlugins(
    new S3Client({ region: env.region(), forcePathStyle: process.env.S3_FORCE_PATH_STYLE === 'true' }),
  );
  return client;
}
