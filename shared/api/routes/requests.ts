/**
 * Data subject requests (GDPR Art. 12): public intake and verification, and the case staff work
 * (permission `requests.manage`). The subject's email travels in bodies only, never in a path or
 * query string (those land in access logs).
 */
import { REQUEST_STATUSES, REQUEST_TYPES } from '../../domain/subject-request.ts';
import * as z from 'zod/mini';
import { email, id, label, listQuery, pageOf, userId } from '../schemas.ts';
import type { RouteDefinition } from '../route.ts';
import { updateJobBody } from './jobs.ts';
import { restrictionReason, subjectErasureBody } from './subjects.ts';

const orgParams = z.object({ orgId: id });
const requestParams = z.object({ requestId: id });
const caseParams = z.object({ orgId: id, requestId: id });

const requestType = z.enum(REQUEST_TYPES);
const requestStatus = z.enum(REQUEST_STATUSES);

export const intakeBody = z.strictObject({
  type: requestType,
  email,
  name: z.optional(label(200)),
  details: z.optional(label(2000)),
});
export const verifyBody = z.strictObject({
  code: z.string().check(z.regex(/^\d{6}$/, 'The code has 6 digits')),
});
export const listRequestsQuery = z.extend(listQuery, {
  status: z.optional(requestStatus),
  type: z.optional(requestType),
  dueBefore: z.optional(z.iso.datetime({ offset: true })),
});
export const assignBody = z.strictObject({ assignee: userId });
/** Reasons are kept in the audit log (append-only), so they may not carry an email address. */
export const extendBody = z.strictObject({
  months: z.union([z.literal(1), z.literal(2)]),
  reason: restrictionReason,
});
export const rejectBody = z.strictObject({ reason: restrictionReason });

/** What a fulfilment needs by type: erasure `mode`; rectification `newEmail` or `changes`; the others nothing. */
export const fulfilBody = z.strictObject({
  mode: z.optional(subjectErasureBody.shape.mode),
  newEmail: z.optional(email),
  changes: z.optional(
    z.array(z.extend(updateJobBody, { jobId: id })).check(z.minLength(1), z.maxLength(100)),
  ),
});

export const requestAccepted = z.object({ requestId: z.string() }).check(z.meta({ id: 'RequestAccepted' }));
export const requestVerified = z
  .object({ status: z.literal('open'), dueAt: z.string() })
  .check(z.meta({ id: 'RequestVerified' }));

const summaryShape = {
  requestId: z.string(),
  type: requestType,
  status: requestStatus,
  createdAt: z.string(),
  updatedAt: z.string(),
  verifiedAt: z.optional(z.string()),
  dueAt: z
    .optional(z.string())
    .check(z.meta({ description: 'One month after verification (Art. 12(3)), later once extended' })),
  extendedMonths: z
    .optional(z.number().check(z.int()))
    .check(z.meta({ description: 'Months the deadline was extended by (once only)' })),
  assignee: z.optional(z.string()).check(z.meta({ description: 'The member working the case (user id)' })),
};
export const requestSummary = z.object(summaryShape).check(z.meta({ id: 'RequestSummary' }));
export const requestCase = z
  .object({
    ...summaryShape,
    orgId: z.string(),
    timeline: z.array(
      z.object({
        at: z.string(),
        action: z.string(),
        actor: z
          .optional(z.string())
          .check(z.meta({ description: 'The staff member (user id); absent for the subject' })),
      }),
    ),
    email: z
      .optional(z.string())
      .check(z.meta({ description: "The subject's verified address (GET only; reading it is audited)" })),
    name: z.optional(z.string()),
    details: z.optional(z.string()),
  })
  .check(z.meta({ id: 'RequestCase' }));

/** The report link's own answers: HTML pages that say what happened and what to do. */
const page = (description: string) => ({ description, content: { 'text/html': 'text' } }) as const;
export const reportQuery = z.object({ token: z.optional(z.string().check(z.maxLength(256))) });
export const reportForm = z.object({
  token: z.string().check(z.maxLength(256)),
  code: z.optional(z.string().check(z.maxLength(16))),
});

const TAG = 'Data subject requests';

