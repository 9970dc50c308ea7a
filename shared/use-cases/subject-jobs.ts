/**
 * What the data subject requests (access, erasure, rectification, restriction) share: finding a
 * person's jobs through the blind index of their email, page by page, and changing them in
 * batched transactions.
 *
 * Audit design for changes of many jobs. A transaction holds at most 100 operations, so a
 * subject with many jobs is changed in several. The request's one audit event (`subject.erase`,
 * `subject.rectify`, `subject.restrict`) is committed in the same transaction as the FIRST batch,
 * so nothing is changed before the event exists and the event never claims a change that did not
 * happen; its detail names how many jobs the request found (`jobsFound`, counted before any
 * change). The following batches are committed without an event of their own: each is
 * conditional on the versions it read and idempotent under a retry (an erased or anonymised job
 * leaves the subject's index, a restricted one is skipped), so a request that fails midway is
 * finished by sending it again, which writes a second event for what was left.
 */
import type { RequestContext } from '../domain/principal.ts';
import { ConflictError } from '../domain/errors.ts';
import type { AuditActor, AuditDraft } from '../ports/audit.ts';
import { JobBatchConflict, SUBJECT_BATCH_LIMIT, type JobBatchChange, type StoredJob } from '../ports/jobs.ts';
import type { OrchestrationRecord } from '../ports/orchestrations.ts';
import type { RecordsContext } from './records-context.ts';
import { cryptoOf, auditActorOf, type OrgScope } from './org-access.ts';
import { pagesOf, pageReadsOf } from './pages.ts';
import { dispatchNotices, planNotices, type JobsChange, type RecipientDeps } from './recipient-notices.ts';
import type { OrganizationRecord } from '../ports/organizations.ts';

/** The subject use cases need the common context, and the share records and notice queue of Art. 19. */
export type SubjectDeps = RecordsContext & RecipientDeps;

/** Jobs read per page of the subject index: a batch's worth, so memory stays flat. */
const PAGE_SIZE = SUBJECT_BATCH_LIMIT;
/** A transaction carries at most 4 MB; stay well below it whatever the jobs hold. */
const MAX_BATCH_BYTES = 3_000_000;
const MAX_CONFLICT_RETRIES = 5;

/** The blind index of the subject's email in this organization (never the email itself). */
export const subjectIndexOf = (
  deps: Pick<SubjectDeps, 'keys'>,
  scope: OrgScope,
  email: string,
): Promise<string> => cryptoOf(deps, scope).blindIndex(email);

/** Orchestrations read once per request. A job whose orchestration is gone is being swept: it is skipped. */
export function orchestrationCache(
  deps: Pick<SubjectDeps, 'orchestrations'>,
  orgId: string,
): (orchestrationId: string) => Promise<OrchestrationRecord | undefined> {
  const cache = new Map<string, Promise<OrchestrationRecord | undefined>>();
  return (orchestrationId) => {
    let found = cache.get(orchestrationId);
    if (found === undefined) {
      found = deps.orchestrations.get(orgId, orchestrationId);
      cache.set(orchestrationId, found);
    }
    return found;
  };
}

/** Every job of the subject, page by page (bounded memory: one page at a time). */
export async function* subjectJobs(
  deps: Pick<SubjectDeps, 'jobs'>,
  orgId: string,
  blindIndex: string,
): AsyncGenerator<StoredJob> {
  for await (const page of pagesOf((after) =>
    deps.jobs.findBySubject(orgId, blindIndex, { limit: PAGE_SIZE, ...after }),
  ))
    yield* page;
}

/** Splits changes into transactions: at most SUBJECT_BATCH_LIMIT jobs and MAX_BATCH_BYTES each. */
export function batchesOf(changes: readonly JobBatchChange[]): JobBatchChange[][] {
  const batches: JobBatchChange[][] = [];
  let current: JobBatchChange[] = [];
  let bytes = 0;
  for (const change of changes) {
    const size = JSON.stringify(change.kind === 'delete' ? change.job.jobId : change.next).length;
    if (current.length > 0 && (current.length >= SUBJECT_BATCH_LIMIT || bytes + size > MAX_BATCH_BYTES)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(change);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/** What to do with one job of the subject: a change, or undefined to leave it as it is. */
export type SubjectPlan = (job: StoredJob) => Promise<JobBatchChange | undefined>;

/** The Art. 19 event of a subject change, and the organization's marker of whether it ever shared. */
export interface SubjectNotice extends Pick<JobsChange, 'event' | 'fields'> {
  readonly org: Pick<OrganizationRecord, 'firstShareAt'>;
}

/**
 * Applies `plan` to every job of the subject, page by page, batch by batch; the request's audit
 * event goes with the first batch (or alone, when nothing changes). A batch whose job changed
 * meanwhile is re-read and planned again. Each batch carries the notices to the extensions that
 * received its jobs (`notice`, Art. 19) in its transaction, queued once it commits. Answers how
 * many jobs were changed.
 */
export async function changeSubjectJobs(
  deps: SubjectDeps,
  ctx: RequestContext,
  orgId: string,
  blindIndex: string,
  plan: SubjectPlan,
  draft: AuditDraft,
  notice: SubjectNotice,
): Promise<number> {
  const actor: AuditActor = auditActorOf(ctx);
  let audited = false;
  let affected = 0;
  for await (const page of pageReadsOf((after) =>
    deps.jobs.findBySubject(orgId, blindIndex, { limit: PAGE_SIZE, ...after }),
  )) {
    let jobs = page.items;
    for (let attempt = 1; ; attempt += 1) {
      const changes: JobBatchChange[] = [];
      for (const job of jobs) {
        const change = await plan(job);
        if (change !== undefined) changes.push(change);
      }
      try {
        for (const batch of batchesOf(changes)) {
          const outbox = await planNotices(deps, notice.org, {
            event: notice.event,
            ...(notice.fields === undefined ? {} : { fields: notice.fields }),
            orgId,
            jobIds: batch.map((change) => (change.kind === 'delete' ? change.job.jobId : change.next.jobId)),
          });
          await deps.jobs.writeBatch(orgId, batch, audited ? undefined : { draft, actor }, outbox);
          audited = true;
          affected += batch.length;
          await dispatchNotices(deps, outbox);
        }
        break;
      } catch (error) {
        if (!(error instanceof JobBatchConflict)) throw error;
        if (attempt >= MAX_CONFLICT_RETRIES)
          throw new ConflictError("The subject's jobs are being changed by others; retry");
        jobs = await page.again();
      }
    }
  }
  if (!audited) await deps.audit.append(draft, actor);
  return affected;
}
