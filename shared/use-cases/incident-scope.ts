/**
 * `POST /incidents/scope` (owners): the scope of a suspected breach from the audit log, for the
 * notification to the supervisory authority (GDPR Art. 33(3)): the events of the window, the jobs
 * whose personal data was disclosed, how many distinct data subjects they concern (counted by
 * the blind index of their email: pseudonymous, never the address), the categories of data, and
 * the facts of Art. 33(3) that the log can state, with the rest left for the controller.
 *
 * The window is read once per call through the audit port's time index, so only the window is
 * read; counts cover the whole window, and the lists (events, jobs) are paged by a sealed cursor
 * bound to the window. What disclosures point at is resolved now: a job erased since counts as a
 * job with an unknown subject, an export whose record expired (7 days) as its row count. The call
 * is an audit event itself, recorded before the answer.
 */
import { cursorScope, type Cursors, type CursorScope } from '../domain/cursor.ts';
import { BadCursorError, ValidationError } from '../domain/errors.ts';
import {
  disclosureOf,
  incidentWindow,
  type DisclosureKind,
  type IncidentWindow,
} from '../domain/incident-scope.ts';
import type { RequestContext } from '../domain/principal.ts';
import { NOT_STATED } from '../domain/processing-record.ts';
import type { AuditLog, ListedEvent } from '../ports/audit.ts';
import type { JobStore, StoredJob } from '../ports/jobs.ts';
import type { OrchestrationRecord, OrchestrationStore } from '../ports/orchestrations.ts';
import type { OrganizationStore } from '../ports/organizations.ts';
import type { PortabilityStore } from '../ports/portability.ts';
import { auditEventView, type AuditEventView } from './audit-query.ts';
import { auditActorOf, authorize, resolveScope, successDraft } from './org-access.ts';
import { pagesOf } from './pages.ts';

export interface IncidentScopeDeps {
  readonly orgs: OrganizationStore;
  readonly orchestrations: OrchestrationStore;
  readonly jobs: JobStore;
  readonly portability: PortabilityStore;
  readonly audit: AuditLog;
  readonly cursors: Cursors;
}

export interface IncidentScopeInput {
  readonly from: string;
  readonly to: string;
  readonly actor?: string | undefined;
  readonly sourceIp?: string | undefined;
  readonly limit: number;
  readonly cursor?: string | undefined;
  /** The list as this caller sees it (the spine's `cursorScope`); the filters narrow it. */
  readonly scope: CursorScope;
}

/**
 * Events one call reads at most. A window beyond it is refused (400) rather than answered late or
 * in part: about 100 MB of events, a few seconds of reads in DynamoDB, well inside 29 s.
 */
export const MAX_SCOPE_EVENTS = 100_000;
/** Job look-ups in flight at once. */
const LOOKUP_CONCURRENCY = 8;
const PAGE = 100;

export interface DisclosedJob {
  readonly jobId: string;
  /** null when the job was erased since. */
  readonly orchestrationId: string | null;
  readonly disclosedBy: readonly DisclosureKind[];
}

export interface DataCategory {
  readonly orchestrationId: string;
  readonly name: string;
  readonly subjectCategory: string;
  readonly personalData: readonly {
    readonly id: string;
    readonly label: string;
    readonly type: string;
    readonly encrypted: boolean;
  }[];
}

export interface IncidentScope {
  readonly window: IncidentWindow & { readonly actor: string | null; readonly sourceIp: string | null };
  readonly events: {
    readonly count: number;
    readonly byAction: Readonly<Record<string, number>>;
    readonly items: readonly AuditEventView[];
  };
  readonly jobs: { readonly count: number; readonly items: readonly DisclosedJob[] };
  readonly subjects: { readonly count: number };
  readonly categories: readonly DataCategory[];
  readonly article33: Article33Facts;
  readonly nextCursor: string | null;
}

/** Art. 33(3): (a) from the log; (b)–(d) are the controller's to write, so they are null here. */
export interface Article33Facts {
  readonly natureOfBreach: {
    readonly window: IncidentWindow;
    readonly actor: string | null;
    readonly sourceIp: string | null;
    /** Disclosing events by kind. */
    readonly disclosures: Readonly<Record<DisclosureKind, number>>;
  };
  readonly subjectCategories: readonly string[];
  readonly approximateSubjects: number;
  readonly dataCategories: readonly string[];
  readonly approximateRecords: number;
  /** Disclosed jobs erased since (their subject unknown), and exports whose record expired (their rows counted). */
  readonly unresolved: { readonly jobs: number; readonly exports: number };
  readonly dpoContact: null;
  readonly likelyConsequences: null;
  readonly measuresTaken: null;
  readonly limitations: readonly string[];
}

const LIMITATIONS = [
  'Only what the audit log records is scoped: reading a job is recorded when encrypted fields were decrypted; plain personal fields read without decryption are not.',
  'Jobs disclosed by an export or a backup are those of its orchestration(s) created before it was handed out and still stored now.',
];

