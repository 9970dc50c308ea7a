/**
 * Deployment configuration, read once from CDK context (cdk.json or `-c key=value`). Every value
 * has a safe default so `npx cdk synth` works with no flags; `prod` turns on the protections that
 * make a mistaken `cdk destroy` or a deleted stack survivable.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

export type Stage = 'dev' | 'prod';

export interface OidcFederation {
  /** Shown on the hosted sign-in page and used as the provider name. */
  readonly name: string;
  readonly issuer: string;
  readonly clientId: string;
  /** Secrets Manager secret (ARN) that holds the client secret as a plain string. */
  readonly clientSecretArn: string;
}

export interface StageConfig {
  readonly stage: Stage;
  readonly isProd: boolean;
  /** Stateful resources: RETAIN in prod so a deleted stack never deletes data. */
  readonly removalPolicy: RemovalPolicy;
  readonly logRetention: RetentionDays;
  readonly allowedOrigins: readonly string[];
  readonly oauthCallbackUrls: readonly string[];
  readonly oauthLogoutUrls: readonly string[];
  /** Existing SNS topic for alarms; empty → the API stack creates an encrypted topic. */
  readonly alarmTopicArn: string | undefined;
  readonly oidcFederation: OidcFederation | undefined;
  /** Sender address and the SES identity (domain or address) that authorises it. */
  readonly mailFrom: string;
  readonly mailIdentity: string;
  /** Public URL the download links in emails point at; empty → the HTTP API's own URL. */
  readonly publicBaseUrl: string | undefined;
  readonly throttle: { readonly rateLimit: number; readonly burstLimit: number };
  readonly enableWaf: boolean;
  /** The WAF rate-based rule: requests one client IP may make per 5 minutes. */
  readonly wafRequestsPerIpPer5Minutes: number;
  /** Minutes between runs of a scheduled function, from the context key its spec names. */
  scheduleMinutes(contextKey: string, defaultMinutes: number): number;
}

function stringList(value: unknown, key: string): string[] {
  if (value === undefined || value === null || value === '') return [];
  // `-c key=a,b` arrives as a string; cdk.json gives an array.
  const list = typeof value === 'string' ? value.split(',') : value;
  if (!Array.isArray(list) || !list.every((v) => typeof v === 'string'))
    throw new Error(`Context ${key} must be a list of strings`);
  return list.map((v) => v.trim()).filter(Boolean);
}

function oidcFrom(value: unknown): OidcFederation | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const parsed: unknown = typeof value === 'string' ? JSON.parse(value) : value;
  const o = parsed as Partial<OidcFederation>;
  for (const field of ['name', 'issuer', 'clientId', 'clientSecretArn'] as const) {
    if (typeof o[field] !== 'string' || o[field] === '')
      throw new Error(`Context oidcFederation.${field} is required`);
  }
  return o as OidcFederation;
}

/** A whole number from context, at least `min` (WAF rate limits start at 100). */
function wholeNumber(raw: unknown, key: string, fallback: number, min: number): number {
  const value = raw === undefined || raw === null || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < min)
    throw new Error(`Context ${key} must be a whole number ≥ ${min}`);
  return value;
}

export function stageConfig(scope: Construct): StageConfig {
  const ctx = (key: string): unknown => scope.node.tryGetContext(key);
  const stage = (ctx('stage') ?? 'dev') as string;
  if (stage !== 'dev' && stage !== 'prod') throw new Error(`Context stage must be dev or prod, not ${stage}`);
  const isProd = stage === 'prod';
  const allowedOrigins = stringList(ctx('allowedOrigins'), 'allowedOrigins');
  if (allowedOrigins.includes('*')) throw new Error('Context allowedOrigins must list origins, not *');
  let oauthCallbackUrls = stringList(ctx('oauthCallbackUrls'), 'oauthCallbackUrls');
  if (oauthCallbackUrls.length === 0) oauthCallbackUrls = allowedOrigins.map((o) => `${o}/auth/callback`);
  if (oauthCallbackUrls.length === 0) {
    if (isProd) throw new Error('Stage prod needs context oauthCallbackUrls (or allowedOrigins)');
    oauthCallbackUrls = ['http://localhost:3000/auth/callback'];
  }
  let oauthLogoutUrls = stringList(ctx('oauthLogoutUrls'), 'oauthLogoutUrls');
  if (oauthLogoutUrls.length === 0)
    oauthLogoutUrls = oauthCallbackUrls.map((u) => new URL('/', u).toString());
  const alarmTopicArn = ctx('alarmTopicArn');
  const publicBaseUrl = ctx('publicBaseUrl');
  const mailFrom = (ctx('mailFrom') as string | undefined) || 'no-reply@custos.example';
  const mailIdentity =
    (ctx('mailIdentity') as string | undefined) || mailFrom.slice(mailFrom.indexOf('@') + 1);
  const enableWaf = ctx('enableWaf');
  return {
    stage,
    isProd,
    removalPolicy: isProd ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    logRetention: isProd ? RetentionDays.ONE_YEAR : RetentionDays.ONE_MONTH,
    allowedOrigins,
    oauthCallbackUrls,
    oauthLogoutUrls,
    alarmTopicArn: typeof alarmTopicArn === 'string' && alarmTopicArn !== '' ? alarmTopicArn : undefined,
    oidcFederation: oidcFrom(ctx('oidcFederation')),
    mailFrom,
    mailIdentity,
    publicBaseUrl:
      typeof publicBaseUrl === 'string' && publicBaseUrl !== ''
        ? publicBaseUrl.replace(/\/$/, '')
        : undefined,
    throttle: isProd ? { rateLimit: 200, burstLimit: 400 } : { rateLimit: 50, burstLimit: 100 },
    enableWaf: enableWaf === true || enableWaf === 'true',
    wafRequestsPerIpPer5Minutes: wholeNumber(ctx('wafRateLimit'), 'wafRateLimit', isProd ? 2000 : 1000, 100),
    scheduleMinutes: (contextKey, defaultMinutes) =>
      wholeNumber(ctx(contextKey), contextKey, defaultMinutes, 1),
  };
}
