/**
 * Jobs: the records that carry an organization's customer data. Every read goes through the
 * authorization decision (hidden fields are never opened, let alone returned); every change of
 * an existing job goes through `processJob`, the one path that refuses restricted jobs
 * (`assertProcessable`), honours If-Match and writes conditionally on the job's version, so no
 * update is lost and later processing paths (sharing, exports) reuse the same guard.
 */
import { jobListScope, unwritableField, type Action, type FieldMask } from '../domain/authorization.ts';
import type { Cursors, CursorScope } from '../domain/cursor.ts';
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  PreconditionFailedError,
  ValidationError,
} from '../domain/errors.ts';
import { newId } from '../domain/ids.ts';
import type { FieldValue, LegalHold } from '../domain/orchestration.ts';
import type { RequestContext } from '../domain/principal.ts';
import type { AccessReads, DecisionInputs, Unchanged } from '../ports/access-reads.ts';
import type { AuditDraft } from '../ports/audit.ts';
import { JobWriteConflict, type StoredJob } from '../ports/jobs.ts';
import type { OrchestrationRecord } from '../ports/orchestrations.ts';
import { changesOf, openValues, sealValues, validateFieldValues } from './job-fields.ts';
import { assertProcessable, type ProcessingOperation } from './restriction.ts';
import type { JobOrchestrations } from './job-orchestrations.ts';
import type { PagePosition } from '../ports/page.ts';
import type { GuardedAudit, RecordsContext } from './records-context.ts';
import type { RememberedInputs } from './remembered-inputs.ts';
import {
  cryptoOf,
  auditActorOf,
  auditEntry,
  successDraft,
  authorize,
  customRoleOf,
  memberOfOpenOrg,
  type OrgScope,
} from './org-access.ts';
import { dispatchNotices, planNotices, type RecipientDeps } from './recipient-notices.ts';
import type { NoticeBatch } from '../ports/notice-queue.ts';

export interface JobDeps extends RecordsContext {
  /** The reads of a decision over jobs, batched into one round trip. */
  readonly access: AccessReads;
  readonly jobOrchestrations: JobOrchestrations;
  readonly audit: GuardedAudit;
  readonly cursors: Cursors;
}

/** What a list needs besides: the inputs of this instance's earlier list decisions (only api-jobs lists). */
export interface JobListDeps extends JobDeps {
  readonly rememberedInputs: RememberedInputs;
}

export interface JobView {
  readonly jobId: string;
  readonly orchestrationId: string;
  readonly ownerId: string;
  readonly stage: string;
  readonly fields: Readonly<Record<string, FieldValue>>;
  readonly restricted: boolean;
  readonly legalHold?: LegalHold;
  readonly version: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** A view and the ETag of the version it shows. */
export interface VersionedJob {
  readonly job: JobView;
  readonly etag: string;
}

/** How often a write without If-Match re-reads and retries after losing a race. */
const MAX_WRITE_ATTEMPTS = 3;

export const etagOf = (version: number): string => `"${version}"`;

/**
 * The guard every processing path passes through lives in restriction.ts (with the registry of
 * processing operations); re-exported here for the paths that reach it through the jobs module.
 */
export { assertProcessable } from './restriction.ts';

/** If-Match (RFC 9110): `*` or a list of (possibly weak) entity tags; undefined when absent. */
function matchesIfMatch(ifMatch: string | undefined, version: number): boolean {
  if (ifMatch === undefined) return true;
  const wanted = ifMatch.trim();
  if (wanted === '*') return true;
  return wanted.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etagOf(version));
}

interface LoadedJob {
  readonly scope: OrgScope;
  readonly orchestration: OrchestrationRecord;
  readonly job: StoredJob;
  readonly mask: FieldMask;
}

