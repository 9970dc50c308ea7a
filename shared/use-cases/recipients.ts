/**
 * Who received what (GDPR Art. 19, second sentence, and Art. 15(1)(c)): for a job, or for every
 * job of a data subject, the extensions that may hold its data (shares not refused before
 * sending), when, which fields (ids; the caller's hidden fields left out), and each Art. 19
 * notice sent to them since with its state.
 */
import { canSeeOrchestration, fieldMaskFor, type FieldMask } from '../domain/authorization.ts';
import type { RequestContext } from '../domain/principal.ts';
import { findExtension, type ExtensionDefinition } from '../extensions/catalog.ts';
import type { NoticeEvent } from '../ports/notice-queue.ts';
import {
  mayHaveReceived,
  type NoticeState,
  type RecipientRecords,
  type ShareOutcome,
  type ShareStore,
} from '../ports/shares.ts';
import { auditActorOf, authorize, resolveScope, successDraft, type OrgScope } from './org-access.ts';
import { authorizedJob } from './job-access.ts';
import { orchestrationCache, subjectIndexOf, subjectJobs, type SubjectDeps } from './subject-jobs.ts';

export interface RecipientView {
  readonly jobId: string;
  readonly extensionId: string;
  readonly vendor: string;
  readonly shares: readonly {
    readonly at: string;
    readonly fields: readonly string[];
    readonly outcome: ShareOutcome;
  }[];
  readonly notices: readonly {
    readonly noticeId: string;
    readonly event: NoticeEvent;
    readonly fields: readonly string[];
    readonly at: string;
    readonly state: NoticeState;
  }[];
}

export interface RecipientsDeps extends Pick<
  SubjectDeps,
  'orgs' | 'orchestrations' | 'jobs' | 'keys' | 'clock' | 'audit'
> {
  readonly shares: ShareStore;
  readonly catalog: readonly ExtensionDefinition[];
}

const visible =
  (mask: FieldMask) =>
  (fieldId: string): boolean =>
    (mask[fieldId] ?? 'hidden') !== 'hidden';

/** One entry per (job, extension) that may hold the job's data, oldest share first. */
function recipientViews(
  records: RecipientRecords,
  catalog: readonly ExtensionDefinition[],
  maskOf: (jobId: string) => FieldMask,
): RecipientView[] {
  const views = new Map<
    string,
    {
      jobId: string;
      extensionId: string;
      vendor: string;
      shares: RecipientView['shares'][number][];
      notices: RecipientView['notices'][number][];
    }
  >();
  for (const share of records.shares.filter(mayHaveReceived)) {
    const key = `${share.jobId}/${share.extensionId}`;
    const view = views.get(key) ?? {
      jobId: share.jobId,
      extensionId: share.extensionId,
      vendor: findExtension(catalog, share.extensionId)?.vendor ?? share.extensionId,
      shares: [],
      notices: [],
    };
    view.shares.push({
      at: share.at,
      fields: share.fields.filter(visible(maskOf(share.jobId))),
      outcome: share.outcome,
    });
    views.set(key, view);
  }
  for (const notice of records.notices) {
    views.get(`${notice.jobId}/${notice.extensionId}`)?.notices.push({
      noticeId: notice.noticeId,
      event: notice.event,
      fields: notice.fields.filter(visible(maskOf(notice.jobId))),
      at: notice.at,
      state: notice.state,
    });
  }
  return [...views.values()];
}

/** GET …/jobs/{jobId}/recipients: whoever may read the job. */
export async function jobRecipients(
  deps: RecipientsDeps,
  ctx: RequestContext,
  orgId: string,
  jobId: string,
): Promise<RecipientView[]> {
  const { mask } = await authorizedJob(deps, ctx, orgId, jobId, 'jobs.read');
  return recipientViews(await deps.shares.ofJobs(orgId, [jobId]), deps.catalog, () => mask);
}

/**
 * POST …/subjects/recipients {email} (subjects.access): the recipients of every job of the person.
 * Audited like the access report (it discloses whose data went where).
 */
export async function subjectRecipients(
  deps: RecipientsDeps,
  ctx: RequestContext,
  orgId: string,
  input: { email: string },
): Promise<{ items: RecipientView[] }> {
  const scope = await resolveScope(deps.orgs, ctx, orgId);
  authorize(scope.actor, 'subjects.access');
  const blindIndex = await subjectIndexOf(deps, scope, input.email);
  const { items, jobs } = await recipientsOfSubject(deps, scope, blindIndex);
  await deps.audit.append(
    successDraft({
      orgId,
      action: 'subject.recipients',
      resource: { type: 'subject', id: blindIndex },
      detail: { jobs, recipients: items.length },
    }),
    auditActorOf(ctx),
  );
  return { items };
}

/** The recipients of every job of the subject (by blind index), as `scope`'s actor may see them; the access report carries them too. */
export async function recipientsOfSubject(
  deps: Pick<RecipientsDeps, 'orchestrations' | 'jobs' | 'shares' | 'catalog'>,
  scope: OrgScope,
  blindIndex: string,
): Promise<{ items: RecipientView[]; jobs: number }> {
  const orchestrationOf = orchestrationCache(deps, scope.org.orgId);
  const masks = new Map<string, FieldMask>();
  for await (const job of subjectJobs(deps, scope.org.orgId, blindIndex)) {
    const orchestration = await orchestrationOf(job.orchestrationId);
    if (orchestration !== undefined && canSeeOrchestration(scope.actor, orchestration))
      masks.set(job.jobId, fieldMaskFor(scope.actor, orchestration));
  }
  // Share records only of the jobs ever shared, and none at all in an organization that never shared.
  const shared =
    scope.org.firstShareAt === undefined || masks.size === 0
      ? []
      : await deps.shares.sharedAmong(scope.org.orgId, [...masks.keys()]);
  const items = recipientViews(
    shared.length === 0 ? { shares: [], notices: [] } : await deps.shares.ofJobs(scope.org.orgId, shared),
    deps.catalog,
    (jobId) => masks.get(jobId) ?? {},
  );
  return { items, jobs: masks.size };
}
