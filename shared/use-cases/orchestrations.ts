/**
 * Orchestrations: business-process blueprints with typed fields and ordered stages.
 *
 * Rules of a definition (checked by the route schema, so a violation is a 400 naming the path):
 * field ids are stable (`^[a-z][a-z0-9_]{0,63}$`, unique); stages are unique and ordered (jobs
 * start in the first); at most one field is the `subject`, and it must be an `email` field marked
 * `personal` (the data subject's address is personal data by definition). `encrypted` does not
 * require `personal`: confidential business data may be encrypted too, and encrypted values never
 * reach audit `changes` either way.
 *
 * Changes while jobs exist (409 `jobs-exist`, checked atomically against the job count): a field
 * may not be removed or change its type, `encrypted` or `subject` flag (stored values would no
 * longer match their definition), and no stage may be removed. Labels, names, `personal`, new
 * fields, new stages, stage order and access limits may change at any time.
 *
 * A retention rule (`retention`) may be set, changed or removed at any time; the change is
 * audited and erases nothing at once: the next clean-up cycle applies the rule in force then
 * (retention.ts), and the preview counts what it would take.
 *
 * Deleting erases the jobs for real, unless one is under legal hold (409 `jobs-held`, naming
 * them; checked atomically against the orchestration's count of held jobs): the orchestration
 * and its audit event (with the job count) are deleted in one transaction first, which makes every job of it unreachable at once (each job
 * route loads its orchestration), then the jobs are swept with batched deletes. A sweep cut short
 * is finished by the next DELETE of the same id (answered 404) or by the organization's clean-up.
 */
import { decide, permissionsOf, type Actor } from '../domain/authorization.ts';
import { ConflictError, NotFoundError, ValidationError } from '../domain/errors.ts';
import { roleHolder, type GrantChange } from '../domain/grants.ts';
import { newId } from '../domain/ids.ts';
import {
  definitionIssues,
  type FieldDefinition,
  type LegalBasis,
  type Orchestration,
  type OrchestrationAccess,
  type RetentionRule,
} from '../domain/orchestration.ts';
import { isBuiltInRole } from '../domain/permissions.ts';
import type { RequestContext } from '../domain/principal.ts';
import type { Clock } from '../ports/clock.ts';
import type { JobStore } from '../ports/jobs.ts';
import type { OrchestrationRecord, OrchestrationStore } from '../ports/orchestrations.ts';
import type { OrganizationStore } from '../ports/organizations.ts';
import type { RoleStore } from '../ports/roles.ts';
import { auditEntry, authorize, authorizeGrant, resolveScope } from './org-access.ts';

export interface OrchestrationDeps {
  readonly orgs: OrganizationStore;
  readonly roles: RoleStore;
  readonly orchestrations: OrchestrationStore;
  readonly jobs: JobStore;
  readonly clock: Clock;
}

export interface OrchestrationInput {
  readonly name: string;
  readonly stages: readonly string[];
  readonly fields: readonly FieldDefinition[];
  readonly access?: OrchestrationAccess | undefined;
  readonly retention?: RetentionRule | undefined;
  readonly purpose?: string | undefined;
  readonly legalBasis?: LegalBasis | undefined;
  readonly subjectCategory?: string | undefined;
}

/** The Art. 30 statements of an orchestration; a patch sets them, or clears them with `null`. */
const PROCESSING_KEYS = ['purpose', 'legalBasis', 'subjectCategory'] as const;
type ProcessingStatements = Pick<Orchestration, (typeof PROCESSING_KEYS)[number]>;

export interface OrchestrationPatch {
  readonly name?: string | undefined;
  readonly stages?: readonly string[] | undefined;
  readonly fields?: readonly FieldDefinition[] | undefined;
  /** `null` lifts the access limits. */
  readonly access?: OrchestrationAccess | null | undefined;
  /** `null` removes the rule. */
  readonly retention?: RetentionRule | null | undefined;
  readonly purpose?: string | null | undefined;
  readonly legalBasis?: LegalBasis | null | undefined;
  readonly subjectCategory?: string | null | undefined;
}