/** The job, its orchestration and the caller's field mask for `action`; 404/403 as the decision says. */
async function loadJob(
  deps: JobDeps,
  ctx: RequestContext,
  orgId: string,
  jobId: string,
  action: Action,
): Promise<LoadedJob> {
  // One batched read: the organization, the caller's membership, the job, and its orchestration
  // when this instance already knows which one that is. Nothing of the job leaves before the decision below.
  const knownOrchestration = deps.jobOrchestrations.get(orgId, jobId);
  const found = await deps.access.read(orgId, {
    userId: ctx.principal.userId,
    jobId,
    ...(knownOrchestration === undefined ? {} : { orchestrationId: knownOrchestration }),
  });
  const { org, membership } = memberOfOpenOrg(found);
  const job = found.job;
  if (job === undefined) throw new NotFoundError('job');
  deps.jobOrchestrations.remember(orgId, jobId, job.orchestrationId);
  const roleId = customRoleOf(membership);
  const orchestrationRead = found.orchestration?.orchestrationId === job.orchestrationId;
  // What only the first read could name (the orchestration of a job new to this instance, a custom role) comes in one more.
  const rest =
    orchestrationRead && roleId === undefined
      ? undefined
      : await deps.access.read(orgId, {
          ...(orchestrationRead ? {} : { orchestrationId: job.orchestrationId }),
          ...(roleId === undefined ? {} : { roleId }),
        });
  // A job whose orchestration is gone is being swept: it no longer exists for anyone.
  const orchestration = orchestrationRead ? found.orchestration : rest?.orchestration;
  if (orchestration === undefined) throw new NotFoundError('job');
  const scope: OrgScope = {
    org,
    actor: rest?.customRole === undefined ? { membership } : { membership, customRole: rest.customRole },
  };
  const mask = authorize(scope.actor, action, { kind: 'job', orchestration, job });
  return { scope, orchestration, job, mask };
}

/** The orchestration and the caller's field mask for `action`, read in one batch (two with a custom role). */
async function loadOrchestration(
  deps: JobDeps,
  ctx: RequestContext,
  orgId: string,
  orchestrationId: string,
  action: Action,
) {
  const found = await deps.access.read(orgId, { userId: ctx.principal.userId, orchestrationId });
  const { org, membership } = memberOfOpenOrg(found);
  const roleId = customRoleOf(membership);
  const customRole =
    roleId === undefined ? undefined : (await deps.access.read(orgId, { roleId })).customRole;
  const scope: OrgScope = {
    org,
    actor: customRole === undefined ? { membership } : { membership, customRole },
  };
  const orchestration = found.orchestration;
  if (orchestration === undefined) throw new NotFoundError('orchestration');
  const mask = authorize(scope.actor, action, { kind: 'orchestration', orchestration });
  return { scope, orchestration, mask };
}

function assertWritable(mask: FieldMask, fieldIds: Iterable<string>): void {
  const field = unwritableField(mask, fieldIds);
  if (field !== undefined) throw new ForbiddenError(`You may not write the field ${field}`);
}

interface ViewOptions {
  /** False when the request's own write event already names what its answer discloses. */
  readonly readAudited: boolean;
  /** The answer was decided on inputs read earlier: served only if these still hold. */
  readonly unchanged?: readonly Unchanged[];
}

/**
 * Opens what the reader may see; one `job.read` audit event per request when anything was
 * decrypted — unless the request's own write event already names what its answer discloses
 * (`readAudited: false`), so a write stays one transaction. With `unchanged`, the event (or,
 * when nothing was decrypted, the conditions alone) is committed only if they hold, and
 * InputsChanged is thrown otherwise.
 */
async function viewsOf(
  deps: JobDeps,
  ctx: RequestContext,
  scope: OrgScope,
  orchestration: OrchestrationRecord,
  jobs: readonly StoredJob[],
  mask: FieldMask,
  options: ViewOptions = { readAudited: true },
): Promise<JobView[]> {
  const crypto = cryptoOf(deps, scope);
  const decryptedFields = new Set<string>();
  const decryptedJobs: string[] = [];
  const views: JobView[] = [];
  for (const job of jobs) {
    const { fields, decrypted } = await openValues(crypto, job.jobId, orchestration, job.fields, mask);
    if (decrypted.length > 0) {
      decryptedJobs.push(job.jobId);
      for (const fieldId of decrypted) decryptedFields.add(fieldId);
    }
    views.push({
      jobId: job.jobId,
      orchestrationId: job.orchestrationId,
      ownerId: job.ownerId,
      stage: job.stage,
      fields,
      restricted: job.restriction !== undefined,
      ...(job.legalHold === undefined ? {} : { legalHold: job.legalHold }),
      version: job.version,
      createdAt: job.createdAt,
      updatedAt: job.updatedAt,
    });
  }
  const single = jobs.length === 1 && decryptedJobs.length === 1;
  const draft =
    decryptedJobs.length > 0 && options.readAudited
      ? successDraft({
          orgId: scope.org.orgId,
          action: 'job.read',
          resource: single
            ? { type: 'job', id: decryptedJobs[0]! }
            : { type: 'orchestration', id: orchestration.orchestrationId },
          detail: {
            decryptedFields: [...decryptedFields].sort().join(','),
            ...(single ? {} : { jobIds: decryptedJobs.join(',') }),
          },
        })
      : undefined;
  if (options.unchanged !== undefined)
    await deps.audit.appendIfUnchanged(
      options.unchanged,
      draft === undefined ? undefined : { draft, actor: auditActorOf(ctx) },
    );
  else if (draft !== undefined) await deps.audit.append(draft, auditActorOf(ctx));
  return views;
}

