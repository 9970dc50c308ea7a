/** The environment the functions get locally: everything shared/config.ts requires (checked against config.ts itself), and a stable cursor secret. */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalIssuer } from '../../../infra/local/oidc-issuer.ts';
import { serviceEnvironment } from '../../../infra/local/service-env.ts';
import { env } from '../../../shared/config.ts';

const endpoints = {
  dynamodb: 'http://127.0.0.1:1',
  sqs: 'http://127.0.0.1:2',
  s3: 'http://127.0.0.1:2',
  ses: 'http://127.0.0.1:3',
  kms: 'http://127.0.0.1:4',
};
const resources = {
  tables: { records: 'custos-records', audit: 'custos-audit' },
  queues: {
    deletion: {
      url: 'http://127.0.0.1:2/000000000000/custos-deletion',
      dlqUrl: 'http://127.0.0.1:2/000000000000/custos-deletion-dlq',
    },
    work: {
      url: 'http://127.0.0.1:2/000000000000/custos-work',
      dlqUrl: 'http://127.0.0.1:2/000000000000/custos-work-dlq',
    },
    notices: {
      url: 'http://127.0.0.1:2/000000000000/custos-notices',
      dlqUrl: 'http://127.0.0.1:2/000000000000/custos-notices-dlq',
    },
    checkpoints: {
      url: 'http://127.0.0.1:2/000000000000/custos-audit-checkpoints',
      dlqUrl: 'http://127.0.0.1:2/000000000000/custos-audit-checkpoints-dlq',
    },
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

/** Calls every getter of shared/config.ts under `vars` alone; answers the names of those that throw. */
function failingConfig(vars: Record<string, string>): string[] {
  const saved = process.env;
  process.env = { ...vars };
  try {
    return Object.entries(env).flatMap(([name, read]) => {
      try {
        read();
        return [];
      } catch {
        return [name];
      }
    });
  } finally {
    process.env = saved;
  }
}

test('satisfies everything shared/config.ts requires', () => {
  // Act
  const vars = serviceEnvironment({
    endpoints,
    resources,
    issuer,
    dataDir,
    publicBaseUrl: 'http://127.0.0.1:3000',
  });
  // Assess
  expect(failingConfig(vars)).toEqual([]);
});

test('the check above can fail: without the records table variable, the config refuses', () => {
  // Prepare
  const { RECORDS_TABLE: _dropped, ...vars } = serviceEnvironment({
    endpoints,
    resources,
    issuer,
    dataDir,
    publicBaseUrl: 'x',
  });
  // Act, Assess
  expect(failingConfig(vars)).toEqual(['recordsTable']);
});

test('points every SDK client at its emulator through the standard endpoint variables', () => {
  // Act
  const vars = serviceEnvironment({ endpoints, resources, issuer, dataDir, publicBaseUrl: 'x' });
  // Assess: the SDK reads AWS_ENDPOINT_URL_<SERVICE>; a missing one would send a local call to AWS.
  expect(vars).toMatchObject({
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    AWS_ENDPOINT_URL_SQS: endpoints.sqs,
    AWS_ENDPOINT_URL_S3: endpoints.s3,
    AWS_ENDPOINT_URL_SES: endpoints.ses,
    AWS_ENDPOINT_URL_KMS: endpoints.kms,
  });
});

test('makes the cursor secret once per data directory and keeps it there', async () => {
  // Act
  const first = serviceEnvironment({
    endpoints,
    resources,
    issuer,
    dataDir,
    publicBaseUrl: 'x',
  }).CURSOR_SECRET;
  const second = serviceEnvironment({
    endpoints,
    resources,
    issuer,
    dataDir,
    publicBaseUrl: 'x',
  }).CURSOR_SECRET;
  // Assess
  expect(first).toMatch(/^[0-9a-f]{64}$/);
  expect(second).toBe(first);
  expect(await readFile(join(dataDir, 'cursor-secret'), 'utf8')).toBe(first);
});

test('lets the vendor sink through the address guard only when the stack runs one', () => {
  // Act
  const without = serviceEnvironment({ endpoints, resources, issuer, dataDir, publicBaseUrl: 'x' });
  const withSink = serviceEnvironment({
    endpoints,
    resources,
    issuer,
    dataDir,
    publicBaseUrl: 'x',
    sink: { caFile: '/sink/tls-cert.pem' },
  });
  // Assess
  expect(without).not.toHaveProperty('ALLOWED_PRIVATE_WEBHOOK_HOSTS');
  expect(without).not.toHaveProperty('WEBHOOK_CA_FILE');
  expect(withSink).toMatchObject({
    ALLOWED_PRIVATE_WEBHOOK_HOSTS: 'localhost',
    WEBHOOK_CA_FILE: '/sink/tls-cert.pem',
  });
});
