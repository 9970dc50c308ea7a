import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { randomBytes } from 'node:crypto';
import { TextWriter, Uint8ArrayReader, ZipReader, type Entry, type FileEntry } from '@zip.js/zip.js';
import { createEncryptedZip } from '../../../shared/formats/encrypted-zip.ts';
import { writeCsv } from '../../../shared/formats/csv.ts';
import { stalledAt } from './stall.ts';

const PASSWORD = 'correct horse battery staple';
const ORGANIZATION_JSON = JSON.stringify({ name: 'Acme Ltd', createdAt: '2026-01-01T00:00:00.000Z' });
const CSV_ROWS = Array.from({ length: 2000 }, (_, index) => ({ name: `Customer ${index}`, amount: index }));

/** A backup-shaped archive: a JSON entry from strings, a CSV entry from a Node stream. */
async function backupZip(): Promise<Buffer> {
  const zip = createEncryptedZip(PASSWORD);
  const bytes = buffer(zip.output);
  await zip.addEntry('organization.json', [ORGANIZATION_JSON]);
  await zip.addEntry(
    'jobs/jobs.csv',
    writeCsv(
      [
        { key: 'name', label: 'Name', kind: 'text' },
        { key: 'amount', label: 'Amount', kind: 'number' },
      ],
      CSV_ROWS,
    ),
  );
  await zip.close();
  return bytes;
}

const expectedCsv = `\uFEFFName,Amount\r\n${CSV_ROWS.map((row) => `${row.name},${row.amount}\r\n`).join('')}`;

interface AesExtraField {
  readonly vendorVersion: number;
  readonly vendorId: string;
  readonly strength: number;
  readonly actualMethod: number;
}

interface LocalHeader {
  readonly name: string;
  readonly flags: number;
  readonly method: number;
  readonly crc32: number;
  readonly aes: AesExtraField | undefined;
}

/** Reads a local file header (APPNOTE 4.3.7) and its WinZip AES extra field (0x9901), if any. */
function localHeaderAt(zip: Buffer, offset: number): LocalHeader {
  expect(zip.readUInt32LE(offset)).toBe(0x04034b50);
  const nameLength = zip.readUInt16LE(offset + 26);
  const extraLength = zip.readUInt16LE(offset + 28);
  const name = zip.subarray(offset + 30, offset + 30 + nameLength).toString('utf8');
  let aes: AesExtraField | undefined;
  for (let at = offset + 30 + nameLength, end = at + extraLength; at < end;) {
    const id = zip.readUInt16LE(at);
    const size = zip.readUInt16LE(at + 2);
    if (id === 0x9901) {
      aes = {
        vendorVersion: zip.readUInt16LE(at + 4),
        vendorId: zip.subarray(at + 6, at + 8).toString('latin1'),
        strength: zip.readUInt8(at + 8),
        actualMethod: zip.readUInt16LE(at + 9),
      };
    }
    at += 4 + size;
  }
  return {
    name,
    flags: zip.readUInt16LE(offset + 6),
    method: zip.readUInt16LE(offset + 8),
    crc32: zip.readUInt32LE(offset + 14),
    aes,
  };
}

function sevenZip(args: string[]): { status: number | null; stdout: Buffer } {
  const result = spawnSync('7z', args, { input: '', maxBuffer: 64 * 1024 * 1024 });
  if (result.error)
    throw new Error(`7z is required (Debian: apt-get install -y p7zip-full): ${result.error.message}`);
  return { status: result.status, stdout: result.stdout };
}