async function versioned(
  deps: JobDeps,
  ctx: RequestContext,
  loaded: Omit<LoadedJob, 'job'>,
  job: StoredJob,
  options: ViewOptions = { readAudited: true },
): Promise<VersionedJob> {
  const [view] = await viewsOf(deps, ctx, loaded.scope, loaded.orchestration, [job], loaded.mask, options);
  return { job: view!, etag: etagOf(job.version) };
}

/**
 * The encrypted fields a write's answer will show decrypted although the caller did not send
 * them in this request: the write's own audit event names them, in place of a read event.
 */
function disclosedBy(
  orchestration: OrchestrationRecord,
  mask: FieldMask,
  next: StoredJob,
  sent: Iterable<string>,
): string[] {
  const own = new Set(sent);
  return orchestration.fields
    .filter(
      (f) => f.encrypted && !own.has(f.id) && f.id in next.fields && (mask[f.id] ?? 'hidden') !== 'hidden',
    )
    .map((f) => f.id)
    .sort();
}

export async function createJob(
  deps: JobDeps,
  ctx: RequestContext,
  orgId: string,
  orchestrationId: string,
  input: { fields: Readonly<Record<string, FieldValue>> },
): Promise<VersionedJob> {
  for (let attempt = 1; ; attempt += 1) {
    const { scope, orchestration, mask } = await loadOrchestration(
      deps,
      ctx,
      orgId,
      orchestrationId,
      'jobs.create',
    );
    const values = validateFieldValues(orchestration, input.fields, false) as Record<string, FieldValue>;
    assertWritable(mask, Object.keys(values));
    const firstStage = orchestration.stages[0];
    if (firstStage === undefined) throw new ConflictError('The orchestration has no stages');
    const jobId = newId();
    const now = deps.clock.now().toISOString();
    const sealed = await sealValues(cryptoOf(deps, scope), jobId, orchestration, values);
    const job: StoredJob = {
      orgId,
      jobId,
      orchestrationId,
      ownerId: ctx.principal.userId,
      stage: firstStage,
      fields: sealed.stored,
      version: 1,
      createdAt: now,
      updatedAt: now,
      stageEnteredAt: now,
      ...(sealed.subjectIndex === undefined ? {} : { subjectIndex: sealed.subjectIndex }),
    };
    try {
      await deps.jobs.create(
        job,
        { orchestrationId, revision: orchestration.revision },
        auditEntry(ctx, {
          orgId,
          action: 'job.create',
          resource: { type: 'job', id: jobId },
          changes: changesOf(orchestration, {}, values),
        }),
      );
    } catch (error) {
      // The definition changed between validation and write: validate again against the new one.
      if (error instanceof JobWriteConflict && attempt < MAX_WRITE_ATTEMPTS) continue;
      if (error instanceof JobWriteConflict)
        throw new ConflictError('The orchestration is being changed; retry');
      throw error;
    }
    deps.jobOrchestrations.remember(orgId, jobId, orchestrationId);
    // The answer shows only what the caller just sent: nothing stored is disclosed.
    return versioned(deps, ctx, { scope, orchestration, mask }, job, { readAudited: false });
  }
}

export interface JobListInput {
  readonly limit: number;
  readonly cursor?: string | undefined;
  /** The list as this caller sees it (the spine's `cursorScope`): another's cursor is a 400. */
  readonly scope: CursorScope;
}

/**
 * One page of an orchestration's jobs, as the caller may see them. A warm instance decides on the
 * inputs it read for this caller's previous list (RememberedInputs) and proves them unchanged in
 * the transaction of the audit append: the page Query and that transaction are the only DynamoDB
 * calls. A cold instance, or one whose proof failed, reads them afresh (one batch; two with a
 * custom role) before the Query.
 */
