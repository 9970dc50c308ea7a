import * as z from 'zod/mini';
import { id, listQuery, pageOf } from '../schemas.ts';
import { isStorableNumber, MAX_MAGNITUDE, STORABLE_NUMBER_RULE } from '../../domain/storable-number.ts';
import type { RouteDefinition } from '../route.ts';
import { fieldId } from './orchestrations.ts';
import { restrictionReason } from './subjects.ts';

const orchestrationParams = z.object({ orgId: id, orchestrationId: id });
const jobParams = z.object({ orgId: id, jobId: id });

/** Values are checked against their field's type by the use case; here their JSON shape, and numbers the store can hold. */
const outOfRange = { message: STORABLE_NUMBER_RULE, abort: true };
const storableNumber = z
  .number()
  .check(
    z.gt(-MAX_MAGNITUDE, outOfRange),
    z.lt(MAX_MAGNITUDE, outOfRange),
    z.refine(isStorableNumber, STORABLE_NUMBER_RULE),
    z.meta({ description: STORABLE_NUMBER_RULE }),
  );
const value = z.union([z.string().check(z.maxLength(10_000)), storableNumber]);
/** Strict bodies: `ownerId`, `orgId`, `restricted`, `version` (mass assignment) are a 400. */
export const createJobBody = z.strictObject({ fields: z.record(fieldId, value) });
export const updateJobBody = z.strictObject({
  fields: z.record(fieldId, z.nullable(value)).check(z.meta({ description: 'null clears a value' })),
});
export const transitionBody = z.strictObject({ stage: z.string().check(z.minLength(1), z.maxLength(64)) });