describe('createEncryptedZip', () => {
  let zip: Buffer;
  let dir: string;
  let file: string;

  beforeAll(async () => {
    zip = await backupZip();
    dir = mkdtempSync(join(tmpdir(), 'custos-zip-'));
    file = join(dir, 'backup.zip');
    writeFileSync(file, zip);
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('marks every entry WinZip AES-256 AE-2: method 99, extra field 0x9901 vendor version 2, strength 3, no CRC', async () => {
    // Act
    const reader = new ZipReader(new Uint8ArrayReader(zip));
    const entries = await reader.getEntries();
    await reader.close();
    const headers = entries.map((entry) =>
      localHeaderAt(zip, (entry as { offset?: number }).offset ?? Number.NaN),
    );

    // Assess
    expect(headers.map((header) => header.name)).toEqual(['organization.json', 'jobs/jobs.csv']);
    for (const header of headers) {
      expect(header.flags & 0x1).toBe(1);
      expect(header.method).toBe(99);
      expect(header.aes).toEqual({ vendorVersion: 2, vendorId: 'AE', strength: 3, actualMethod: 8 });
      expect(header.crc32).toBe(0);
    }
  });

  test('opens with the password in 7-Zip, with the content intact', () => {
    // Act
    const listing = sevenZip(['l', '-slt', `-p${PASSWORD}`, file]);
    const json = sevenZip(['x', '-so', `-p${PASSWORD}`, file, 'organization.json']);
    const csv = sevenZip(['x', '-so', `-p${PASSWORD}`, file, 'jobs/jobs.csv']);

    // Assess
    expect(listing.status).toBe(0);
    expect(listing.stdout.toString()).toMatch(/Method = AES-256 Deflate/);
    expect(json.status).toBe(0);
    expect(json.stdout.toString('utf8')).toBe(ORGANIZATION_JSON);
    expect(csv.status).toBe(0);
    expect(csv.stdout.toString('utf8')).toBe(expectedCsv);
  });

  test.each([
    ['a wrong password', ['-pnot the right password']],
    ['no password', []],
  ])('does not open in 7-Zip with %s', (_, passwordArgs) => {
    const result = sevenZip(['x', '-so', ...passwordArgs, file, 'organization.json']);
    expect(result.status).not.toBe(0);
    expect(result.stdout.toString()).not.toContain('Acme');
  });

  test('reads back with zip.js with the password, and refuses a wrong one', async () => {
    // Prepare
    const reader = new ZipReader(new Uint8ArrayReader(zip));
    const isFile = (entry: Entry | undefined): entry is FileEntry => entry !== undefined && !entry.directory;
    const [json, csv] = await reader.getEntries();
    if (!isFile(json) || !isFile(csv)) throw new Error('entries missing');

    // Act / Assess
    await expect(json.getData(new TextWriter(), { password: PASSWORD })).resolves.toBe(ORGANIZATION_JSON);
    await expect(csv.getData(new TextWriter(), { password: PASSWORD })).resolves.toBe(expectedCsv.slice(1));
    await expect(json.getData(new TextWriter(), { password: 'not the right password' })).rejects.toThrow(
      /password/i,
    );
    await reader.close();
  });

  test('rejects entry names that could escape the extraction folder', async () => {
    const archive = createEncryptedZip(PASSWORD);
    archive.output.resume();
    for (const name of ['../evil', '/etc/passwd', 'a/../../b', 'a\\b', '']) {
      await expect(archive.addEntry(name, ['x'])).rejects.toThrow('relative path');
    }
    await archive.close();
  });

  test('stops pulling entry content while the reader of the archive is behind', async () => {
    // Prepare: an endless, incompressible entry, and a reader that takes 4 MiB then stops reading.
    let pulledBytes = 0;
    let readBytes = 0;
    async function* endless(): AsyncGenerator<Uint8Array> {
      for (;;) {
        const chunk = randomBytes(64 * 1024);
        pulledBytes += chunk.length;
        yield chunk;
      }
    }
    const archive = createEncryptedZip(PASSWORD);
    const failure = new Promise((resolve) => archive.output.once('error', resolve));
    archive.output.on('data', (chunk: Buffer) => {
      readBytes += chunk.length;
      if (readBytes >= 4 * 1024 * 1024) archive.output.pause();
    });
    const adding = archive.addEntry('endless.bin', endless()).catch((error: unknown) => error);

    // Act
    // A pause counts once the reader has taken its 4 MiB and stopped; it throws if it never does.
    const stopped = await stalledAt(
      () => pulledBytes,
      300,
      15_000,
      () => readBytes >= 4 * 1024 * 1024,
    );

    // Assess: the entry was streamed past what was read by a few MiB at most.
    expect(stopped - readBytes).toBeLessThan(8 * 1024 * 1024);
    archive.abort(new Error('test over'));
    await expect(failure).resolves.toThrow('test over');
    await expect(adding).resolves.toBeInstanceOf(Error);
  });

  test('fails the output when an entry source fails, so an upload aborts', async () => {
    // Prepare
    const archive = createEncryptedZip(PASSWORD);
    const bytes = buffer(archive.output);
    const failing = new Readable({
      read() {
        this.destroy(new Error('query failed'));
      },
    });

    // Act / Assess
    await expect(archive.addEntry('jobs.csv', failing)).rejects.toThrow('query failed');
    await expect(bytes).rejects.toThrow('query failed');
  });
});
