import * as z from 'zod/mini';
import { id, listQuery, pageOf, userId } from '../schemas.ts';
import type { RouteDefinition } from '../route.ts';

const orgParams = z.object({ orgId: id });
const time = z.iso.datetime({ offset: true });

const timeRange = {
  from: z.optional(time).check(z.meta({ description: 'Earliest event time (ISO 8601), inclusive' })),
  to: z.optional(time).check(z.meta({ description: 'Latest event time (ISO 8601), inclusive' })),
};

export const auditListQuery = z.extend(listQuery, {
  ...timeRange,
  actor: z.optional(userId).check(z.meta({ description: "The acting user's id" })),
  action: z.optional(
    z.string().check(z.maxLength(64), z.regex(/^[a-z][a-z_]*(\.[a-z_]+)+$/, 'Not an audit action')),
  ),
  resource: z
    .optional(
      z
        .string()
        .check(
          z.maxLength(200),
          z.regex(/^[A-Za-z0-9._|@+-]+(:[A-Za-z0-9._|@+-]+)?$/, 'A resource id, or type:id'),
        ),
    )
    .check(z.meta({ description: 'A resource id, or `type:id`' })),
});

export const auditExportQuery = z
  .strictObject({ ...timeRange, format: z._default(z.enum(['csv', 'jsonl']), 'csv') })
  .check(
    z.refine((q) => q.format === 'csv' || (q.from === undefined && q.to === undefined), {
      message: 'The jsonl export is the whole chain, for the offline verifier: it takes no time range',
      path: ['format'],
    }),
  );

export const auditEvent = z
  .object({
    id: z.string(),
    seq: z.nullable(z.number().check(z.int())).check(
      z.meta({
        description: 'Position in the chain; null until the sequencer reaches the event (about a second)',
      }),
    ),
    at: z.string(),
    actor: z.object({
      userId: z.string(),
      email: z.nullable(z.string()).check(z.meta({ description: 'null once erased' })),
    }),
    action: z.string(),
    resource: z.object({ type: z.string(), id: z.string() }),
    outcome: z.enum(['success', 'denied', 'failure']),
    ip: z.nullable(z.string()),
    userAgent: z.nullable(z.string()),
    requestId: z.string(),
    changes: z.optional(
      z.object({
        fields: z.array(z.string()),
        values: z.optional(z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]))),
      }),
    ),
    detail: z.optional(z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]))),
  })
  .check(z.meta({ id: 'AuditEvent' }));

export const auditVerification = z
  .object({
    valid: z.boolean(),
    events: z.number().check(z.int(), z.meta({ description: 'Events verified' })),
    digests: z.number().check(z.int(), z.meta({ description: 'Signed digests verified' })),
    firstBrokenAt: z
      .optional(z.number().check(z.int()))
      .check(z.meta({ description: 'Sequence number of the first event that does not verify' })),
    reason: z.optional(
      z.enum(['chain', 'head', 'digest', 'signature', 'missing-start', 'stray', 'unsequenced']),
    ),
  })
  .check(z.meta({ id: 'AuditVerification' }));

export const auditRoutes = {
  listAudit: {
    method: 'GET',
    operationId: 'listAuditEvents',
    path: '/v1/orgs/{orgId}/audit',
    fn: 'api-audit',
    tag: 'Audit',
    summary: 'Audit events, newest first (owner or audit.read)',
    auth: 'jwt',
    params: orgParams,
    query: auditListQuery,
    status: 200,
    response: pageOf(auditEvent),
  },
  exportAudit: {
    method: 'GET',
    operationId: 'exportAuditLog',
    path: '/v1/orgs/{orgId}/audit/export',
    fn: 'api-audit',
    tag: 'Audit',
    summary:
      'The audit log of a time range as CSV, or the whole chain as JSON lines for the offline verifier',
    auth: 'jwt',
    params: orgParams,
    query: auditExportQuery,
    status: 200,
    answers: {
      200: {
        description: 'The file: text/csv, or application/x-ndjson (one event a line) for `format=jsonl`',
        content: { 'text/csv': 'text', 'application/x-ndjson': 'text' },
        headers: ['content-disposition'],
      },
    },
  },
  verifyAudit: {
    method: 'GET',
    operationId: 'verifyAuditLog',
    path: '/v1/orgs/{orgId}/audit/verify',
    fn: 'api-audit',
    tag: 'Audit',
    summary: "Re-walks the organization's audit chain and its signed digests",
    auth: 'jwt',
    params: orgParams,
    status: 200,
    response: auditVerification,
  },
  auditPublicKey: {
    method: 'GET',
    operationId: 'getAuditPublicKey',
    path: '/v1/orgs/{orgId}/audit/public-key',
    fn: 'api-audit',
    tag: 'Audit',
    summary: 'The public key (PEM) that verifies the signed digests offline',
    auth: 'jwt',
    params: orgParams,
    status: 200,
    response: z.object({ publicKeyPem: z.string() }),
  },
} as const satisfies Record<string, RouteDefinition>;
