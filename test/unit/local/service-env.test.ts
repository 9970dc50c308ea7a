/** The environment the functions get locally: everything shared/config.ts requires, and a stable cursor secret. */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalIssuer } from '../../../infra/local/oidc-issuer.ts';
import { serviceEnvironment } from '../../../infra/local/service-env.ts';

const endpoints = { dynamodb: 'http://127.0.0.1:1', sqs: 'http://127.0.0.1:2', s3: 'http://127.0.0.1:2', ses: 'http://127.0.0.1:3', kms: 'http://127.0.0.1:4' };
const resources = {
  tables: { records: 'custos-records', audit: 'custos-audit' },
  queues: {
    deletion: { url: 'http://127.0.0.1:2/000000000000/custos-deletion', dlqUrl: 'http://127.0.0.1:2/000000000000/custos-deletion-dlq' },
    work: { url: 'http://127.0.0.1:2/000000000000/custos-work', dlqUrl: 'http://127.0.0.1:2/000000000000/custos-work-dlq' },
  },
  buckets: { files: 'custos-files' },
};
const issuer: LocalIssuer = {
  issuer: 'https://127.0.0.1:5',
  jwksUri: 'https://127.0.0.1:5/.well-known/jwks.json',
  caFile: '/data/oidc/tls-cert.pem',
  audience: 'custos-local',
  kid: 'kid',
  privateKey: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey,
  issueToken: () => 'token',
  stop: async () => {},
};

let dataDir: string;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'custos-env-test-'));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

test('points every SDK client at the emulators and names every resource', () => {
  // Act
  const env = serviceEnvironment({ endpoints, resources, issuer, dataDir, publicBaseUrl: 'http://127.0.0.1:3000' });
  // Assess
  expect(env).toMatchObject({
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    AWS_ENDPOINT_URL_SQS: endpoints.sqs,
    AWS_ENDPOINT_URL_S3: endpoints.s3,
    AWS_ENDPOINT_URL_SES: endpoints.ses,
    AWS_ENDPOINT_URL_KMS: endpoints.kms,
    S3_FORCE_PATH_STYLE: 'true',
    RECORDS_TABLE: 'custos-records',
    AUDIT_TABLE: 'custos-audit',
    DELETION_QUEUE_URL: resources.queues.deletion.url,
    WORK_QUEUE_URL: resources.queues.work.url,
    FILES_BUCKET: 'custos-files',
    FIELD_KEY_ID: 'alias/custos-fields',
    AUDIT_SIGNING_KEY_ID: 'alias/custos-audit-signing',
    AUTH_ISSUER: issuer.issuer,
    AUTH_AUDIENCE: 'custos-local',
    AUTH_JWKS_URI: issuer.jwksUri,
    AUTH_JWKS_CA_FILE: issuer.caFile,
    AUTH_TOKEN_USE: 'access',
    MAIL_FROM: 'no-reply@custos.local',
    PUBLIC_BASE_URL: 'http://127.0.0.1:3000',
  });
  expect(env.AWS_ACCESS_KEY_ID).toBeTruthy();
  expect(env.AWS_SECRET_ACCESS_KEY).toBeTruthy();
});

test('makes the cursor secret once per data directory and keeps it there', async () => {
  // Act
  const first = serviceEnvironment({ endpoints, resources, issuer, dataDir, publicBaseUrl: 'x' }).CURSOR_SECRET;
  const second = serviceEnvironment({ endpoints, resources, issuer, dataDir, publicBaseUrl: 'x' }).CURSOR_SECRET;
  // Assess
  expect(first).toMatch(/^[0-9a-f]{64}$/);
  expect(second).toBe(first);
  expect(await readFile(join(dataDir, 'cursor-secret'), 'utf8')).toBe(first);
});