export async function listJobs(
  deps: JobListDeps,
  ctx: RequestContext,
  orgId: string,
  orchestrationId: string,
  input: JobListInput,
): Promise<{ items: JobView[]; nextCursor: string | null }> {
  // Opens only what listByOrchestration answered under this scope: the seal proves it is a position.
  const startKey =
    input.cursor === undefined ? undefined : (deps.cursors.open(input.scope, input.cursor) as PagePosition);
  const key = { orgId, userId: ctx.principal.userId, orchestrationId };
  const remembered = deps.rememberedInputs.get(key);
  if (remembered !== undefined) {
    try {
      return await listPage(deps, ctx, remembered, input, startKey, deps.access.unchangedSince(remembered));
    } catch {
      // The inputs changed (InputsChanged), or something failed before the proof that they had
      // not was committed: nothing decided on them is served. Decide again from a fresh read.
      deps.rememberedInputs.forget(key);
    }
  }
  const { scope, orchestration } = await loadOrchestration(deps, ctx, orgId, orchestrationId, 'jobs.read');
  const { membership, customRole } = scope.actor;
  const inputs: DecisionInputs = {
    org: scope.org,
    membership,
    ...(customRole === undefined ? {} : { customRole }),
    orchestration,
  };
  deps.rememberedInputs.remember(key, inputs);
  return listPage(deps, ctx, inputs, input, startKey);
}

/** The page decided on `inputs`; with `unchanged`, served only if they still hold (InputsChanged otherwise). */
async function listPage(
  deps: JobDeps,
  ctx: RequestContext,
  inputs: DecisionInputs,
  input: JobListInput,
  startKey: PagePosition | undefined,
  unchanged?: readonly Unchanged[],
): Promise<{ items: JobView[]; nextCursor: string | null }> {
  const { org, membership, customRole, orchestration } = inputs;
  const scope: OrgScope = {
    org,
    actor: customRole === undefined ? { membership } : { membership, customRole },
  };
  const { orgId } = org;
  const { orchestrationId } = orchestration;
  const mask = authorize(scope.actor, 'jobs.read', { kind: 'orchestration', orchestration });
  const ownerId = jobListScope(scope.actor) === 'own' ? ctx.principal.userId : undefined;
  const page = await deps.jobs.listByOrchestration(orgId, orchestrationId, {
    limit: input.limit,
    ...(startKey ? { startKey } : {}),
    ...(ownerId ? { ownerId } : {}),
  });
  const items = await viewsOf(deps, ctx, scope, orchestration, page.items, mask, {
    readAudited: true,
    ...(unchanged === undefined ? {} : { unchanged }),
  });
  for (const job of page.items) deps.jobOrchestrations.remember(orgId, job.jobId, orchestrationId);
  return {
    items,
    nextCursor: page.lastKey === undefined ? null : deps.cursors.seal(input.scope, page.lastKey),
  };
}

export async function getJob(
  deps: JobDeps,
  ctx: RequestContext,
  orgId: string,
  jobId: string,
): Promise<VersionedJob> {
  const loaded = await loadJob(deps, ctx, orgId, jobId, 'jobs.read');
  return versioned(deps, ctx, loaded, loaded.job);
}

/** A change of an existing job: the next stored state and its audit draft, or null to delete it. */
type JobChange = (loaded: LoadedJob) => Promise<{
  next: StoredJob | null;
  draft: AuditDraft;
  sent?: readonly string[];
  /** The change's Art. 19 notices, committed with it (recipient-notices.ts). */
  outbox?: NoticeBatch | undefined;
}>;

/**
 * The one processing path: load + authorize, refuse restricted jobs, check If-Match, apply the
 * change, write it conditionally on the version read. A lost race without If-Match re-reads and
 * retries (the change is validated again); with If-Match the stale tag answers 412.
 */
async function processJob(
  deps: JobDeps,
  ctx: RequestContext,
  orgId: string,
  jobId: string,
  action: Action,
  operation: ProcessingOperation,
  ifMatch: string | undefined,
  change: JobChange,
): Promise<VersionedJob | null> {
  for (let attempt = 1; ; attempt += 1) {
    const loaded = await loadJob(deps, ctx, orgId, jobId, action);
    assertProcessable(loaded.job, operation, loaded.scope.actor);
    if (!matchesIfMatch(ifMatch, loaded.job.version)) throw new PreconditionFailedError();
    const { next, draft, sent = [], outbox } = await change(loaded);
    const disclosed = next === null ? [] : disclosedBy(loaded.orchestration, loaded.mask, next, sent);
    const withDisclosure: AuditDraft =
      disclosed.length === 0
        ? draft
        : { ...draft, detail: { ...draft.detail, disclosedFields: disclosed.join(',') } };
    const audit = { draft: withDisclosure, actor: auditActorOf(ctx) };
    const guard = {
      orchestrationId: loaded.orchestration.orchestrationId,
      revision: loaded.orchestration.revision,
    };
    try {
      if (next === null) await deps.jobs.delete(loaded.job, loaded.job.version, audit, outbox);
      else await deps.jobs.replace(next, guard, audit, outbox);
    } catch (error) {
      if (!(error instanceof JobWriteConflict)) throw error;
      if (attempt >= MAX_WRITE_ATTEMPTS) throw new ConflictError('The job is being changed by others; retry');
      continue;
    }
    return next === null ? null : versioned(deps, ctx, loaded, next, { readAudited: false });
  }
}