export const job = z
  .object({
    jobId: z.string(),
    orchestrationId: z.string(),
    ownerId: z.string(),
    stage: z.string(),
    fields: z
      .record(z.string(), z.union([z.string(), z.number()]))
      .check(z.meta({ description: 'Fields hidden from the caller are absent' })),
    restricted: z.boolean(),
    legalHold: z
      .optional(z.object({ reason: z.string(), at: z.string(), by: z.string() }))
      .check(z.meta({ description: 'Present while the job is under legal hold' })),
    version: z.number().check(z.int()),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .check(z.meta({ id: 'Job' }));

export const restrictionBody = z.strictObject({ reason: restrictionReason });
/** Lifting works without a body (clients and proxies drop DELETE bodies); a reason given is recorded. */
export const liftRestrictionBody = z.optional(z.strictObject({ reason: z.optional(restrictionReason) }));

export const restrictionState = z
  .object({
    jobId: z.string(),
    restricted: z.boolean(),
    restriction: z.optional(z.object({ reason: z.string(), at: z.string(), by: z.string() })),
    version: z.number().check(z.int()),
  })
  .check(z.meta({ id: 'JobRestriction' }));

/** The reason is audited like a restriction's, so the same rule applies: no email address. */
export const holdBody = z.strictObject({ reason: restrictionReason });
export const holdLiftBody = z.optional(z.strictObject({ reason: z.optional(restrictionReason) }));

export const holdState = z
  .object({
    jobId: z.string(),
    held: z.boolean(),
    legalHold: z.optional(z.object({ reason: z.string(), at: z.string(), by: z.string() })),
    version: z.number().check(z.int()),
  })
  .check(z.meta({ id: 'JobHold' }));

const etagNote =
  'The ETag header carries the version; send it as If-Match to change only what you read (412 when stale).';
/** Answers that carry the job's version. */
const withEtag = { description: 'OK; the ETag header carries the version', headers: ['etag'] } as const;
const stale = 'If-Match names another version: the job changed since you read it';
const restricted =
  'The job is restricted (`type` ends in `/restricted`), or changed by others at the same time';

export const jobRoutes = {
  createJob: {
    method: 'POST',
    operationId: 'createJob',
    path: '/v1/orgs/{orgId}/orchestrations/{orchestrationId}/jobs',
    fn: 'api-jobs',
    tag: 'Jobs',
    summary:
      'Create a job in the first stage; the caller owns it. Values are validated against their field types (400 naming the field)',
    auth: 'jwt',
    params: orchestrationParams,
    body: createJobBody,
    status: 201,
    response: job,
    audit: 'job.create',
    answers: { 201: { ...withEtag, description: 'Created; the ETag header carries the version' } },
    example: { fields: { device: 'Phone, cracked screen', customer_email: 'jane.roe@example.net' } },
  },
  listJobs: {
    method: 'GET',
    operationId: 'listJobs',
    path: '/v1/orgs/{orgId}/orchestrations/{orchestrationId}/jobs',
    fn: 'api-jobs',
    tag: 'Jobs',
    summary:
      "Jobs of an orchestration, oldest first: all of them with jobs.read_all, otherwise the caller's own",
    auth: 'jwt',
    params: orchestrationParams,
    query: listQuery,
    status: 200,
    response: pageOf(job),
  },
  getJob: {
    method: 'GET',
    operationId: 'getJob',
    path: '/v1/orgs/{orgId}/jobs/{jobId}',
    fn: 'api-jobs',
    tag: 'Jobs',
    summary: `One job. ${etagNote}`,
    auth: 'jwt',
    params: jobParams,
    status: 200,
    response: job,
    answers: { 200: withEtag },
  },
  updateJob: {
    method: 'PATCH',
    operationId: 'updateJob',
    path: '/v1/orgs/{orgId}/jobs/{jobId}',
    fn: 'api-jobs',
    tag: 'Jobs',
    summary: `Rectify a job's fields (read-only fields: 403; restricted job: 409). ${etagNote}`,
    auth: 'jwt',
    params: jobParams,
    body: updateJobBody,
    status: 200,
    response: job,
    audit: 'job.update',
    answers: { 200: withEtag, 409: restricted, 412: stale },
    example: { fields: { device: 'Phone, cracked screen and battery', notes: null } },
  },
  deleteJob: {
    method: 'DELETE',
    operationId: 'deleteJob',
    path: '/v1/orgs/{orgId}/jobs/{jobId}',
    fn: 'api-jobs',
    tag: 'Jobs',
    summary: 'Erase a job (jobs.delete; restricted job: 409, held job: 409 `/held`)',
    auth: 'jwt',
    params: jobParams,
    status: 204,
    audit: 'job.delete',
    answers: {
      409: 'The job is restricted (`type` ends in `/restricted`) or under a legal hold (`/held`), or changed by others at the same time',
      412: stale,
    },
  },
  transitionJob: {
    method: 'POST',
    operationId: 'transitionJob',
    path: '/v1/orgs/{orgId}/jobs/{jobId}/transition',
    fn: 'api-jobs',
    tag: 'Jobs',
    summary: `Move a job to another stage of its orchestration (same rules as editing). ${etagNote}`,
    auth: 'jwt',
    params: jobParams,
    body: transitionBody,
    status: 200,
    response: job,
    audit: 'job.transition',
    answers: { 200: withEtag, 409: restricted, 412: stale },
    example: { stage: 'repairing' },
  },
  restrictJob: {
    method: 'PUT',
    operationId: 'restrictJob',
    path: '/v1/orgs/{orgId}/jobs/{jobId}/restriction',
    fn: 'api-jobs',
    tag: 'Jobs',
    summary:
      'Restrict processing of a job (Art. 18, records.restrict): it stays stored and readable, but editing, transitions, deletion, sharing and exports by anyone but an owner answer 409 (`/restricted`). Restricting again replaces the reason. The reason is audited and may not contain an email address',
    auth: 'jwt',
    params: jobParams,
    body: restrictionBody,
    status: 200,
    response: restrictionState,
    audit: 'job.restrict',
    answers: { 200: withEtag },
    example: { reason: 'The customer contests the accuracy of the device details' },
  },
  liftRestriction: {
    method: 'DELETE',
    operationId: 'liftJobRestriction',
    path: '/v1/orgs/{orgId}/jobs/{jobId}/restriction',
    fn: 'api-jobs',
    tag: 'Jobs',
    summary:
      'Lift the restriction of a job (records.restrict). The body is optional: a reason, when given, goes in the body (it is personal context, so never in the URL) and is audited; without a body the lift is audited without one. 409 (`/not-restricted`) when the job is not restricted',
    auth: 'jwt',
    params: jobParams,
    body: liftRestrictionBody,
    status: 200,
    response: restrictionState,
    audit: 'job.restriction_lift',
    answers: {
      200: withEtag,
      409: 'The job is not restricted (`type` ends in `/not-restricted`), or changed by others at the same time',
    },
    example: { reason: 'Accuracy confirmed with the customer' },
  },
  placeHold: {
    method: 'PUT',
    operationId: 'placeJobHold',
    path: '/v1/orgs/{orgId}/jobs/{jobId}/hold',
    fn: 'api-jobs',
    tag: 'Jobs',
    summary:
      "Place a legal hold on a job (Art. 17(3)(e), records.hold): it is kept whatever retention, a subject's erasure request, its deletion or its orchestration's deletion would do (the last two answer 409); deleting the organization still erases it. Holding again replaces the reason. The reason is audited and may not contain an email address",
    auth: 'jwt',
    params: jobParams,
    body: holdBody,
    status: 200,
    response: holdState,
    audit: 'job.hold',
    example: { reason: 'Litigation hold: warranty claim 2026-118' },
  },
  liftHold: {
    method: 'DELETE',
    operationId: 'liftJobHold',
    path: '/v1/orgs/{orgId}/jobs/{jobId}/hold',
    fn: 'api-jobs',
    tag: 'Jobs',
    summary:
      'Lift the legal hold of a job (records.hold); the body, with a reason to audit, is optional. 409 (`/not-held`) when the job is not held',
    auth: 'jwt',
    params: jobParams,
    body: holdLiftBody,
    status: 200,
    response: holdState,
    audit: 'job.hold_lift',
    answers: { 409: 'The job is not held (`type` ends in `/not-held`)' },
    example: { reason: 'The claim was settled' },
  },
} as const satisfies Record<string, RouteDefinition>;
