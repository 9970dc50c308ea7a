/**
 * Presigned URLs locally fail as they fail in S3: the local S3 endpoint is the presign gate
 * (infra/local/s3-presign-gate.ts) in front of fauxqs, which on its own serves any presigned URL.
 */
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { S3Files } from '../../../shared/adapters/aws/s3-files.ts';
import { s3 } from '../../../shared/adapters/aws/s3-client.ts';
import { s3Origin } from '../../../shared/adapters/aws/s3-origin.ts';
import { env } from '../../../shared/config.ts';
import { orgFileKey } from '../../../shared/ports/files.ts';
import { newId } from '../../../shared/domain/ids.ts';

const orgId = newId();
const key = orgFileKey(orgId, 'exports', 'jobs.csv');
const otherKey = orgFileKey(orgId, 'exports', 'other.csv');

beforeAll(async () => {
  await s3().send(new PutObjectCommand({ Bucket: env.filesBucket(), Key: key, Body: 'name\nAda\n' }));
  await s3().send(new PutObjectCommand({ Bucket: env.filesBucket(), Key: otherKey, Body: 'secret\n' }));
});

async function codeOf(response: Response): Promise<string | undefined> {
  return /<Code>([^<]+)<\/Code>/.exec(await response.text())?.[1];
}

describe('presigned URLs on the local S3 endpoint', () => {
  test('a fresh presigned URL downloads the object', async () => {
    const url = await new S3Files().presignGet(key, 60, 'jobs.csv');
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('name\nAda\n');
  });

  test("the origin derived for the link pages' CSP is the presigned URL's, which the gate serves", async () => {
    const url = await new S3Files().presignGet(key, 60, 'jobs.csv');
    expect(new URL(url).origin).toBe(s3Origin(env.filesBucket()));
    expect((await fetch(url)).status).toBe(200);
  });

  test('an expired presigned URL is a 403 AccessDenied "Request has expired"', async () => {
    // Prepare: signed two minutes ago, valid for one.
    const url = await getSignedUrl(s3(), new GetObjectCommand({ Bucket: env.filesBucket(), Key: key }), {
      expiresIn: 60,
      signingDate: new Date(Date.now() - 120_000),
    });
    // Act
    const response = await fetch(url);
    // Assess
    expect(response.status).toBe(403);
    const body = await response.text();
    expect(body).toContain('<Code>AccessDenied</Code>');
    expect(body).toContain('Request has expired');
  });

  test.each([
    ['another object', (url: URL) => new URL(url.href.replace('jobs.csv', 'other.csv'))],
    [
      'a changed signature',
      (url: URL) => (
        url.searchParams.set(
          'X-Amz-Signature',
          url.searchParams.get('X-Amz-Signature')!.replace(/^./, (c) => (c === '0' ? '1' : '0')),
        ),
        url
      ),
    ],
    ['a longer lifetime', (url: URL) => (url.searchParams.set('X-Amz-Expires', '604800'), url)],
    [
      'another download name',
      (url: URL) => (
        url.searchParams.set('response-content-disposition', 'attachment; filename="x.html"'),
        url
      ),
    ],
  ])('a presigned URL tampered with (%s) is a 403 SignatureDoesNotMatch', async (_, tamper) => {
    const url = tamper(new URL(await new S3Files().presignGet(key, 60, 'jobs.csv')));
    const response = await fetch(url);
    expect(response.status).toBe(403);
    expect(await codeOf(response)).toBe('SignatureDoesNotMatch');
  });
});
