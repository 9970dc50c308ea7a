import { FIELD_TYPES } from '../../domain/orchestration.ts';
import { definitionIssues } from '../../use-cases/orchestrations.ts';
import { id, label, listQuery, pageOf, userId, z } from '../schemas.ts';
import type { RouteDefinition } from '../route.ts';

const orgParams = z.object({ orgId: id });
const orchestrationParams = z.object({ orgId: id, orchestrationId: id });

/** Field ids are stable identifiers: they key values, field permissions and exports. */
export const fieldId = z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'Field ids are lower-case letters, digits and _ (1–64, starting with a letter)');

const fieldDefinition = z
  .strictObject({
    id: fieldId,
    label: label(200),
    type: z.enum(FIELD_TYPES),
    personal: z.boolean().default(false),
    encrypted: z.boolean().default(false),
    subject: z.boolean().default(false),
  })
  .meta({ id: 'FieldDefinition' });

const stages = z.array(label(64)).min(1).max(50);
const fields = z.array(fieldDefinition).max(100);
const roleRef = z.union([z.enum(['owner', 'admin', 'member']), id]);
const access = z.strictObject({ roles: z.array(roleRef).max(100).default([]), users: z.array(userId).max(1000).default([]) }).meta({ id: 'OrchestrationAccess' });

/** The cross-field rules (unique ids and stages, one email subject field) as schema issues with paths. */
const definitionRules = (value: { fields?: z.output<typeof fields> | undefined; stages?: z.output<typeof stages> | undefined }, ctx: z.RefinementCtx): void => {
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
    access: access.optional(),
    jobCount: z.number().int().optional().meta({ description: 'Shown to those who manage orchestrations' }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Orchestration' });

export const createOrchestrationBody = z.strictObject({ name: label(200), stages, fields, access: access.optional() }).superRefine(definitionRules);
export const updateOrchestrationBody = z
  .strictObject({ name: label(200).optional(), stages: stages.optional(), fields: fields.optional(), access: access.nullable().optional() })
  .superRefine(definitionRules)
  .refine((b) => Object.values(b).some((v) => v !== undefined), 'Nothing to change');

export const orchestrationRoutes = {
  listOrchestrations: {
    method: 'GET',
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
    path: '/v1/orgs/{orgId}/orchestrations',
    fn: 'api-orchestrations',
    tag: 'Orchestrations',
    summary: 'Create an orchestration (orchestrations.manage). Field ids are stable; at most one subject field, of type email and personal; stages unique, jobs start in the first',
    auth: 'jwt',
    params: orgParams,
    body: createOrchestrationBody,
    status: 201,
    response: orchestration,
    audit: 'orchestration.create',
  },
  getOrchestration: { method: 'GET', path: '/v1/orgs/{orgId}/orchestrations/{orchestrationId}', fn: 'api-orchestrations', tag: 'Orchestrations', summary: 'One orchestration', auth: 'jwt', params: orchestrationParams, status: 200, response: orchestration },
  updateOrchestration: {
    method: 'PATCH',
    path: '/v1/orgs/{orgId}/orchestrations/{orchestrationId}',
    fn: 'api-orchestrations',
    tag: 'Orchestrations',
    summary:
      'Change an orchestration (orchestrations.manage). While jobs exist, removing a field or a stage, or changing a field\'s type, encrypted or subject flag, answers 409 (jobs-exist); labels, names, new fields and stages, order and access may always change. `access: null` lifts the limits. Changing access is a grant: 403 when it lets anyone see the orchestration, or more of its fields, than you do',
    auth: 'jwt',
    params: orchestrationParams,
    body: updateOrchestrationBody,
    status: 200,
    response: orchestration,
    audit: 'orchestration.update',
  },
  deleteOrchestration: {
    method: 'DELETE',
    path: '/v1/orgs/{orgId}/orchestrations/{orchestrationId}',
    fn: 'api-orchestrations',
    tag: 'Orchestrations',
    summary: 'Delete an orchestration and erase its jobs (orchestrations.manage); the audit event records how many jobs were erased',
    auth: 'jwt',
    params: orchestrationParams,
    status: 200,
    response: z.object({ jobsErased: z.number().int() }),
    audit: 'orchestration.delete',
  },
} as const satisfies Record<string, RouteDefinition>;
