/**
 * Files on S3. Uploads are multipart through lib-storage with 8 MiB parts, two in flight: memory
 * stays within ~3 parts however large the file, and the body is read only as fast as parts leave.
 * Every key and prefix is checked to lie under `orgs/<orgId>/` before any call.
 */
import { Transform, type Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NotFound,
  NoSuchKey,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { env } from '../../config.ts';
import { assertOrgScoped, type Files } from '../../ports/files.ts';
import { attachmentDisposition } from '../../http/content-disposition.ts';
import { s3 } from './s3-client.ts';

const PART_SIZE = 8 * 1024 * 1024;
const PARTS_IN_FLIGHT = 2;
/** DeleteObjects takes at most 1000 keys, as ListObjectsV2 returns at most 1000. */
const BATCH = 1000;
/** SigV4 presigned URLs live at most 7 days. */
const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;

export class S3Files implements Files {
  constructor(
    private readonly client: S3Client = s3(),
    private readonly bucket: string = env.filesBucket(),
  ) {}

  async upload(key: string, body: Readable, contentType: string): Promise<{ bytes: number }> {
    assertOrgScoped(key);
    let bytes = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        bytes += chunk.length;
        done(null, chunk);
      },
    });
    // A failing body must fail the upload (which then aborts the multipart upload).
    body.once('error', (error) => counter.destroy(error));
    body.pipe(counter);
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: key, Body: counter, ContentType: contentType },
      partSize: PART_SIZE,
      queueSize: PARTS_IN_FLIGHT,
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } catch (error) {
      // Stop the producer too (a CSV or ZIP writer waiting on backpressure would wait forever).
      body.destroy();
      counter.destroy();
      throw error;
    }
    return { bytes };
  }

  async presignGet(key: string, seconds: number, downloadName?: string): Promise<string> {
    assertOrgScoped(key);
    if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_PRESIGN_SECONDS)
      throw new Error('A presigned URL lives 1 s to 7 days');
    const command = new GetObjectCommand({
      Bucket: this.bucket,
      Key: key,
      ...(downloadName === undefined
        ? {}
        : { ResponseContentDisposition: attachmentDisposition(downloadName) }),
    });
    return getSignedUrl(this.client, command, { expiresIn: seconds });
  }

  async delete(key: string): Promise<void> {
    assertOrgScoped(key);
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  async deletePrefix(prefix: string): Promise<{ deleted: number }> {
    assertOrgScoped(prefix);
    if (!prefix.endsWith('/')) throw new Error('A prefix to delete must end with /');
    let deleted = 0;
    // Always list from the start: what was deleted is gone, so this resumes correctly after a crash too.
    for (;;) {
      const listed = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, MaxKeys: BATCH }),
      );
      const keys = (listed.Contents ?? []).flatMap((object) =>
        object.Key !== undefined && object.Key.startsWith(prefix) ? [{ Key: object.Key }] : [],
      );
      if (keys.length === 0) return { deleted };
      const result = await this.client.send(
        new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: keys, Quiet: true } }),
      );
      const failures = result.Errors ?? [];
      if (failures.length > 0)
        throw new Error(
          `Deleting files failed for ${failures.length} object(s) (${failures[0]?.Code ?? 'unknown'})`,
        );
      deleted += keys.length;
    }
  }

  async exists(key: string): Promise<boolean> {
    assertOrgScoped(key);
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return true;
    } catch (error) {
      if (error instanceof NotFound || error instanceof NoSuchKey) return false;
      throw error;
    }
  }
}
