/**
 * Data subject rights (GDPR Art. 15–18). The subject's email is personal data: it travels in the
 * body, never in the path or query string (those land in access logs).
 */
import * as z from 'zod/mini';
import { email, id, label } from '../schemas.ts';
import type { RouteDefinition } from '../route.ts';
import { recipient } from './recipients.ts';

const orgParams = z.object({ orgId: id });

/**
 * Why processing is restricted or the restriction lifted. Kept in the audit log, which is
 * append-only and hash-chained, so it may not carry an email address (that could never be erased).
 */
export const restrictionReason = label(500).check(
  z.refine(
    (text) => !/[^\s@]+@[^\s@]+/.test(text),
    'A reason may not contain an email address: it is kept in the audit log',
  ),
);

export const subjectAccessBody = z.strictObject({
  email,
  format: z._default(z.enum(['json', 'csv']), 'json'),
});
export const subjectErasureBody = z.strictObject({ email, mode: z.enum(['delete', 'anonymize']) });
export const subjectRestrictionBody = z.strictObject({ email, reason: restrictionReason });
export const subjectRectificationBody = z.strictObject({ email, newEmail: email });

export const jobsAffected = z
  .object({ jobsAffected: z.number().check(z.int(), z.minimum(0)) })
  .check(z.meta({ id: 'JobsAffected' }));
export const erasureOutcome = z
  .object({
    jobsAffected: z.number().check(z.int(), z.minimum(0)),
    jobsHeld: z
      .number()
      .check(
        z.int(),
        z.minimum(0),
        z.meta({ description: 'Jobs of the person kept under legal hold (Art. 17(3)(e))' }),
      ),
  })
  .check(z.meta({ id: 'ErasureOutcome' }));

export const accessReport = z
  .object({
    subject: z.object({ email: z.string() }),
    items: z.array(
      z.object({
        orchestrationId: z.string(),
        orchestration: z.string().check(z.meta({ description: "The orchestration's name" })),
        jobId: z.string(),
        stage: z.string(),
        ownerId: z.string(),
        restricted: z.boolean(),
        legalHold: z
          .optional(z.object({ reason: z.string(), at: z.string() }))
          .check(z.meta({ description: 'Present while the job is kept under legal hold' })),
        createdAt: z.string(),
        updatedAt: z.string(),
        fields: z
          .array(
            z.object({
              fieldId: z.string(),
              label: z.string(),
              type: z.string(),
              personal: z.boolean(),
              value: z.union([z.string(), z.number()]),
            }),
          )
          .check(z.meta({ description: 'Fields hidden from the caller are absent' })),
      }),
    ),
    recipients: z.array(recipient).check(
      z.meta({
        description:
          "Who received the person's data (Art. 15(1)(c), 19), as POST …/subjects/recipients lists it",
      }),
    ),
    generatedAt: z.string(),
  })
  .check(z.meta({ id: 'SubjectAccessReport' }));

export const subjectRoutes = {
  subjectAccess: {
    method: 'POST',
    operationId: 'createSubjectAccessReport',
    path: '/v1/orgs/{orgId}/subjects/access',
    fn: 'api-subjects',
    tag: 'Data subjects',
    summary:
      'Right of access (Art. 15, subjects.access): every job about the person, found by the blind index of their email, across the orchestrations you may see; fields you may read decrypted, hidden ones absent; each datum with its orchestration, job, field, stage, dates and owner. `format: csv` answers text/csv, one row per datum. Audited',
    auth: 'jwt',
    params: orgParams,
    body: subjectAccessBody,
    status: 200,
    response: accessReport,
    audit: 'subject.access',
    answers: {
      200: {
        description: 'The report: JSON, or text/csv (one row per datum) when `format` is `csv`',
        content: { 'text/csv': 'text' },
      },
      409: 'The report is too large (`/report-too-large`): ask an owner for an export instead',
    },
    example: { email: 'jane.roe@example.net', format: 'json' },
  },
  subjectRectification: {
    method: 'PATCH',
    operationId: 'rectifySubject',
    path: '/v1/orgs/{orgId}/subjects',
    fn: 'api-subjects',
    tag: 'Data subjects',
    summary:
      "Right to rectification (Art. 16) of the subject's email across all their jobs (subjects.access, and edit rights with write access to the subject field on every one of them, else 403; a restricted job: 409 and nothing changes). Re-seals encrypted values and moves the jobs to the new address's blind index. Field edits of one job: PATCH /v1/orgs/{orgId}/jobs/{jobId}",
    auth: 'jwt',
    params: orgParams,
    body: subjectRectificationBody,
    status: 200,
    response: jobsAffected,
    audit: 'subject.rectify',
    answers: {
      409: 'One of the jobs is restricted (`/restricted`), or they are being changed by others; nothing changed',
    },
    example: { email: 'jane.roe@example.net', newEmail: 'jane.roe@example.org' },
  },
  subjectErasure: {
    method: 'POST',
    operationId: 'eraseSubject',
    path: '/v1/orgs/{orgId}/subjects/erasure',
    fn: 'api-subjects',
    tag: 'Data subjects',
    summary:
      'Right to erasure (Art. 17, subjects.erase): `delete` erases every job of the person; `anonymize` keeps them without personal fields or blind index. Covers restricted jobs and every orchestration; jobs under legal hold are kept and counted in `jobsHeld`. Afterwards an access request finds only the held jobs. Export and backup files already written are out of reach (they expire after 7 days)',
    auth: 'jwt',
    params: orgParams,
    body: subjectErasureBody,
    status: 200,
    response: erasureOutcome,
    audit: 'subject.erase',
    example: { email: 'jane.roe@example.net', mode: 'delete' },
  },
  subjectRestriction: {
    method: 'POST',
    operationId: 'restrictSubject',
    path: '/v1/orgs/{orgId}/subjects/restriction',
    fn: 'api-subjects',
    tag: 'Data subjects',
    summary:
      'Restriction of processing (Art. 18, records.restrict) of every job of the person; `jobsAffected` counts the jobs newly restricted (already restricted ones keep their reason). Lift per job with DELETE /v1/orgs/{orgId}/jobs/{jobId}/restriction',
    auth: 'jwt',
    params: orgParams,
    body: subjectRestrictionBody,
    status: 200,
    response: jobsAffected,
    audit: 'subject.restrict',
    example: { email: 'jane.roe@example.net', reason: 'The customer contests the accuracy of the record' },
  },
} as const satisfies Record<string, RouteDefinition>;