interface Tally {
  events: number;
  readonly byAction: Map<string, number>;
  readonly page: AuditEventView[];
  readonly disclosures: Record<DisclosureKind, number>;
  /** jobId → how it was disclosed. */
  readonly jobs: Map<string, Set<DisclosureKind>>;
  /** Exports handed out: when, and how many rows the file held. */
  readonly exports: Map<string, { readonly at: string; readonly rows: number }>;
  /** Latest time a backup of the whole organization was handed out. */
  backupAt: string | undefined;
  readonly subjects: Set<string>;
  unresolvedExports: number;
  unresolvedRows: number;
}

function mark(tally: Tally, jobId: string, kind: DisclosureKind): void {
  const kinds = tally.jobs.get(jobId) ?? new Set<DisclosureKind>();
  kinds.add(kind);
  tally.jobs.set(jobId, kinds);
}

function count(tally: Tally, event: ListedEvent, offset: number, limit: number): void {
  if (tally.events >= MAX_SCOPE_EVENTS) {
    throw new ValidationError(
      `The window holds more than ${MAX_SCOPE_EVENTS} events; scope it in shorter windows`,
      [{ path: 'body.to', message: 'too many events' }],
    );
  }
  if (tally.events >= offset && tally.events < offset + limit) tally.page.push(auditEventView(event));
  tally.events += 1;
  tally.byAction.set(event.action, (tally.byAction.get(event.action) ?? 0) + 1);
  const disclosure = disclosureOf(event);
  if (disclosure === undefined) return;
  tally.disclosures[disclosure.kind] += 1;
  switch (disclosure.target) {
    case 'jobs':
      for (const jobId of disclosure.jobIds) mark(tally, jobId, disclosure.kind);
      return;
    case 'export':
      tally.exports.set(disclosure.exportId, {
        at: event.at,
        rows: typeof event.detail?.rowsWritten === 'number' ? event.detail.rowsWritten : 0,
      });
      return;
    case 'organization':
      tally.backupAt = tally.backupAt === undefined || event.at > tally.backupAt ? event.at : tally.backupAt;
      return;
    case 'subject':
      tally.subjects.add(disclosure.subjectIndex);
      return;
  }
}

/** Every job of the orchestration created at or before `at`. */
async function jobsOfOrchestration(
  jobs: JobStore,
  orgId: string,
  orchestrationId: string,
  at: string,
): Promise<StoredJob[]> {
  const found: StoredJob[] = [];
  for await (const page of pagesOf((after) =>
    jobs.listByOrchestration(orgId, orchestrationId, { limit: PAGE, ...after }),
  )) {
    found.push(...page.filter((job) => job.createdAt <= at));
  }
  return found;
}

async function jobsOfSubject(jobs: JobStore, orgId: string, subjectIndex: string): Promise<StoredJob[]> {
  const found: StoredJob[] = [];
  for await (const page of pagesOf((after) =>
    jobs.findBySubject(orgId, subjectIndex, { limit: PAGE, ...after }),
  ))
    found.push(...page);
  return found;
}

/** Looks up `ids` with a few requests in flight; a job erased since maps to undefined. */
async function lookUp(
  jobs: JobStore,
  orgId: string,
  ids: readonly string[],
): Promise<Map<string, StoredJob | undefined>> {
  const found = new Map<string, StoredJob | undefined>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < ids.length) {
      const jobId = ids[next]!;
      next += 1;
      found.set(jobId, await jobs.get(orgId, jobId));
    }
  };
  await Promise.all(Array.from({ length: Math.min(LOOKUP_CONCURRENCY, ids.length) }, worker));
  return found;
}

function categoryOf(orchestration: OrchestrationRecord): DataCategory {
  return {
    orchestrationId: orchestration.orchestrationId,
    name: orchestration.name,
    subjectCategory: orchestration.subjectCategory ?? NOT_STATED,
    personalData: orchestration.fields
      .filter((f) => f.personal || f.encrypted)
      .map((f) => ({ id: f.id, label: f.label, type: f.type, encrypted: f.encrypted })),
  };
}

