/**
 * The files bucket's origin, derived from configuration for the link pages' CSP, is the origin of
 * the URLs the S3 adapter really presigns (the SDK's endpoint rules, run by its presigner; signing
 * is local computation, so no network), in the cloud's forms and the local stack's. A form it does
 * not derive fails instead of giving a CSP that would block the download.
 */
import { jest } from '@jest/globals';
import { S3Files } from '../../shared/adapters/aws/s3-files.ts';
import { newS3Client } from '../../shared/adapters/aws/s3-client.ts';
import { s3Origin } from '../../shared/adapters/aws/s3-origin.ts';
import { ConfigError } from '../../shared/config.ts';

const BUCKET = 'custos-files-1a2b3c4d';
/** Dotted, and every label is itself a valid bucket name: the SDK puts it before a plain-http host. */
const DOTTED = 'custos.files.prod';
const MINIO = 'http://minio.internal:9000';
/** What the derivation and the client read; each case sets its own and leaves the rest unset. */
const VARIABLES = [
  'AWS_REGION',
  'S3_FORCE_PATH_STYLE',
  'AWS_ENDPOINT_URL',
  'AWS_ENDPOINT_URL_S3',
  'AWS_IGNORE_CONFIGURED_ENDPOINT_URLS',
  'AWS_USE_FIPS_ENDPOINT',
  'AWS_USE_DUALSTACK_ENDPOINT',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
] as const;
const saved = Object.fromEntries(VARIABLES.map((name) => [name, process.env[name]]));