export const requestRoutes = {
  submitRequest: {
    method: 'POST',
    operationId: 'submitSubjectRequest',
    path: '/v1/orgs/{orgId}/requests',
    fn: 'api-requests',
    tag: TAG,
    summary:
      'Public intake of a data subject request (no token). The same 202 whether or not the organization holds data about the address; a 6-digit code valid 10 minutes is emailed to it. 404 for an unknown organization or one whose intake is off. Limits: 5 per email and 20 per source address per hour, then 429 with Retry-After',
    auth: 'none',
    params: orgParams,
    body: intakeBody,
    status: 202,
    response: requestAccepted,
    answers: {
      429: {
        description: 'Too many requests for this email or from this address this hour',
        headers: ['retry-after'],
      },
    },
    example: { type: 'access', email: 'jane.roe@example.net', name: 'Jane Roe' },
  },
  verifyRequest: {
    method: 'POST',
    operationId: 'verifySubjectRequest',
    path: '/v1/requests/{requestId}/verify',
    fn: 'api-requests',
    tag: TAG,
    summary:
      'Confirms a request with the emailed code: 200 and the due date (one month). A wrong code: 400 `wrong-code` with `triesLeft`; the 5th voids it (423); an expired code: 410',
    auth: 'none',
    params: requestParams,
    body: verifyBody,
    status: 200,
    response: requestVerified,
    answers: {
      400: 'Invalid input, or a wrong code (`/wrong-code`, with `triesLeft`)',
      409: 'The request is verified already',
      410: 'The code has expired (10 minutes)',
      423: 'Void after 5 wrong codes',
    },
    example: { code: '493027' },
  },
  listRequests: {
    method: 'GET',
    operationId: 'listSubjectRequests',
    path: '/v1/orgs/{orgId}/requests',
    fn: 'api-requests',
    tag: TAG,
    summary:
      "The organization's data subject requests (requests.manage), oldest first, filtered by status, type and due date; no personal data",
    auth: 'jwt',
    params: orgParams,
    query: listRequestsQuery,
    status: 200,
    response: pageOf(requestSummary),
  },
  getRequest: {
    method: 'GET',
    operationId: 'getSubjectRequest',
    path: '/v1/orgs/{orgId}/requests/{requestId}',
    fn: 'api-requests',
    tag: TAG,
    summary:
      "One request (requests.manage) with the subject's details and the timeline of every step; reading it is audited",
    auth: 'jwt',
    params: caseParams,
    status: 200,
    response: requestCase,
  },
  assignRequest: {
    method: 'PATCH',
    operationId: 'assignSubjectRequest',
    path: '/v1/orgs/{orgId}/requests/{requestId}',
    fn: 'api-requests',
    tag: TAG,
    summary:
      'Assigns the request to a member (requests.manage); 400 when the assignee is not a member, 409 once it is closed',
    auth: 'jwt',
    params: caseParams,
    body: assignBody,
    status: 200,
    response: requestCase,
    audit: 'request.assign',
    answers: { 409: 'The request is closed, or changed meanwhile' },
    example: { assignee: 'auth0|5f7c8ec7c33c6c004bbafe82' },
  },
  extendRequest: {
    method: 'POST',
    operationId: 'extendSubjectRequest',
    path: '/v1/orgs/{orgId}/requests/{requestId}/extend',
    fn: 'api-requests',
    tag: TAG,
    summary:
      'Extends the deadline by 1 or 2 months (requests.manage; Art. 12(3)): once per request, never past three months from verification; the subject is emailed the reason',
    auth: 'jwt',
    params: caseParams,
    body: extendBody,
    status: 200,
    response: requestCase,
    audit: 'request.extend',
    answers: {
      409: 'Not open, extended already, or past three months from verification (`/extension-refused`)',
    },
    example: { months: 2, reason: 'The records span several systems that must be searched by hand' },
  },
  fulfilRequest: {
    method: 'POST',
    operationId: 'fulfilSubjectRequest',
    path: '/v1/orgs/{orgId}/requests/{requestId}/fulfil',
    fn: 'api-requests',
    tag: TAG,
    summary:
      "Fulfils an open request through the subject routes' own use cases, with the caller's rights (requests.manage, and the right's own permission): `erasure` {mode}, `restriction` and `objection` (restricts) act on all the subject's jobs, `rectification` takes {newEmail} or {changes: [{jobId, fields}]}; then the request is `fulfilled`. `access` and `portability` (which need subjects.access too) queue the report: a ZIP of JSON (and CSV for portability) built in the background, emailed to the subject as a 7-day link; the request is `fulfilled` once the link is sent, and the answer shows the `request.report` step",
    auth: 'jwt',
    params: caseParams,
    body: fulfilBody,
    status: 200,
    response: requestCase,
    audit: 'request.fulfil',
    answers: {
      409: 'The request is not open, a job is restricted (`/restricted`), or its report is ready already',
    },
    example: { mode: 'delete' },
  },
  rejectRequest: {
    method: 'POST',
    operationId: 'rejectSubjectRequest',
    path: '/v1/orgs/{orgId}/requests/{requestId}/reject',
    fn: 'api-requests',
    tag: TAG,
    summary:
      'Rejects an open request (requests.manage): the subject is told why and that they may complain to a supervisory authority (Art. 12(4))',
    auth: 'jwt',
    params: caseParams,
    body: rejectBody,
    status: 200,
    response: requestCase,
    audit: 'request.reject',
    answers: { 409: 'The request is not open (unverified or closed)' },
    example: { reason: 'The request is manifestly unfounded: the same request was answered last week' },
  },
  reportPage: {
    method: 'GET',
    operationId: 'showSubjectReportPage',
    path: '/v1/requests/{requestId}/report',
    fn: 'request-report',
    tag: TAG,
    summary:
      'The link emailed to the subject of an access or portability request: an HTML page that discloses nothing by itself and offers to email a one-time code (404 unknown link, 410 after 7 days, 423 locked)',
    auth: 'none',
    params: requestParams,
    query: reportQuery,
    status: 200,
    answers: {
      200: page('The page offering to email a code'),
      404: page('An unknown link or token'),
      410: page('The link has expired (7 days)'),
      423: page('Locked after 5 wrong codes, or 10 codes sent'),
    },
  },
  reportSubmit: {
    method: 'POST',
    operationId: 'submitSubjectReportForm',
    path: '/v1/requests/{requestId}/report',
    fn: 'request-report',
    tag: TAG,
    summary:
      'Form `token` alone: emails a fresh 6-digit code (10 minutes, once) to the verified address and shows the code form. Form `token` and `code`: 303 to a presigned S3 URL of the report valid for minutes; a wrong code is the page again with 400 and the tries left, the 5th 423',
    auth: 'none',
    params: requestParams,
    body: reportForm,
    bodyEncoding: 'form',
    status: 200,
    answers: {
      200: page('A code was emailed: the page asking for it'),
      303: {
        description: 'The code is right: to a presigned S3 URL of the ZIP, valid for minutes',
        headers: ['location'],
      },
      400: page('A wrong or expired code; the page says how many tries are left'),
      404: page('An unknown link or token'),
      410: page('The link has expired (7 days)'),
      423: page('Locked after 5 wrong codes, or 10 codes sent'),
    },
  },
} as const satisfies Record<string, RouteDefinition>;
