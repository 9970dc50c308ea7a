import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { S3Files } from '../../../shared/adapters/aws/s3-files.ts';
import { s3 } from '../../../shared/adapters/aws/s3-client.ts';
import { env } from '../../../shared/config.ts';
import { orgFileKey, orgFilePrefix } from '../../../shared/ports/files.ts';
import { newId } from '../../../shared/domain/ids.ts';

const MiB = 1024 * 1024;

/** `total` bytes of deterministic pseudo-random data in 1 MiB chunks, produced on demand. */
function generated(
  total: number,
  onChunk: (produced: number) => void = () => undefined,
): { body: Readable; digest: () => string } {
  const hash = createHash('sha256');
  const seed = randomBytes(MiB);
  let produced = 0;
  const body = new Readable({
    read() {
      if (produced >= total) return void this.push(null);
      const chunk = Buffer.from(seed);
      chunk.writeUInt32LE(produced / MiB, 0);
      produced += chunk.length;
      hash.update(chunk);
      onChunk(produced);
      this.push(chunk);
    },
  });
  return { body, digest: () => hash.digest('hex') };
}

async function put(key: string, body = 'x'): Promise<void> {
  await s3().send(new PutObjectCommand({ Bucket: env.filesBucket(), Key: key, Body: body }));
}

describe('S3Files against the S3 emulator', () => {
  const files = new S3Files();

  test('streams a 40 MiB upload in 8 MiB parts while holding at most a few parts in memory', async () => {
    // Prepare: count what the body produced against what S3 acknowledged, part by part.
    const key = orgFileKey(newId(), 'backups', 'big.zip');
    let producedAhead = 0;
    let acknowledged = 0;
    const client = new S3Client({ region: env.region(), forcePathStyle: true });
    client.middlewareStack.add(
      (next) => async (args) => {
        const result = await next(args);
        const input = args.input as { PartNumber?: number; Body?: Uint8Array };
        if (input.PartNumber !== undefined && input.Body instanceof Uint8Array)
          acknowledged += input.Body.byteLength;
        return result;
      },
      { step: 'initialize' },
    );
    const source = generated(40 * MiB, (produced) => {
      producedAhead = Math.max(producedAhead, produced - acknowledged);
    });

    // Act
    const { bytes } = await new S3Files(client).upload(key, source.body, 'application/zip');

    // Assess
    expect(bytes).toBe(40 * MiB);
    const head = await s3().send(new HeadObjectCommand({ Bucket: env.filesBucket(), Key: key }));
    expect(head.ContentLength).toBe(40 * MiB);
    expect(head.ContentType).toBe('application/zip');
    expect(head.ETag).toMatch(/-5"$/);
    const stored = await s3().send(new GetObjectCommand({ Bucket: env.filesBucket(), Key: key }));
    const storedHash = createHash('sha256')
      .update(Buffer.from(await stored.Body!.transformToByteArray()))
      .digest('hex');
    expect(storedHash).toBe(source.digest());
    // Never more than the parts in flight (2 × 8 MiB), the one being filled and stream buffers.
    expect(acknowledged).toBe(40 * MiB);
    expect(producedAhead).toBeLessThanOrEqual(28 * MiB);
  });

  test('fails the upload when the body fails, leaving no object', async () => {
    const key = orgFileKey(newId(), 'exports', 'broken.csv');
    const body = new Readable({
      read() {
        this.destroy(new Error('query failed'));
      },
    });
    await expect(files.upload(key, body, 'text/csv')).rejects.toThrow();
    await expect(files.exists(key)).resolves.toBe(false);
  });

  test('presigns a GET that downloads the object as a named attachment', async () => {
    // Prepare
    const key = orgFileKey(newId(), 'exports', 'jobs.csv');
    await files.upload(key, Readable.from(['a,b\r\n1,2\r\n']), 'text/csv');

    // Act
    const url = await files.presignGet(key, 300, 'Jobs – März.csv');
    const response = await fetch(url);

    // Assess
    expect(new URL(url).searchParams.get('X-Amz-Expires')).toBe('300');
    expect(new URL(url).searchParams.get('response-content-disposition')).toBe(
      `attachment; filename="Jobs  Marz.csv"; filename*=UTF-8''Jobs%20%E2%80%93%20M%C3%A4rz.csv`,
    );
    expect(response.status).toBe(200);
    await expect(response.text()).resolves.toBe('a,b\r\n1,2\r\n');
  });

  test('deletePrefix deletes every object of the prefix across batches, and nothing of a neighbour', async () => {
    // Prepare: 1005 objects (two DeleteObjects batches), a neighbour organization's file, and a
    // sibling whose id starts with ours.
    const orgId = newId();
    const neighbour = orgFileKey(newId(), 'backups', 'keep.zip');
    const lookalike = `orgs/${orgId}X/backups/keep.zip`;
    const keys = Array.from({ length: 1005 }, (_, index) =>
      orgFileKey(orgId, 'exports', `file-${index}.csv`),
    );
    for (let index = 0; index < keys.length; index += 50)
      await Promise.all(keys.slice(index, index + 50).map((key) => put(key)));
    await put(neighbour);
    await put(lookalike);

    // Act
    const result = await files.deletePrefix(orgFilePrefix(orgId));

    // Assess
    expect(result.deleted).toBe(1005);
    await expect(files.exists(keys[0]!)).resolves.toBe(false);
    await expect(files.exists(keys[1004]!)).resolves.toBe(false);
    await expect(files.exists(neighbour)).resolves.toBe(true);
    await expect(
      s3().send(new HeadObjectCommand({ Bucket: env.filesBucket(), Key: lookalike })),
    ).resolves.toBeDefined();
  });

  test('delete removes one object and exists reports it', async () => {
    const key = orgFileKey(newId(), 'exports', 'one.csv');
    await put(key);
    await expect(files.exists(key)).resolves.toBe(true);
    await files.delete(key);
    await expect(files.exists(key)).resolves.toBe(false);
  });

  test.each([['orgs/'], ['orgs'], [''], ['other/prefix/'], ['orgs/../'], ['orgs/abc']])(
    'refuses to delete the prefix %j',
    async (prefix) => {
      await expect(files.deletePrefix(prefix)).rejects.toThrow();
    },
  );
});
