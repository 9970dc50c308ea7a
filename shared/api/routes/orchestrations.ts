import {
  definitionIssues,
  FIELD_TYPES,
  LEGAL_BASES,
  RETENTION_ACTIONS,
  RETENTION_BASES,
} from '../../domain/orchestration.ts';
import * as z from 'zod/mini';
import { id, label, listQuery, pageOf, userId } from '../schemas.ts';
import type { RouteDefinition } from '../route.ts';

const orgParams = z.object({ orgId: id });
const orchestrationParams = z.object({ orgId: id, orchestrationId: id });

/** Field ids are stable identifiers: they key values, field permissions and exports. */
export const fieldId = z
  .string()
  .check(
    z.regex(
      /^[a-z][a-z0-9_]{0,63}$/,
      'Field ids are lower-case letters, digits and _ (1–64, starting with a letter)',
    ),
  );

/** A field as a client sends it: the flags default to false. */
const fieldDefinitionInput = z
  .strictObject({
    id: fieldId,
    label: label(200),
    type: z.enum(FIELD_TYPES),
    personal: z._default(z.boolean(), false),
    encrypted: z._default(z.boolean(), false),
    subject: z._default(z.boolean(), false),
  })
  .check(z.meta({ id: 'FieldDefinitionInput' }));

/** A field as the service answers it: every flag present. */
const fieldDefinition = z
  .object({
    id: z.string(),
    label: z.string(),
    type: z.enum(FIELD_TYPES),
    personal: z.boolean(),
    encrypted: z.boolean(),
    subject: z.boolean(),
  })
  .check(z.meta({ id: 'FieldDefinition' }));

const stages = z.array(label(64)).check(z.minLength(1), z.maxLength(50));
const fields = z.array(fieldDefinitionInput).check(z.maxLength(100));
const roleRef = z.union([z.enum(['owner', 'admin', 'member']), id]);
const accessInput = z
  .strictObject({
    roles: z._default(z.array(roleRef).check(z.maxLength(100)), []),
    users: z._default(z.array(userId).check(z.maxLength(1000)), []),
  })
  .check(z.meta({ id: 'OrchestrationAccessInput' }));
const access = z
  .object({ roles: z.array(z.string()), users: z.array(z.string()) })
  .check(z.meta({ id: 'OrchestrationAccess' }));

/** Up to 100 years: long enough for any statutory period, short enough that dates stay dates. */
const retention = z
  .strictObject({
    days: z.number().check(z.int(), z.minimum(1), z.maximum(36_500)),
    from: z
      .enum(RETENTION_BASES)
      .check(
        z.meta({ description: 'created, last updated, or entered the final stage (the last of `stages`)' }),
      ),
    action: z.enum(RETENTION_ACTIONS).check(
      z.meta({
        description: 'delete the job, or anonymize it (personal fields and the subject link removed)',
      }),
    ),
  })
  .check(
    z.meta({
      id: 'RetentionRule',
      description: 'Applied by the clean-up cycle; jobs under legal hold are kept',
    }),
  );

/** What the record of processing (Art. 30) says of an orchestration; each optional, "not stated" when absent. */
const processing = {
  purpose: label(500).check(z.meta({ description: 'Why the jobs are processed (Art. 30(1)(b))' })),
  legalBasis: z.enum(LEGAL_BASES).check(z.meta({ description: 'The lawful basis of GDPR Art. 6(1)' })),
  subjectCategory: label(200).check(
    z.meta({
      description: 'Whom the jobs are about, e.g. "customers" (Art. 30(1)(c))',
    }),
  ),
};

/** The cross-field rules (unique ids and stages, one email subject field) as schema issues with paths. */
const definitionRules = (
  value: { fields?: z.output<typeof fields> | undefined; stages?: z.output<typeof stages> | undefined },
  ctx: z.core.$RefinementCtx,
): void => {
  for (const issue of definitionIssues({ fields: value.fields ?? [], stages: value.stages ?? ['-'] })) {
    ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path.split('.').slice(1) });
  }
};