function configure(variables: Readonly<Record<string, string>>): void {
  for (const name of VARIABLES) delete process.env[name];
  Object.assign(
    process.env,
    { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret' },
    variables,
  );
}

afterAll(() => {
  for (const [name, value] of Object.entries(saved))
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
});

async function presignedOrigin(bucket: string): Promise<string> {
  const url = await new S3Files(newS3Client(), bucket).presignGet('orgs/o1/backups/b1.zip', 60, 'b.zip');
  return new URL(url).origin;
}

test.each([
  [
    'us-east-1, virtual-hosted',
    { AWS_REGION: 'us-east-1' },
    BUCKET,
    `https://${BUCKET}.s3.us-east-1.amazonaws.com`,
  ],
  ['eu-central-1', { AWS_REGION: 'eu-central-1' }, BUCKET, `https://${BUCKET}.s3.eu-central-1.amazonaws.com`],
  [
    'the China partition',
    { AWS_REGION: 'cn-north-1' },
    BUCKET,
    `https://${BUCKET}.s3.cn-north-1.amazonaws.com.cn`,
  ],
  ['GovCloud', { AWS_REGION: 'us-gov-west-1' }, BUCKET, `https://${BUCKET}.s3.us-gov-west-1.amazonaws.com`],
  [
    'path-style',
    { AWS_REGION: 'eu-west-1', S3_FORCE_PATH_STYLE: 'true' },
    BUCKET,
    'https://s3.eu-west-1.amazonaws.com',
  ],
  [
    'a bucket name with dots',
    { AWS_REGION: 'eu-west-1' },
    'custos.files.eu',
    'https://s3.eu-west-1.amazonaws.com',
  ],
  [
    'the local stack (path-style endpoint)',
    { AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:4566', S3_FORCE_PATH_STYLE: 'true' },
    BUCKET,
    'http://127.0.0.1:4566',
  ],
  [
    'an IP endpoint, not path-style',
    { AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:4566' },
    BUCKET,
    'http://127.0.0.1:4566',
  ],
  ['an IPv6 endpoint', { AWS_ENDPOINT_URL_S3: 'http://[::1]:4566' }, BUCKET, 'http://[::1]:4566'],
  [
    'a host endpoint, virtual-hosted',
    { AWS_ENDPOINT_URL_S3: 'http://localhost:4566' },
    BUCKET,
    `http://${BUCKET}.localhost:4566`,
  ],
  [
    'a host endpoint with its default port and a path',
    { AWS_ENDPOINT_URL_S3: 'https://s3.example.com:443/base' },
    BUCKET,
    `https://${BUCKET}.s3.example.com`,
  ],
  [
    'the endpoint of every service',
    { AWS_ENDPOINT_URL: 'http://127.0.0.1:9000' },
    BUCKET,
    'http://127.0.0.1:9000',
  ],
  [
    "S3's endpoint before every service's",
    { AWS_ENDPOINT_URL: 'http://127.0.0.1:9000', AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:4566' },
    BUCKET,
    'http://127.0.0.1:4566',
  ],
  [
    'a dotted bucket behind a plain-http host endpoint, virtual-hosted',
    { AWS_ENDPOINT_URL_S3: MINIO },
    DOTTED,
    `http://${DOTTED}.minio.internal:9000`,
  ],
  [
    'a dotted bucket with a label too short for a bucket name, behind a plain-http host endpoint',
    { AWS_ENDPOINT_URL_S3: MINIO },
    'custos.files.eu',
    MINIO,
  ],
  [
    'a dotted bucket behind a plain-http host endpoint, path-style',
    { AWS_ENDPOINT_URL_S3: MINIO, S3_FORCE_PATH_STYLE: 'true' },
    DOTTED,
    MINIO,
  ],
  [
    'a dotted bucket behind an https host endpoint',
    { AWS_ENDPOINT_URL_S3: 'https://minio.internal' },
    DOTTED,
    'https://minio.internal',
  ],
  [
    'a dotted bucket behind an https IP endpoint',
    { AWS_ENDPOINT_URL_S3: 'https://10.0.0.5:9000' },
    DOTTED,
    'https://10.0.0.5:9000',
  ],
  [
    'a dotted bucket behind a plain-http IP endpoint, path-style',
    { AWS_ENDPOINT_URL_S3: 'http://10.0.0.5:9000', S3_FORCE_PATH_STYLE: 'true' },
    DOTTED,
    'http://10.0.0.5:9000',
  ],
  [
    'a plain-http host endpoint, virtual-hosted',
    { AWS_ENDPOINT_URL_S3: MINIO },
    BUCKET,
    `http://${BUCKET}.minio.internal:9000`,
  ],
  [
    'a plain-http host endpoint, path-style',
    { AWS_ENDPOINT_URL_S3: MINIO, S3_FORCE_PATH_STYLE: 'true' },
    BUCKET,
    MINIO,
  ],
  [
    'configured endpoints ignored',
    {
      AWS_REGION: 'eu-west-1',
      AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:4566',
      AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true',
    },
    BUCKET,
    `https://${BUCKET}.s3.eu-west-1.amazonaws.com`,
  ],
])('%s: the derived origin is the presigned URL’s', async (_, variables, bucket, expected) => {
  expect.assertions(2);
  // Prepare
  configure(variables);
  // Act
  const derived = s3Origin(bucket);
  // Assess: the expected value pins the form, the presigned URL proves it is the SDK's.
  expect(derived).toBe(expected);
  expect(await presignedOrigin(bucket)).toBe(derived);
});

test.each([
  ['FIPS endpoints', { AWS_REGION: 'us-east-1', AWS_USE_FIPS_ENDPOINT: 'true' }, BUCKET],
  ['dual-stack endpoints', { AWS_REGION: 'us-east-1', AWS_USE_DUALSTACK_ENDPOINT: 'true' }, BUCKET],
  ['a directory bucket', { AWS_REGION: 'us-east-1' }, 'custos--use1-az4--x-s3'],
])('%s: not derived, the cold start fails', (_, variables, bucket) => {
  configure(variables);
  expect(() => s3Origin(bucket)).toThrow(ConfigError);
});

test.each([
  ['IPv4', 'http://10.0.0.5:9000'],
  ['IPv6', 'http://[::1]:9000'],
])(
  'a dotted bucket behind a plain-http %s endpoint, not path-style: the SDK presigns no valid URL, the cold start fails',
  async (_, endpoint) => {
    expect.assertions(2);
    // Prepare
    configure({ AWS_ENDPOINT_URL_S3: endpoint });
    // The SDK prints the URL it failed to build (`<bucket>.<IP>`) before it throws; the rejection is asserted.
    const printed = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      // Act, Assess
      expect(() => s3Origin(DOTTED)).toThrow(ConfigError);
      await expect(presignedOrigin(DOTTED)).rejects.toThrow('Invalid URL');
    } finally {
      printed.mockRestore();
    }
  },
);