/** Rectification: the extensions that received the job are told which of their fields changed (Art. 19). */
export async function updateJob(
  deps: JobDeps & RecipientDeps,
  ctx: RequestContext,
  orgId: string,
  jobId: string,
  input: { fields: Readonly<Record<string, FieldValue | null>> },
  ifMatch?: string,
): Promise<VersionedJob> {
  let outbox: NoticeBatch | undefined;
  const result = await processJob(
    deps,
    ctx,
    orgId,
    jobId,
    'jobs.update',
    'job.update',
    ifMatch,
    async ({ scope, orchestration, job, mask }) => {
      const written = validateFieldValues(orchestration, input.fields, true);
      assertWritable(mask, Object.keys(written));
      const set: Record<string, FieldValue> = {};
      for (const [fieldId, value] of Object.entries(written)) if (value !== null) set[fieldId] = value;
      const sealed = await sealValues(cryptoOf(deps, scope), jobId, orchestration, set);
      const fields: Record<string, FieldValue> = { ...job.fields, ...sealed.stored };
      for (const [fieldId, value] of Object.entries(written)) if (value === null) delete fields[fieldId];
      const subjectField = orchestration.fields.find((f) => f.subject);
      // The blind index follows the subject email: recomputed when it is written, dropped when it is cleared.
      const subjectIndex =
        subjectField === undefined || !(subjectField.id in written) ? job.subjectIndex : sealed.subjectIndex;
      const { subjectIndex: _previous, ...rest } = job;
      const next: StoredJob = {
        ...rest,
        fields,
        version: job.version + 1,
        updatedAt: deps.clock.now().toISOString(),
        ...(subjectIndex === undefined ? {} : { subjectIndex }),
      };
      return {
        next,
        draft: successDraft({
          orgId,
          action: 'job.update',
          resource: { type: 'job', id: jobId },
          changes: changesOf(orchestration, job.fields, written),
        }),
        sent: Object.keys(written),
        outbox: (outbox = await planNotices(deps, scope.org, {
          event: 'job.rectified',
          orgId,
          jobIds: [jobId],
          fields: Object.keys(input.fields),
        })),
      };
    },
  );
  await dispatchNotices(deps, outbox);
  return result!;
}

export async function transitionJob(
  deps: JobDeps,
  ctx: RequestContext,
  orgId: string,
  jobId: string,
  input: { stage: string },
  ifMatch?: string,
): Promise<VersionedJob> {
  const result = await processJob(
    deps,
    ctx,
    orgId,
    jobId,
    'jobs.update',
    'job.transition',
    ifMatch,
    async ({ orchestration, job }) => {
      if (!orchestration.stages.includes(input.stage)) {
        throw new ValidationError('Unknown stage', [
          { path: 'body.stage', message: 'No such stage in this orchestration' },
        ]);
      }
      const at = deps.clock.now().toISOString();
      // Entering a stage (not staying in it) starts the clock of a `final_stage` retention rule.
      const next: StoredJob = {
        ...job,
        stage: input.stage,
        ...(input.stage === job.stage ? {} : { stageEnteredAt: at }),
        version: job.version + 1,
        updatedAt: at,
      };
      return {
        next,
        draft: successDraft({
          orgId,
          action: 'job.transition',
          resource: { type: 'job', id: jobId },
          changes: { fields: ['stage'], values: { stage: input.stage } },
          detail: { from: job.stage },
        }),
      };
    },
  );
  return result!;
}

/** Erasure of one job; the extensions that received it are told (Art. 19). */
export async function deleteJob(
  deps: JobDeps & RecipientDeps,
  ctx: RequestContext,
  orgId: string,
  jobId: string,
  ifMatch?: string,
): Promise<void> {
  let outbox: NoticeBatch | undefined;
  await processJob(deps, ctx, orgId, jobId, 'jobs.delete', 'job.delete', ifMatch, async ({ scope, job }) => {
    if (job.legalHold !== undefined)
      throw new ConflictError(
        'The job is under legal hold: it may not be erased until the hold is lifted',
        'held',
      );
    return {
      next: null,
      draft: successDraft({
        orgId,
        action: 'job.delete',
        resource: { type: 'job', id: jobId },
        changes: { fields: Object.keys(job.fields) },
      }),
      outbox: (outbox = await planNotices(deps, scope.org, {
        event: 'job.erased',
        orgId,
        jobIds: [jobId],
      })),
    };
  });
  await dispatchNotices(deps, outbox);
}
