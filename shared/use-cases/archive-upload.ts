/**
 * Streams a ZIP archive into a file while its entries are written: the upload consumes the
 * archive as it grows (backpressure end to end, flat memory). Used by the organization backup and
 * the subject request report.
 */
import { ZIP_CONTENT_TYPE, type EncryptedZip } from '../formats/encrypted-zip.ts';
import type { Files } from '../ports/files.ts';

/**
 * Uploads `zip` under `key` while `write` adds its entries, then closes it. On a failure the
 * archive is abandoned so the upload aborts, and the upload's own error is thrown when it failed
 * first: the archive's error then only says that its reader went away.
 */
export async function uploadArchive(
  files: Pick<Files, 'upload'>,
  key: string,
  zip: EncryptedZip,
  write: () => Promise<void>,
): Promise<void> {
  const uploading = files.upload(key, zip.output, ZIP_CONTENT_TYPE);
  try {
    await write();
    await zip.close();
  } catch (error) {
    zip.abort(error instanceof Error ? error : new Error(String(error)));
    const uploadError = await uploading.then(
      () => undefined,
      (failure: unknown) => failure,
    );
    throw uploadError ?? error;
  }
  await uploading;
}
