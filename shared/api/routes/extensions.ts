import { EXTENSION_ID_PATTERN } from '../../extensions/catalog.ts';
import { TOKEN_MAX_LENGTH, TOKEN_MIN_LENGTH } from '../../domain/credential-guard.ts';
import * as z from 'zod/mini';
import { id, label, listQuery, pageOf } from '../schemas.ts';
import type { RouteDefinition } from '../route.ts';
import { fieldId } from './orchestrations.ts';

/** A catalog slug; an unknown or malformed one is a 404. */
const extensionId = z.string().check(z.regex(EXTENSION_ID_PATTERN));
const orgParams = z.object({ orgId: id });
const extensionParams = z.object({ orgId: id, extensionId });
const shareParams = z.object({ orgId: id, jobId: id, extensionId });

const consentField = z
  .object({ orchestrationId: z.string(), fieldId: z.string(), personal: z.boolean() })
  .check(
    z.meta({
      id: 'ConsentField',
      description: 'A field a consent covers, and whether it held personal data when consent was given',
    }),
  );

export const consentRecord = z.object({
  extensionId: z.string(),
  version: z.number().check(
    z.int(),
    z.meta({
      description: 'Grants and withdrawals of one extension are numbered 1, 2, …; each is kept as history',
    }),
  ),
  fields: z.array(consentField),
  purpose: z.string(),
  webhookUrl: z.optional(z.string()).check(
    z.meta({
      description: 'The organization’s own endpoint, for extensions whose webhook is per organization',
    }),
  ),
  grantedBy: z.string().check(z.meta({ description: 'User id of the member who consented' })),
  grantedAt: z.string(),
});

/** The 201 of a consent: the record, and the webhook signing secret, which no other answer carries. */
export const grantedConsent = z
  .extend(consentRecord, {
    signingSecret: z.string().check(
      z.meta({
        description:
          'The secret that signs every webhook sent under this consent (`Custos-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`). ' +
          'Shown in this answer only, never again; a new consent rotates it. See docs/webhooks.md.',
      }),
    ),
  })
  .check(z.meta({ id: 'GrantedConsent' }));

export const extension = z
  .object({
    extensionId: z.string(),
    name: z.string(),
    vendor: z.string(),
    description: z.string(),
    dataCategories: z
      .array(z.string())
      .check(z.meta({ description: 'The field types this extension may receive' })),
    webhook: z.union([
      z.object({ kind: z.literal('fixed'), url: z.string() }),
      z.object({ kind: z.literal('per-organization'), example: z.string() }),
    ]),
    consent: z.nullable(consentRecord).check(
      z.meta({
        description: 'The consent in force (fields of orchestrations you cannot see are left out), or null',
      }),
    ),
    tokenStored: z
      .boolean()
      .check(z.meta({ description: 'Whether a vendor token is stored; the token itself is never returned' })),
    tokenSetAt: z.nullable(z.string()),
  })
  .check(z.meta({ id: 'Extension' }));

export const withdrawalRecord = z
  .object({
    extensionId: z.string(),
    version: z.number().check(z.int()),
    withdrawnBy: z.string(),
    withdrawnAt: z.string(),
    tokenDeleted: z.boolean(),
  })
  .check(z.meta({ id: 'ConsentWithdrawal' }));

export const consentBody = z
  .strictObject({
    fields: z.array(z.strictObject({ orchestrationId: id, fieldId })).check(
      z.minLength(1),
      z.maxLength(100),
      z.meta({
        description:
          "Each field by its orchestration and id. It must exist, be visible to you, and have a type within the extension's data categories (400 otherwise).",
      }),
    ),
    purpose: label(500).check(
      z.meta({ description: 'Why the data is shared, as recorded with the consent' }),
    ),
    webhookUrl: z.optional(z.string().check(z.maxLength(2048))).check(
      z.meta({
        description:
          'Required for extensions whose webhook is per organization (must match their pattern, https); refused for the others',
      }),
    ),
  })
  .check(z.meta({ id: 'ConsentRequest' }));