export interface OrchestrationView {
  readonly orchestrationId: string;
  readonly name: string;
  readonly stages: readonly string[];
  readonly fields: readonly FieldDefinition[];
  readonly access?: OrchestrationAccess;
  readonly retention?: RetentionRule;
  readonly purpose?: string;
  readonly legalBasis?: LegalBasis;
  readonly subjectCategory?: string;
  readonly jobCount?: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/**
 * What a caller sees of a definition: managers see all of it; others do not see the definitions
 * of fields hidden from them, nor the access list (who else may see it is not theirs to know).
 */
function viewOf(actor: Actor, record: OrchestrationRecord): OrchestrationView {
  const manager = permissionsOf(actor).has('orchestrations.manage');
  const decision = decide(actor, 'orchestrations.read', { kind: 'orchestration', orchestration: record });
  const mask = decision.effect === 'allow' ? decision.fieldMask : {};
  return {
    orchestrationId: record.orchestrationId,
    name: record.name,
    stages: record.stages,
    fields: manager ? record.fields : record.fields.filter((f) => (mask[f.id] ?? 'hidden') !== 'hidden'),
    ...(manager && record.access !== undefined ? { access: record.access } : {}),
    ...(record.retention === undefined ? {} : { retention: record.retention }),
    ...statementsOf(record),
    ...(manager ? { jobCount: record.jobCount } : {}),
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}

/** The statements `source` makes, leaving out those it does not (undefined or null). */
function statementsOf(source: {
  readonly [K in keyof ProcessingStatements]?: ProcessingStatements[K] | null;
}): ProcessingStatements {
  return {
    ...(source.purpose == null ? {} : { purpose: source.purpose }),
    ...(source.legalBasis == null ? {} : { legalBasis: source.legalBasis }),
    ...(source.subjectCategory == null ? {} : { subjectCategory: source.subjectCategory }),
  };
}

async function assertRolesExist(
  deps: OrchestrationDeps,
  orgId: string,
  access: OrchestrationAccess | null | undefined,
): Promise<void> {
  if (access === undefined || access === null) return;
  const custom = access.roles.filter((role) => !isBuiltInRole(role));
  if (custom.length === 0) return;
  const known = new Set((await deps.roles.list(orgId)).map((r) => r.roleId));
  const issues = access.roles.flatMap((role, i) =>
    isBuiltInRole(role) || known.has(role)
      ? []
      : [{ path: `body.access.roles.${i}`, message: 'No such role in this organization' }],
  );
  if (issues.length > 0) throw new ValidationError('Unknown role', issues);
}

/**
 * Changing who may see an orchestration is a grant (domain/grants.ts): no member, and no custom
 * role, may come to see it, or see more of its fields, than the caller does. The caller is judged
 * by the new definition as it is seen now (fields added by the change are theirs to give).
 */
async function authorizeAccessChange(
  deps: OrchestrationDeps,
  actor: Actor,
  current: Orchestration,
  next: Orchestration,
): Promise<void> {
  const [members, roles] = await Promise.all([
    deps.orgs.listMembers(current.orgId),
    deps.roles.list(current.orgId),
  ]);
  const byId = new Map(roles.map((role) => [role.roleId, role]));
  const principals: Actor[] = [
    ...members.map((membership) => {
      const customRole = byId.get(membership.role);
      return customRole === undefined ? { membership } : { membership, customRole };
    }),
    ...roles.map(roleHolder),
  ];
  const { access: _nextAccess, ...definition } = next;
  const asSeenNow: Orchestration = {
    ...definition,
    ...(current.access === undefined ? {} : { access: current.access }),
  };
  const changes: GrantChange[] = principals.map((principal) => ({
    before: { actor: principal, orchestrations: [current] },
    after: { actor: principal, orchestrations: [next] },
  }));
  authorizeGrant({ actor, orchestrations: [asSeenNow] }, changes);
}

/** Why `next` may not replace `current` while jobs exist, or undefined when it may. */
export function breakingChange(
  current: Orchestration,
  next: Pick<Orchestration, 'fields' | 'stages'>,
): string | undefined {
  const nextFields = new Map(next.fields.map((f) => [f.id, f]));
  for (const field of current.fields) {
    const after = nextFields.get(field.id);
    if (after === undefined) return `field ${field.id} is removed`;
    if (after.type !== field.type) return `field ${field.id} changes its type`;
    if (after.encrypted !== field.encrypted) return `field ${field.id} changes its encrypted flag`;
    if (after.subject !== field.subject) return `field ${field.id} changes its subject flag`;
  }
  const removedStage = current.stages.find((s) => !next.stages.includes(s));
  return removedStage === undefined ? undefined : `stage ${removedStage} is removed`;
}

export async function listOrchestrations(
  deps: OrchestrationDeps,
  ctx: RequestContext,
  orgId: string,
): Promise<OrchestrationView[]> {
  const { actor } = await resolveScope(deps.orgs, ctx, orgId);
  authorize(actor, 'orchestrations.read');
  const all = await deps.orchestrations.list(orgId);
  return all
    .filter(
      (o) =>
        decide(actor, 'orchestrations.read', { kind: 'orchestration', orchestration: o }).effect === 'allow',
    )
    .map((o) => viewOf(actor, o));
}

export async function getOrchestration(
  deps: OrchestrationDeps,
  ctx: RequestContext,
  orgId: string,
  orchestrationId: string,
): Promise<OrchestrationView> {
  const { actor } = await resolveScope(deps.orgs, ctx, orgId);
  const record = await deps.orchestrations.get(orgId, orchestrationId);
  if (record === undefined) throw new NotFoundError('orchestration');
  authorize(actor, 'orchestrations.read', { kind: 'orchestration', orchestration: record });
  return viewOf(actor, record);
}

export async function createOrchestration(
  deps: OrchestrationDeps,
  ctx: RequestContext,
  orgId: string,
  input: OrchestrationInput,
): Promise<OrchestrationView> {
  const { actor } = await resolveScope(deps.orgs, ctx, orgId);
  authorize(actor, 'orchestrations.manage');
  await assertRolesExist(deps, orgId, input.access);
  const now = deps.clock.now().toISOString();
  const orchestration: Orchestration = {
    orgId,
    orchestrationId: newId(),
    name: input.name,
    stages: input.stages,
    fields: input.fields,
    ...(input.access === undefined ? {} : { access: input.access }),
    ...(input.retention === undefined ? {} : { retention: input.retention }),
    ...statementsOf(input),
    createdAt: now,
    updatedAt: now,
    createdBy: ctx.principal.userId,
  };
  const record = await deps.orchestrations.create(
    orchestration,
    auditEntry(ctx, {
      orgId,
      action: 'orchestration.create',
      resource: { type: 'orchestration', id: orchestration.orchestrationId },
      changes: {
        fields: [
          'name',
          'stages',
          'fields',
          ...(input.access ? ['access'] : []),
          ...(input.retention ? ['retention'] : []),
          ...PROCESSING_KEYS.filter((key) => input[key] !== undefined),
        ],
        values: { name: input.name, ...retentionValues(input.retention), ...statementsOf(input) },
      },
    }),
  );
  return viewOf(actor, record);
}

export async function updateOrchestration(
  deps: OrchestrationDeps,
  ctx: RequestContext,
  orgId: string,
  orchestrationId: string,
  patch: OrchestrationPatch,
): Promise<OrchestrationView> {
  const { actor } = await resolveScope(deps.orgs, ctx, orgId);
  const current = await deps.orchestrations.get(orgId, orchestrationId);
  if (current === undefined) throw new NotFoundError('orchestration');
  authorize(actor, 'orchestrations.manage', { kind: 'orchestration', orchestration: current });
  await assertRolesExist(deps, orgId, patch.access);
  const {
    revision: _revision,
    jobCount: _jobCount,
    heldCount: _heldCount,
    access: currentAccess,
    retention: currentRetention,
    purpose: _purpose,
    legalBasis: _legalBasis,
    subjectCategory: _subjectCategory,
    ...base
  } = current;
  const access = patch.access === null ? undefined : (patch.access ?? currentAccess);
  const retention = patch.retention === null ? undefined : (patch.retention ?? currentRetention);
  const statements = statementsOf({
    purpose: patch.purpose === undefined ? current.purpose : patch.purpose,
    legalBasis: patch.legalBasis === undefined ? current.legalBasis : patch.legalBasis,
    subjectCategory: patch.subjectCategory === undefined ? current.subjectCategory : patch.subjectCategory,
  });
  const next: Orchestration = {
    ...base,
    ...statements,
    name: patch.name ?? current.name,
    stages: patch.stages ?? current.stages,
    fields: patch.fields ?? current.fields,
    ...(access === undefined ? {} : { access }),
    ...(retention === undefined ? {} : { retention }),
    updatedAt: deps.clock.now().toISOString(),
  };
  validateDefinition(next);
  if (patch.access !== undefined) await authorizeAccessChange(deps, actor, current, next);
  const breaking = breakingChange(current, next);
  if (breaking !== undefined && current.jobCount > 0) {
    throw new ConflictError(
      `Jobs exist in this orchestration, so this change is refused: ${breaking}`,
      'jobs-exist',
    );
  }
  const changed = (['name', 'stages', 'fields', 'access', 'retention', ...PROCESSING_KEYS] as const).filter(
    (key) => patch[key] !== undefined,
  );
  // Names, the retention rule and the Art. 30 statements describe the processing, not a person:
  // their new values (null: cleared) are kept with the change.
  const values: Record<string, string | number | null> = {
    ...(patch.retention === undefined ? {} : retentionValues(patch.retention)),
  };
  if (patch.name !== undefined) values.name = patch.name;
  for (const key of PROCESSING_KEYS) if (patch[key] !== undefined) values[key] = patch[key];
  const updated = await deps.orchestrations.update(
    next,
    current.revision,
    { requireNoJobs: breaking !== undefined },
    auditEntry(ctx, {
      orgId,
      action: 'orchestration.update',
      resource: { type: 'orchestration', id: orchestrationId },
      changes: { fields: changed, ...(Object.keys(values).length === 0 ? {} : { values }) },
    }),
  );
  return viewOf(actor, updated);
}

export async function deleteOrchestration(
  deps: OrchestrationDeps,
  ctx: RequestContext,
  orgId: string,
  orchestrationId: string,
): Promise<{ jobsErased: number }> {
  const { actor } = await resolveScope(deps.orgs, ctx, orgId);
  const current = await deps.orchestrations.get(orgId, orchestrationId);
  if (current === undefined) {
    // Finish a sweep an earlier delete could not complete; for anyone else there is nothing here.
    if (permissionsOf(actor).has('orchestrations.manage')) await deps.jobs.sweep(orgId, orchestrationId);
    throw new NotFoundError('orchestration');
  }
  authorize(actor, 'orchestrations.manage', { kind: 'orchestration', orchestration: current });
  if ((current.heldCount ?? 0) > 0) {
    const held = await deps.jobs.heldJobIds(orgId, orchestrationId, HELD_JOBS_NAMED);
    throw new ConflictError(
      `Jobs of this orchestration are under legal hold; lift their holds first: ${held.join(', ')}`,
      'jobs-held',
    );
  }
  await deps.orchestrations.delete(
    current,
    auditEntry(ctx, {
      orgId,
      action: 'orchestration.delete',
      resource: { type: 'orchestration', id: orchestrationId },
      detail: { jobs: current.jobCount },
    }),
  );
  const swept = await deps.jobs.sweep(orgId, orchestrationId);
  return { jobsErased: Math.max(swept, current.jobCount) };
}

/** How many held jobs a refused deletion names (the count of the rest is in the orchestration). */
const HELD_JOBS_NAMED = 50;

/** A rule as audit values (flat, no personal data); `null` records its removal. */
function retentionValues(rule: RetentionRule | null | undefined): Record<string, string | number | null> {
  if (rule === undefined) return {};
  if (rule === null) return { retention: null };
  return { retentionDays: rule.days, retentionFrom: rule.from, retentionAction: rule.action };
}

/**
 * The cross-field rules of a definition that a PATCH can break by changing one part (the create
 * schema checks them too, so a POST reports them with their paths).
 */
export function validateDefinition(o: Pick<Orchestration, 'fields' | 'stages'>): void {
  const issues = definitionIssues(o);
  if (issues.length > 0) throw new ValidationError('The orchestration definition is not valid', issues);
}
