/**
 * The environment, read once per cold start: each function builds its dependencies when its
 * module loads (`atColdStart` in services.ts), so a missing variable stops the cold start with a
 * message naming it instead of failing later on the first request that needs it.
 * Endpoints are not configured here: the AWS SDK reads its standard AWS_ENDPOINT_URL_<SERVICE>
 * variables, so the same adapters talk to AWS or to the local emulators.
 */
import { CHECKPOINT_MAX_AGE_RANGE, isCheckpointMaxAge } from './domain/audit-checkpoint.ts';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

function required(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new ConfigError(`Environment variable ${name} is not set`);
  return value;
}

function optional(name: string): string | undefined {
  const value = process.env[name];
  return value === undefined || value === '' ? undefined : value;
}

/** SQS accepts a visibility of 0 to 43200 s; a lease of 0 would protect nothing. */
function leaseSeconds(name: string): number {
  const seconds = Number(required(name));
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 43_200)
    throw new ConfigError(`${name} must be a whole number of seconds from 1 to 43200`);
  return seconds;
}

export interface AuthConfig {
  readonly issuer: string;
  readonly audience: string;
  readonly jwksUri: string | undefined;
  readonly tokenUse: 'access' | 'id' | undefined;
  /** Which claim carries the audience: `aud` (OIDC) or `client_id` (Cognito access tokens). */
  readonly audienceClaim: 'aud' | 'client_id';
  /** PEM file of a CA to trust for the JWKS fetch (the local issuer's self-signed certificate). */
  readonly jwksCaFile: string | undefined;
}

export const env = {
  region: (): string => optional('AWS_REGION') ?? 'us-east-1',
  recordsTable: (): string => required('RECORDS_TABLE'),
  auditTable: (): string => required('AUDIT_TABLE'),
  fieldKeyId: (): string => required('FIELD_KEY_ID'),
  auditSigningKeyId: (): string => required('AUDIT_SIGNING_KEY_ID'),
  deletionQueueUrl: (): string => required('DELETION_QUEUE_URL'),
  workQueueUrl: (): string => required('WORK_QUEUE_URL'),
  noticeQueueUrl: (): string => required('NOTICE_QUEUE_URL'),
  auditCheckpointQueueUrl: (): string => required('AUDIT_CHECKPOINT_QUEUE_URL'),
  filesBucket: (): string => required('FILES_BUCKET'),
  /** Path-style S3 URLs (the local emulator); the S3 client and the bucket's derived origin both follow it. */
  s3ForcePathStyle: (): boolean => process.env.S3_FORCE_PATH_STYLE === 'true',
  mailFrom: (): string => required('MAIL_FROM'),
  publicBaseUrl: (): string => required('PUBLIC_BASE_URL'),
  /** How long audit events are kept (DynamoDB TTL on `expiresAt`); default 400 days. */
  auditRetentionDays: (): number => {
    const raw = optional('AUDIT_RETENTION_DAYS') ?? '400';
    const days = Number(raw);
    if (!Number.isInteger(days) || days < 1)
      throw new ConfigError('AUDIT_RETENTION_DAYS must be a whole number of days, at least 1');
    return days;
  },
  /**
   * The most seconds an audited write waits for a KMS-signed checkpoint that covers it; the signing
   * interval (at most one KMS Sign per organization each) is this less the delivery margin
   * (shared/domain/audit-checkpoint.ts, docs/decisions/0021).
   */
  auditCheckpointSeconds: (): number => {
    const raw = optional('AUDIT_CHECKPOINT_SECONDS') ?? '10';
    const seconds = Number(raw);
    // Its upper bound keeps the signing interval below the checkpoint queue's redelivery, so a
    // request whose Sign keeps failing is dead-lettered rather than asked for again forever.
    if (!isCheckpointMaxAge(seconds))
      throw new ConfigError(`AUDIT_CHECKPOINT_SECONDS must be ${CHECKPOINT_MAX_AGE_RANGE}`);
    return seconds;
  },
  /** The work queue's consumer lease (infra/resources.ts), in seconds. */
  workQueueLeaseSeconds: (): number => leaseSeconds('WORK_QUEUE_LEASE_SECONDS'),
  /** The notice queue's consumer lease (infra/resources.ts), in seconds: the delay before a failed notice is retried. */
  noticeQueueLeaseSeconds: (): number => leaseSeconds('NOTICE_QUEUE_LEASE_SECONDS'),
  /** The deletion queue's consumer lease (infra/resources.ts), in seconds. */
  deletionQueueLeaseSeconds: (): number => leaseSeconds('DELETION_QUEUE_LEASE_SECONDS'),
  /** Secret that seals pagination cursors; in the cloud it comes from the deployment. */
  cursorSecret: (): string => required('CURSOR_SECRET'),
  /** Hosts (exact) that extension webhooks may target although private, local stack only. */
  allowedPrivateWebhookHosts: (): string[] =>
    (optional('ALLOWED_PRIVATE_WEBHOOK_HOSTS') ?? '').split(',').filter(Boolean),
  /** PEM file of a CA the webhook client trusts beside the public roots (the local fake vendor's certificate), local stack only. */
  webhookCaFile: (): string | undefined => optional('WEBHOOK_CA_FILE'),
  auth: (): AuthConfig => {
    const tokenUse = optional('AUTH_TOKEN_USE');
    return {
      issuer: required('AUTH_ISSUER'),
      audience: required('AUTH_AUDIENCE'),
      jwksUri: optional('AUTH_JWKS_URI'),
      tokenUse: tokenUse === 'access' || tokenUse === 'id' ? tokenUse : undefined,
      audienceClaim: optional('AUTH_AUDIENCE_CLAIM') === 'client_id' ? 'client_id' : 'aud',
      jwksCaFile: optional('AUTH_JWKS_CA_FILE'),
    };
  },
};
