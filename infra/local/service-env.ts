/**
 * The environment the functions run with on the local stack and in tests: the SDK's standard
 * endpoint variables point every client at the emulators, and the resource variables carry the
 * names declared in infra/resources.ts — the same variables the CDK stack sets in AWS.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUCKETS, QUEUES, TABLES } from '../resources.ts';
import { LOCAL_CREDENTIALS, type EmulatorEndpoints } from './emulators.ts';
import type { LocalIssuer } from './oidc-issuer.ts';
import type { ProvisionedResources } from './provision.ts';
import { SINK_HOST, type WebhookSink } from './webhook-sink.ts';

export const LOCAL_FIELD_KEY_ID = 'alias/custos-fields';
export const LOCAL_AUDIT_SIGNING_KEY_ID = 'alias/custos-audit-signing';
export const LOCAL_MAIL_FROM = 'no-reply@custos.local';

/**
 * The cursor secret is made once per data directory and kept there: cursors handed out before a
 * restart still open after it, and no secret lives in the repository.
 */
function cursorSecret(dataDir: string): string {
  const path = join(dataDir, 'cursor-secret');
  try {
    const existing = readFileSync(path, 'utf8').trim();
    if (/^[0-9a-f]{64}$/.test(existing)) return existing;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const secret = randomBytes(32).toString('hex');
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(path, secret, { mode: 0o600 });
  return secret;
}

/**
 * The consumers' lease from the manifest, or CUSTOS_QUEUE_LEASE_SECONDS when set: tests of a
 * crashed consumer wait one lease, seconds rather than minutes.
 */
function leaseSeconds(declared: number): string {
  return process.env.CUSTOS_QUEUE_LEASE_SECONDS ?? String(declared);
}

export function serviceEnvironment(input: {
  endpoints: EmulatorEndpoints;
  resources: ProvisionedResources;
  issuer: LocalIssuer;
  dataDir: string;
  publicBaseUrl: string;
  /** The local vendor sink: let through the address guard by its one host name, its certificate trusted. */
  sink?: Pick<WebhookSink, 'caFile'>;
}): Record<string, string> {
  const { endpoints, resources, issuer } = input;
  return {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    AWS_ENDPOINT_URL_SQS: endpoints.sqs,
    AWS_ENDPOINT_URL_S3: endpoints.s3,
    AWS_ENDPOINT_URL_SES: endpoints.ses,
    AWS_ENDPOINT_URL_KMS: endpoints.kms,
    S3_FORCE_PATH_STYLE: 'true',
    [TABLES.records.envVar]: resources.tables.records,
    [TABLES.audit.envVar]: resources.tables.audit,
    [QUEUES.deletion.envVar]: resources.queues.deletion.url,
    [QUEUES.work.envVar]: resources.queues.work.url,
    [QUEUES.deletion.leaseEnvVar]: leaseSeconds(QUEUES.deletion.leaseSeconds),
    [QUEUES.work.leaseEnvVar]: leaseSeconds(QUEUES.work.leaseSeconds),
    [QUEUES.notices.envVar]: resources.queues.notices.url,
    [QUEUES.notices.leaseEnvVar]: leaseSeconds(QUEUES.notices.leaseSeconds),
    [QUEUES.checkpoints.envVar]: resources.queues.checkpoints.url,
    [QUEUES.checkpoints.leaseEnvVar]: leaseSeconds(QUEUES.checkpoints.leaseSeconds),
    [BUCKETS.files.envVar]: resources.buckets.files,
    FIELD_KEY_ID: LOCAL_FIELD_KEY_ID,
    AUDIT_SIGNING_KEY_ID: LOCAL_AUDIT_SIGNING_KEY_ID,
    AUTH_ISSUER: issuer.issuer,
    AUTH_AUDIENCE: issuer.audience,
    AUTH_JWKS_URI: issuer.jwksUri,
    AUTH_JWKS_CA_FILE: issuer.caFile,
    AUTH_TOKEN_USE: 'access',
    MAIL_FROM: LOCAL_MAIL_FROM,
    PUBLIC_BASE_URL: input.publicBaseUrl,
    CURSOR_SECRET: cursorSecret(input.dataDir),
    ...(input.sink === undefined
      ? {}
      : { ALLOWED_PRIVATE_WEBHOOK_HOSTS: SINK_HOST, WEBHOOK_CA_FILE: input.sink.caFile }),
  };
}
