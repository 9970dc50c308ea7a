import { id, listQuery, pageOf, z } from '../schemas.ts';
import type { RouteDefinition } from '../route.ts';
import { fieldId } from './orchestrations.ts';
import { restrictionReason } from './subjects.ts';

const orchestrationParams = z.object({ orgId: id, orchestrationId: id });
const jobParams = z.object({ orgId: id, jobId: id });

/** Values are checked against their field's type by the use case; here only their JSON shape. */
const value = z.union([z.string().max(10_000), z.number().finite()]);
/** Strict bodies: `ownerId`, `orgId`, `restricted`, `version` (mass assignment) are a 400. */
export const createJobBody = z.strictObject({ fields: z.record(fieldId, value) });
export const updateJobBody = z.strictObject({ fields: z.record(fieldId, value.nullable()).meta({ description: 'null clears a value' }) });
export const transitionBody = z.strictObject({ stage: z.string().min(1).max(64) });

export const job = z
  .object({
    jobId: z.string(),
    orchestrationId: z.string(),
    ownerId: z.string(),
    stage: z.string(),
    fields: z.record(z.string(), z.union([z.string(), z.number()])).meta({ description: 'Fields hidden from the caller are absent' }),
    restricted: z.boolean(),
    legalHold: z.object({ reason: z.string(), at: z.string(), by: z.string() }).optional().meta({ description: 'Present while the job is under legal hold' }),
    version: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Job' });

export const restrictionBody = z.strictObject({ reason: restrictionReason });

export const restrictionState = z
  .object({
    jobId: z.string(),
    restricted: z.boolean(),
    restriction: z.object({ reason: z.string(), at: z.string(), by: z.string() }).optional(),
    version: z.number().int(),
  })
  .meta({ id: 'JobRestriction' });

/** The reason is audited like a restriction's, so the same rule applies: no email address. */
export const holdBody = z.strictObject({ reason: restrictionReason });
export const holdLiftBody = z.strictObject({ reason: restrictionReason.optional() }).optional();

export const holdState = z
  .object({
    jobId: z.string(),
    held: z.boolean(),
    legalHold: z.object({ reason: z.string(), at: z.string(), by: z.string() }).optional(),
    version: z.number().int(),
  })
  .meta({ id: 'JobHold' });

const etagNote = 'The ETag header carries the version; send it as If-Match to change only what you read (412 when stale).';

export const jobRoutes = {
  createJob: {
    method: 'POST',
    path: '/v1/orgs/{orgId}/orchestrations/{orchestrationId}/jobs',
    fn: 'api-jobs',
    tag: 'Jobs',
    summary: 'Create a job in the first stage; the caller owns it. Values are validated against their field types (400 naming the field)',
    auth: 'jwt',
    params: orchestrationParams,
    body: createJobBody,
    status: 201,
    response: job,
    audit: 'job.create',
  },
  listJobs: {
    method: 'GET',
    path: '/v1/orgs/{orgId}/orchestrations/{orchestrationId}/jobs',
    fn: 'api-jobs',
    tag: 'Jobs',
    summary: 'Jobs of an orchestration, oldest first: all of them with jobs.read_all, otherwise the caller\'s own',
    auth: 'jwt',
    params: orchestrationParams,
    query: listQuery,
    status: 200,
    response: pageOf(job),
  },
  getJob: { method: 'GET', path: '/v1/orgs/{orgId}/jobs/{jobId}', fn: 'api-jobs', tag: 'Jobs', summary: `One job. ${etagNote}`, auth: 'jwt', params: jobParams, status: 200, response: job },
  updateJob: {
    method: 'PATCH',
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
  },
  deleteJob: { method: 'DELETE', path: '/v1/orgs/{orgId}/jobs/{jobId}', fn: 'api-jobs', tag: 'Jobs', summary: 'Erase a job (jobs.delete; restricted job: 409, held job: 409 `/held`)', auth: 'jwt', params: jobParams, status: 204, audit: 'job.delete' },
  transitionJob: {
    method: 'POST',
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
  },
  restrictJob: {
    method: 'PUT',
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
  },
  liftRestriction: {
    method: 'DELETE',
    path: '/v1/orgs/{orgId}/jobs/{jobId}/restriction',
    fn: 'api-jobs',
    tag: 'Jobs',
    summary:
      'Lift the restriction of a job (records.restrict), with the reason in the body (it is personal context, so never in the URL); audited with that reason. 409 (`/not-restricted`) when the job is not restricted',
    auth: 'jwt',
    params: jobParams,
    body: restrictionBody,
    status: 200,
    response: restrictionState,
    audit: 'job.restriction_lift',
  },
  placeHold: {
    method: 'PUT',
    path: '/v1/orgs/{orgId}/jobs/{jobId}/hold',
    fn: 'api-jobs',
    tag: 'Jobs',
    summary:
      'Place a legal hold on a job (Art. 17(3)(e), records.hold): it is kept whatever retention, a subject\'s erasure request, its deletion or its orchestration\'s deletion would do (the last two answer 409); deleting the organization still erases it. Holding again replaces the reason. The reason is audited and may not contain an email address',
    auth: 'jwt',
    params: jobParams,
    body: holdBody,
    status: 200,
    response: holdState,
    audit: 'job.hold',
  },
  liftHold: {
    method: 'DELETE',
    path: '/v1/orgs/{orgId}/jobs/{jobId}/hold',
    fn: 'api-jobs',
    tag: 'Jobs',
    summary: 'Lift the legal hold of a job (records.hold); the body, with a reason to audit, is optional. 409 (`/not-held`) when the job is not held',
    auth: 'jwt',
    params: jobParams,
    body: holdLiftBody,
    status: 200,
    response: holdState,
    audit: 'job.hold_lift',
  },
} as const satisfies Record<string, RouteDefinition>;