/** Strict: a body with `password`, `username`, `secret` or any other key beside `token` is a 400. */
export const tokenBody = z
  .strictObject({
    token: z.string().check(
      z.meta({
        description:
          `The token the vendor issued. Refused (400) when it looks like a credential: not an RFC 6750 bearer token ` +
          `(letters, digits, - . _ ~ + / and trailing =; so no whitespace, ':' pairs or '@'), shorter than ${TOKEN_MIN_LENGTH} or longer than ${TOKEN_MAX_LENGTH} characters, ` +
          'fewer than 10 distinct characters, containing a common password word, or letters only / letters then digits. Never returned, never logged.',
      }),
    ),
  })
  .check(z.meta({ id: 'ExtensionToken' }));

export const shareResult = z
  .object({
    shared: z.array(z.string()).check(z.meta({ description: 'The field ids sent (values are not echoed)' })),
    vendorStatus: z.number().check(
      z.int(),
      z.meta({
        description: "The vendor's final HTTP status; 2xx means accepted. Redirects are not followed.",
      }),
    ),
  })
  .check(z.meta({ id: 'ShareResult' }));

export const extensionRoutes = {
  listExtensions: {
    method: 'GET',
    operationId: 'listExtensions',
    path: '/v1/orgs/{orgId}/extensions',
    fn: 'api-extensions',
    tag: 'Extensions',
    summary: "The marketplace catalog with the organization's consent state for each extension",
    auth: 'jwt',
    params: orgParams,
    query: listQuery,
    status: 200,
    response: pageOf(extension),
  },
  grantConsent: {
    method: 'POST',
    operationId: 'grantExtensionConsent',
    path: '/v1/orgs/{orgId}/extensions/{extensionId}/consent',
    fn: 'api-extensions',
    tag: 'Extensions',
    summary:
      'Consent to share these fields with the extension for this purpose (extensions.manage): a new version replaces the current consent; history is kept',
    auth: 'jwt',
    params: extensionParams,
    body: consentBody,
    status: 201,
    response: grantedConsent,
    audit: 'extension.consent',
    example: {
      fields: [{ orchestrationId: '01JF6Q0Y7W3V5T8N2M4K6H8G0D', fieldId: 'customer_email' }],
      purpose: 'Send repair status updates by email',
    },
  },
  setToken: {
    method: 'PUT',
    operationId: 'setExtensionToken',
    path: '/v1/orgs/{orgId}/extensions/{extensionId}/token',
    fn: 'api-extensions',
    tag: 'Extensions',
    summary:
      "Store the vendor's token (extensions.manage), sealed with the organization's key; never returned. Credentials are refused (400), see the body schema",
    auth: 'jwt',
    params: extensionParams,
    body: tokenBody,
    status: 204,
    audit: 'extension.token_set',
    example: { token: 'vX7.kq2-Rm9_ZtP4wL8~sN3/bY6+Hc1=' },
  },
  revokeExtension: {
    method: 'DELETE',
    operationId: 'revokeExtension',
    path: '/v1/orgs/{orgId}/extensions/{extensionId}',
    fn: 'api-extensions',
    tag: 'Extensions',
    summary:
      'Withdraw the consent and delete the token (extensions.manage), in one step; 404 when there is neither',
    auth: 'jwt',
    params: extensionParams,
    status: 200,
    response: withdrawalRecord,
    audit: 'extension.revoke',
  },
  shareJob: {
    method: 'POST',
    operationId: 'shareJob',
    path: '/v1/orgs/{orgId}/jobs/{jobId}/share/{extensionId}',
    fn: 'api-extensions',
    tag: 'Extensions',
    summary:
      "Send the job's consented fields that you may read to the extension's webhook (extensions.manage). 409 /restricted for a restricted job, " +
      '/consent-required without a current consent covering its fields, /token-required without a token, /webhook-refused for a non-public target; ' +
      '503 when the vendor cannot be reached',
    auth: 'jwt',
    params: shareParams,
    status: 200,
    response: shareResult,
    audit: 'job.share',
    answers: {
      409: 'Not shared: `/restricted`, `/consent-required`, `/token-required`, `/webhook-refused` or `/nothing-to-share`',
      503: {
        description: 'The vendor cannot be reached; retry after the time given',
        headers: ['retry-after'],
      },
    },
  },
} as const satisfies Record<string, RouteDefinition>;
