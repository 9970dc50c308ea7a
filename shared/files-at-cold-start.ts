/**
 * The file store (S3), created at cold start, for the function whose every first event touches a
 * file: the portability worker uploads what it builds. Loading the client on first use would only
 * move its cost into that first event. A module of its own, not in services.ts, for the reason
 * files-on-first-use.ts gives.
 */
import { S3Files } from './adapters/aws/s3-files.ts';
import type { Files } from './ports/files.ts';

let store: Files | undefined;

export function filesAtColdStart(): Files {
  store ??= new S3Files();
  return store;
}
