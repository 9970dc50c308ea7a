import { isIP } from 'node:net';
import { LEGAL_BASES } from '../../domain/orchestration.ts';
import { MAX_WINDOW_DAYS } from '../../domain/incident-scope.ts';
import * as z from 'zod/mini';
import { id, userId } from '../schemas.ts';
import type { RouteDefinition } from '../route.ts';
import { auditEvent } from './audit.ts';

const orgParams = z.object({ orgId: id });
const time = z.iso.datetime({ offset: true });
const notStated = z.literal('not stated');
const none = z.literal('none');

export const recordsQuery = z.strictObject({ format: z._default(z.enum(['json', 'csv', 'xlsx']), 'json') });

const retention = z.object({
  days: z.number().check(z.int()),
  from: z.enum(['created', 'updated', 'final_stage']),
  action: z.enum(['delete', 'anonymize']),
});

export const processingRecord = z
  .object({
    controller: z.object({ orgId: z.string(), name: z.string() }),
    generatedAt: z.string(),
    activities: z.array(
      z.object({
        orchestrationId: z.string(),
        name: z.string(),
        purpose: z.string(),
        legalBasis: z.union([z.enum(LEGAL_BASES), notStated]),
        subjectCategory: z.string(),
        personalData: z.array(
          z.object({
            id: z.string(),
            label: z.string(),
            type: z.string(),
            personal: z.boolean(),
            encrypted: z.boolean(),
            subject: z.boolean(),
          }),
        ),
        recipients: z.array(
          z.object({
            extensionId: z.string(),
            name: z.string(),
            vendor: z.string(),
            purpose: z.string(),
            consentVersion: z.number().check(z.int()),
            consentedAt: z.string(),
            fields: z.array(z.string()),
          }),
        ),
        retention: z.union([retention, none]),
        security: z.object({
          encryptedFields: z.array(z.string()),
          accessLimits: z.union([
            z.object({
              roles: z.array(z.object({ id: z.string(), name: z.string() })),
              users: z.array(z.string()),
            }),
            none,
          ]),
        }),
      }),
    ),
  })
  .check(z.meta({ id: 'RecordOfProcessing' }));

export const incidentScopeBody = z.strictObject({
  from: time.check(z.meta({ description: 'Start of the window (ISO 8601), inclusive' })),
  to: time.check(
    z.meta({
      description: `End of the window (ISO 8601), inclusive; at most ${MAX_WINDOW_DAYS} days after from`,
    }),
  ),
  actor: z.optional(userId).check(z.meta({ description: 'Only events of this user id' })),
  // One string schema, not a union of ipv4 and ipv6: both would show as the same `format: ip` in the document.
  sourceIp: z
    .optional(
      z.string().check(
        z.maxLength(45),
        z.refine((value) => isIP(value) !== 0, 'Must be an IPv4 or IPv6 address'),
      ),
    )
    .check(z.meta({ description: 'Only events from this source address (IPv4 or IPv6)' })),
  limit: z
    ._default(z.number().check(z.int(), z.minimum(1), z.maximum(1000)), 100)
    .check(z.meta({ description: 'Events and jobs listed per page; counts always cover the whole window' })),
  cursor: z.optional(z.string().check(z.minLength(1), z.maxLength(2048))),
});

const disclosureCounts = z.object({
  read: z.number().check(z.int()),
  export: z.number().check(z.int()),
  share: z.number().check(z.int()),
  download: z.number().check(z.int()),
  access: z.number().check(z.int()),
});

export const incidentScope = z
  .object({
    window: z.object({
      from: z.string(),
      to: z.string(),
      actor: z.nullable(z.string()),
      sourceIp: z.nullable(z.string()),
    }),
    events: z.object({
      count: z.number().check(z.int()),
      byAction: z.record(z.string(), z.number().check(z.int())),
      items: z.array(auditEvent),
    }),
    jobs: z.object({
      count: z.number().check(z.int()),
      items: z.array(
        z.object({
          jobId: z.string(),
          orchestrationId: z.nullable(z.string()),
          disclosedBy: z.array(z.enum(['read', 'export', 'share', 'download', 'access'])),
        }),
      ),
    }),
    subjects: z.object({
      count: z
        .number()
        .check(
          z.int(),
          z.meta({ description: 'Distinct data subjects, counted by the blind index of their email' }),
        ),
    }),
    categories: z.array(
      z.object({
        orchestrationId: z.string(),
        name: z.string(),
        subjectCategory: z.string(),
        personalData: z.array(
          z.object({ id: z.string(), label: z.string(), type: z.string(), encrypted: z.boolean() }),
        ),
      }),
    ),
    article33: z.object({
      natureOfBreach: z.object({
        window: z.object({ from: z.string(), to: z.string() }),
        actor: z.nullable(z.string()),
        sourceIp: z.nullable(z.string()),
        disclosures: disclosureCounts,
      }),
      subjectCategories: z.array(z.string()),
      approximateSubjects: z.number().check(z.int()),
      dataCategories: z.array(z.string()),
      approximateRecords: z.number().check(z.int()),
      unresolved: z.object({ jobs: z.number().check(z.int()), exports: z.number().check(z.int()) }),
      dpoContact: z.null(),
      likelyConsequences: z.null(),
      measuresTaken: z.null(),
      limitations: z.array(z.string()),
    }),
    nextCursor: z.nullable(z.string()),
  })
  .check(z.meta({ id: 'IncidentScope' }));

export const accountabilityRoutes = {
  recordsOfProcessing: {
    method: 'GET',
    operationId: 'getRecordsOfProcessing',
    path: '/v1/orgs/{orgId}/records-of-processing',
    fn: 'api-accountability',
    tag: 'Accountability',
    summary:
      'The Art. 30(1) record of processing activities, generated from the orchestrations, consents, access limits and retention rules, as JSON, CSV or XLSX (owners and admins; audited)',
    auth: 'jwt',
    params: orgParams,
    query: recordsQuery,
    status: 200,
    response: processingRecord,
    audit: 'processing.record',
    answers: {
      200: {
        description:
          'The record: JSON, or for `format=csv|xlsx` a file as an attachment (Content-Disposition names it)',
        content: {
          'text/csv': 'text',
          'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'binary',
        },
      },
    },
  },
  scopeIncident: {
    method: 'POST',
    operationId: 'scopeIncident',
    path: '/v1/orgs/{orgId}/incidents/scope',
    fn: 'api-accountability',
    tag: 'Accountability',
    summary: `What the audit log says a suspected breach reached, for an Art. 33 notification: events, disclosed jobs, distinct subjects (pseudonymous), data categories (owner; a window of at most ${MAX_WINDOW_DAYS} days; audited)`,
    auth: 'jwt',
    params: orgParams,
    body: incidentScopeBody,
    status: 200,
    response: incidentScope,
    audit: 'incident.scope',
    example: { from: '2026-11-30T00:00:00Z', to: '2026-12-01T00:00:00Z', actor: 'mia' },
  },
} as const satisfies Record<string, RouteDefinition>;