export async function scopeIncident(
  deps: IncidentScopeDeps,
  ctx: RequestContext,
  orgId: string,
  input: IncidentScopeInput,
): Promise<IncidentScope> {
  const scope = await resolveScope(deps.orgs, ctx, orgId);
  authorize(scope.actor, 'incidents.scope');
  const window = incidentWindow(input.from, input.to);
  const listScope = cursorScope(input.scope, window.from, window.to, input.actor ?? '', input.sourceIp ?? '');
  const offset = input.cursor === undefined ? 0 : offsetOf(deps.cursors.open(listScope, input.cursor));

  const tally: Tally = {
    events: 0,
    byAction: new Map(),
    page: [],
    disclosures: { read: 0, export: 0, share: 0, download: 0, access: 0 },
    jobs: new Map(),
    exports: new Map(),
    backupAt: undefined,
    subjects: new Set(),
    unresolvedExports: 0,
    unresolvedRows: 0,
  };
  const query = {
    orgId,
    ...window,
    ...(input.actor === undefined ? {} : { actor: input.actor }),
    ...(input.sourceIp === undefined ? {} : { sourceIp: input.sourceIp }),
  };
  for await (const event of deps.audit.window(query)) count(tally, event, offset, input.limit);

  // What exports, backups and access reports disclosed: the jobs they held, as stored now.
  const orchestrations = await deps.orchestrations.list(orgId);
  const known = new Map<string, StoredJob | undefined>();
  const addJobs = (found: readonly StoredJob[], kind: DisclosureKind): void => {
    for (const job of found) {
      known.set(job.jobId, job);
      mark(tally, job.jobId, kind);
    }
  };
  for (const [exportId, { at, rows }] of tally.exports) {
    const record = await deps.portability.getExport(orgId, exportId);
    if (record === undefined) {
      tally.unresolvedExports += 1;
      tally.unresolvedRows += rows;
      continue;
    }
    const sources =
      record.orchestrationId === undefined
        ? orchestrations.map((o) => o.orchestrationId)
        : [record.orchestrationId];
    for (const orchestrationId of sources)
      addJobs(await jobsOfOrchestration(deps.jobs, orgId, orchestrationId, at), 'download');
  }
  if (tally.backupAt !== undefined) {
    for (const o of orchestrations)
      addJobs(await jobsOfOrchestration(deps.jobs, orgId, o.orchestrationId, tally.backupAt), 'download');
  }
  for (const subjectIndex of tally.subjects)
    addJobs(await jobsOfSubject(deps.jobs, orgId, subjectIndex), 'access');
  const unknown = [...tally.jobs.keys()].filter((jobId) => !known.has(jobId));
  for (const [jobId, job] of await lookUp(deps.jobs, orgId, unknown)) known.set(jobId, job);

  let erased = 0;
  const disclosedOrchestrations = new Set<string>();
  for (const jobId of tally.jobs.keys()) {
    const job = known.get(jobId);
    if (job === undefined) erased += 1;
    else {
      disclosedOrchestrations.add(job.orchestrationId);
      if (job.subjectIndex !== undefined) tally.subjects.add(job.subjectIndex);
    }
  }
  const categories = orchestrations
    .filter((o) => disclosedOrchestrations.has(o.orchestrationId))
    .map(categoryOf);
  const jobIds = [...tally.jobs.keys()].sort();
  const jobItems = jobIds.slice(offset, offset + input.limit).map((jobId) => ({
    jobId,
    orchestrationId: known.get(jobId)?.orchestrationId ?? null,
    disclosedBy: [...(tally.jobs.get(jobId) ?? [])].sort(),
  }));
  const more = offset + input.limit < Math.max(tally.events, jobIds.length);
  const approximateRecords = jobIds.length + tally.unresolvedRows;

  const result: IncidentScope = {
    window: { ...window, actor: input.actor ?? null, sourceIp: input.sourceIp ?? null },
    events: {
      count: tally.events,
      byAction: Object.fromEntries([...tally.byAction].sort(([a], [b]) => a.localeCompare(b))),
      items: tally.page,
    },
    jobs: { count: jobIds.length, items: jobItems },
    subjects: { count: tally.subjects.size },
    categories,
    article33: {
      natureOfBreach: {
        window,
        actor: input.actor ?? null,
        sourceIp: input.sourceIp ?? null,
        disclosures: tally.disclosures,
      },
      subjectCategories: [...new Set(categories.map((c) => c.subjectCategory))].sort(),
      approximateSubjects: tally.subjects.size,
      dataCategories: [...new Set(categories.flatMap((c) => c.personalData.map((f) => f.label)))].sort(),
      approximateRecords,
      unresolved: { jobs: erased, exports: tally.unresolvedExports },
      dpoContact: null,
      likelyConsequences: null,
      measuresTaken: null,
      limitations: LIMITATIONS,
    },
    nextCursor: more ? deps.cursors.seal(listScope, { offset: offset + input.limit }) : null,
  };
  // Recorded before answering; the filters are named, not the address (a source address is personal data).
  await deps.audit.append(
    successDraft({
      orgId,
      action: 'incident.scope',
      resource: { type: 'org', id: orgId },
      detail: {
        from: window.from,
        to: window.to,
        ...(input.actor === undefined ? {} : { actor: input.actor }),
        bySourceIp: input.sourceIp !== undefined,
        events: tally.events,
        jobs: jobIds.length,
        subjects: tally.subjects.size,
      },
    }),
    auditActorOf(ctx),
  );
  return result;
}

function offsetOf(opened: Record<string, unknown>): number {
  const offset = opened.offset;
  if (typeof offset !== 'number' || !Number.isInteger(offset) || offset < 0) throw new BadCursorError();
  return offset;
}
