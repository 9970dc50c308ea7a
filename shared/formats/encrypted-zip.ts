/**
 * Streaming password-protected ZIP for backups. Every entry is encrypted with WinZip AES-256,
 * AE-2 (compression method 99, extra field 0x9901 with vendor version 2 and strength 3): AE-2
 * stores no CRC of the plaintext, so the archive discloses nothing about the content. zip.js
 * writes AE-2 whenever it encrypts itself (it marks AE-1 only for entries copied verbatim from an
 * archive that already published a CRC), which test/unit/formats/encrypted-zip.test.ts checks in
 * the bytes. Entries are deflated before encryption and written one after the other straight to
 * `output` (no buffered write), with backpressure end to end: memory stays flat whatever the size.
 * The web streams are Node's globals, which load on first use, not an import of node:stream/web:
 * that import loads all of Node's web stream modules while the function loads (about 10 ms alone on
 * Node 24), and only an archive being written needs them.
 */
import { Readable } from 'node:stream';
import type { ZipWriter } from '@zip.js/zip.js';
import { ValidationError } from '../domain/errors.ts';

export const ZIP_CONTENT_TYPE = 'application/zip';

let zipJs: Promise<typeof import('@zip.js/zip.js')> | undefined;

/**
 * zip.js is loaded on first use: only backups write archives, and as a chunk of its own it stays
 * out of the cold start of every function that imports this module.
 */
function loadZipJs(): Promise<typeof import('@zip.js/zip.js')> {
  zipJs ??= import('@zip.js/zip.js').then((zip) => {
    // Node has no Web Workers; compression runs on the native CompressionStream in this thread.
    zip.configure({ useWebWorkers: false });
    return zip;
  });
  return zipJs;
}

export type EntryContent = AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string> | Readable;

export interface EncryptedZip {
  /** The archive bytes. Start consuming it (e.g. an upload) before adding entries: it applies backpressure. */
  readonly output: Readable;
  /** Streams one entry in; call again only after the previous call resolved. */
  addEntry(name: string, content: EntryContent): Promise<void>;
  /** Writes the central directory and ends `output`. */
  close(): Promise<void>;
  /** Abandons the archive: `output` fails with `error`, so an upload reading it aborts. */
  abort(error: Error): void;
}

/** Relative names made of plain segments only, so extracting can never write outside its folder. */
function assertSafeEntryName(name: string): void {
  const segments = name.split('/');
  const safe =
    name.length > 0 &&
    name.length <= 255 &&
    !name.includes('\\') &&
    !/[\u0000-\u001F]/.test(name) &&
    segments.every((segment) => segment !== '' && segment !== '.' && segment !== '..');
  if (!safe) throw new ValidationError('A ZIP entry name must be a relative path of plain segments');
}

async function* asBytes(
  content: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>,
): AsyncGenerator<Uint8Array> {
  const encoder = new TextEncoder();
  for await (const chunk of content) yield typeof chunk === 'string' ? encoder.encode(chunk) : chunk;
}

function toWebStream(content: EntryContent): ReadableStream<Uint8Array> {
  if (content instanceof Readable) return Readable.toWeb(content) as ReadableStream<Uint8Array>;
  return ReadableStream.from(asBytes(content));
}

export function createEncryptedZip(password: string): EncryptedZip {
  if (password.length === 0) throw new ValidationError('A backup password is required');
  return streamingZip(password);
}

/**
 * The same streaming archive without a password, for the report of a data subject request: the
 * subject has no password to give; the report is reached only through its emailed link and a
 * fresh one-time code (use-cases/request-report-link.ts), and S3 encrypts it at rest.
 */
export function createPlainZip(): EncryptedZip {
  return streamingZip(undefined);
}

function streamingZip(password: string | undefined): EncryptedZip {
  const pipe = new TransformStream<Uint8Array, Uint8Array>();
  const output = Readable.fromWeb(pipe.readable);
  const writer: Promise<ZipWriter<unknown>> = loadZipJs().then(
    ({ ZipWriter }) =>
      new ZipWriter(pipe.writable, {
        ...(password === undefined ? {} : { password, encryptionStrength: 3, zipCrypto: false }),
        // Sizes are unknown while streaming; Zip64 from the start keeps entries over 4 GiB possible.
        zip64: true,
        bufferedWrite: false,
      }),
  );
  // A failed load surfaces in addEntry/close; an archive aborted before either must not leave it unhandled.
  writer.catch(() => undefined);
  let busy = false;
  let closed = false;

  const fail = (error: unknown): never => {
    const reason = error instanceof Error ? error : new Error(String(error));
    if (!output.destroyed) output.destroy(reason);
    throw reason;
  };

  return {
    output,
    async addEntry(name, content) {
      assertSafeEntryName(name);
      if (busy || closed)
        throw new Error(closed ? 'The archive is closed' : 'Entries are added one at a time');
      busy = true;
      try {
        await (await writer).add(name, toWebStream(content), { lastModDate: new Date() });
      } catch (error) {
        fail(error);
      } finally {
        busy = false;
      }
    },
    async close() {
      if (busy) throw new Error('An entry is still being written');
      closed = true;
      try {
        await (await writer).close();
      } catch (error) {
        fail(error);
      }
    },
    abort(error) {
      closed = true;
      output.destroy(error);
    },
  };
}