export const orchestration = z
  .object({
    orchestrationId: z.string(),
    name: z.string(),
    stages: z.array(z.string()),
    fields: z.array(fieldDefinition),
    access: z.optional(access),
    retention: z.optional(retention),
    purpose: z.optional(z.string()),
    legalBasis: z.optional(z.enum(LEGAL_BASES)),
    subjectCategory: z.optional(z.string()),
    jobCount: z
      .optional(z.number().check(z.int()))
      .check(z.meta({ description: 'Shown to those who manage orchestrations' })),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .check(z.meta({ id: 'Orchestration' }));

export const createOrchestrationBody = z
  .strictObject({
    name: label(200),
    stages,
    fields,
    access: z.optional(accessInput),
    retention: z.optional(retention),
    purpose: z.optional(processing.purpose),
    legalBasis: z.optional(processing.legalBasis),
    subjectCategory: z.optional(processing.subjectCategory),
  })
  .check(z.superRefine(definitionRules));
export const updateOrchestrationBody = z
  .strictObject({
    name: z.optional(label(200)),
    stages: z.optional(stages),
    fields: z.optional(fields),
    access: z.optional(z.nullable(accessInput)),
    retention: z.optional(z.nullable(retention)),
    purpose: z.optional(z.nullable(processing.purpose)),
    legalBasis: z.optional(z.nullable(processing.legalBasis)),
    subjectCategory: z.optional(z.nullable(processing.subjectCategory)),
  })
  .check(
    z.superRefine(definitionRules),
    z.refine((b) => Object.values(b).some((v) => v !== undefined), 'Nothing to change'),
  );

export const orchestrationRoutes = {
  listOrchestrations: {
    method: 'GET',
    operationId: 'listOrchestrations',
    path: '/v1/orgs/{orgId}/orchestrations',
    fn: 'api-orchestrations',
    tag: 'Orchestrations',
    summary: 'Orchestrations the caller may see (access limits hide others; owners and admins see all)',
    auth: 'jwt',
    params: orgParams,
    query: listQuery,
    status: 200,
    response: pageOf(orchestration),
  },
  createOrchestration: {
    method: 'POST',
    operationId: 'createOrchestration',
    path: '/v1/orgs/{orgId}/orchestrations',
    fn: 'api-orchestrations',
    tag: 'Orchestrations',
    summary:
      'Create an orchestration (orchestrations.manage). Field ids are stable; at most one subject field, of type email and personal; stages unique, jobs start in the first',
    auth: 'jwt',
    params: orgParams,
    body: createOrchestrationBody,
    status: 201,
    response: orchestration,
    audit: 'orchestration.create',
    example: {
      name: 'Repairs',
      stages: ['received', 'repairing', 'done'],
      fields: [
        {
          id: 'customer_email',
          label: 'Customer email',
          type: 'email',
          personal: true,
          encrypted: true,
          subject: true,
        },
        { id: 'customer_name', label: 'Customer name', type: 'text', personal: true },
        { id: 'device', label: 'Device', type: 'text' },
      ],
    },
  },
  getOrchestration: {
    method: 'GET',
    operationId: 'getOrchestration',
    path: '/v1/orgs/{orgId}/orchestrations/{orchestrationId}',
    fn: 'api-orchestrations',
    tag: 'Orchestrations',
    summary: 'One orchestration',
    auth: 'jwt',
    params: orchestrationParams,
    status: 200,
    response: orchestration,
  },
  updateOrchestration: {
    method: 'PATCH',
    operationId: 'updateOrchestration',
    path: '/v1/orgs/{orgId}/orchestrations/{orchestrationId}',
    fn: 'api-orchestrations',
    tag: 'Orchestrations',
    summary:
      "Change an orchestration (orchestrations.manage). While jobs exist, removing a field or a stage, or changing a field's type, encrypted or subject flag, answers 409 (jobs-exist); labels, names, new fields and stages, order, access, retention, purpose, legal basis and subject category may always change. `access: null` lifts the limits, `retention: null` the rule; `null` clears purpose, legalBasis or subjectCategory. A changed rule erases nothing at once: the next clean-up cycle applies it (see the preview). Changing access is a grant: 403 when it lets anyone see the orchestration, or more of its fields, than you do",
    auth: 'jwt',
    params: orchestrationParams,
    body: updateOrchestrationBody,
    status: 200,
    response: orchestration,
    audit: 'orchestration.update',
    answers: {
      409: 'Jobs exist and the change would break them (`/jobs-exist`), or the orchestration changed at the same time',
    },
    example: {
      stages: ['received', 'repairing', 'waiting for parts', 'done'],
      access: { roles: ['admin'], users: [] },
    },
  },
  deleteOrchestration: {
    method: 'DELETE',
    operationId: 'deleteOrchestration',
    path: '/v1/orgs/{orgId}/orchestrations/{orchestrationId}',
    fn: 'api-orchestrations',
    tag: 'Orchestrations',
    summary:
      'Delete an orchestration and erase its jobs (orchestrations.manage); the audit event records how many jobs were erased. 409 (`/jobs-held`) naming the jobs under legal hold, if any',
    auth: 'jwt',
    params: orchestrationParams,
    status: 200,
    response: z.object({ jobsErased: z.number().check(z.int()) }),
    audit: 'orchestration.delete',
    answers: {
      409: 'Jobs of the orchestration are under a legal hold (`type` ends in `/jobs-held`; the detail names them)',
    },
  },
  previewRetention: {
    method: 'GET',
    operationId: 'previewRetention',
    path: '/v1/orgs/{orgId}/orchestrations/{orchestrationId}/retention/preview',
    fn: 'api-orchestrations',
    tag: 'Orchestrations',
    summary:
      'How many jobs the next clean-up cycle would erase or anonymize under the current rule, held jobs excluded (orchestrations.manage); 0 without a rule',
    auth: 'jwt',
    params: orchestrationParams,
    status: 200,
    response: z
      .object({ due: z.number().check(z.int(), z.minimum(0)) })
      .check(z.meta({ id: 'RetentionPreview' })),
  },
} as const satisfies Record<string, RouteDefinition>;
