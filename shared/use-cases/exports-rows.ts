/**
 * What an export holds for a given reader, shared by exports and backups: the columns (fixed job
 * columns, then each visible field under its label) and the rows, streamed page by page. Every
 * job passes the one authorization decision for `jobs.export` and brings its own field mask, so
 * a hidden field is never opened and never becomes a column; restricted jobs (Art. 18) are left
 * out for everyone but owners.
 */
import { decide, jobListScope, readableFields, type FieldMask } from '../domain/authorization.ts';
import type { FieldValue } from '../domain/orchestration.ts';
import type { Column, Row } from '../formats/columns.ts';
import type { JobStore, StoredJob } from '../ports/jobs.ts';
import type { Keys } from '../ports/keys.ts';
import type { OrchestrationRecord } from '../ports/orchestrations.ts';
import { openValues } from './job-fields.ts';
import type { OrgScope } from './org-access.ts';
import { mayProcess } from './restriction.ts';
import { pagesOf } from './pages.ts';
import { cryptoOf } from './org-access.ts';

/** Jobs read per query: enough to keep DynamoDB busy, few enough to keep memory flat. */
export const JOB_PAGE_SIZE = 500;

/** An orchestration the reader may export from, and their field mask on it. */
export interface ExportSource {
  readonly orchestration: OrchestrationRecord;
  readonly mask: FieldMask;
}

export interface OpenedJob {
  readonly orchestration: OrchestrationRecord;
  readonly job: StoredJob;
  /** Only what the reader may see, decrypted. */
  readonly fields: Readonly<Record<string, FieldValue>>;
}

const META_COLUMNS: readonly Column[] = [
  { key: 'jobId', label: 'Job', kind: 'text' },
  { key: 'orchestration', label: 'Orchestration', kind: 'text' },
  { key: 'stage', label: 'Stage', kind: 'text' },
  { key: 'ownerId', label: 'Owner', kind: 'text' },
  { key: 'restricted', label: 'Restricted', kind: 'text' },
  { key: 'legalHold', label: 'Legal hold', kind: 'text' },
  { key: 'createdAt', label: 'Created', kind: 'date' },
  { key: 'updatedAt', label: 'Updated', kind: 'date' },
];

const fieldKey = (orchestrationId: string, fieldId: string): string => `field/${orchestrationId}/${fieldId}`;

/**
 * The columns: the job's own, then every field the reader may see. Fields of several
 * orchestrations are labelled `<orchestration> · <field>` so equal labels stay apart.
 */
export function exportColumns(sources: readonly ExportSource[]): Column[] {
  const prefixed = sources.length > 1;
  const fields = sources.flatMap(({ orchestration, mask }) =>
    readableFields(orchestration.fields, mask).map((field) => ({
      key: fieldKey(orchestration.orchestrationId, field.id),
      label: prefixed ? `${orchestration.name} · ${field.label}` : field.label,
      kind: field.type,
    })),
  );
  return [...META_COLUMNS, ...fields];
}

export function rowOf({ orchestration, job, fields }: OpenedJob): Row {
  const row: Record<string, string | number> = {
    jobId: job.jobId,
    orchestration: orchestration.name,
    stage: job.stage,
    ownerId: job.ownerId,
    restricted: job.restriction === undefined ? 'no' : 'yes',
    legalHold: job.legalHold === undefined ? 'no' : 'yes',
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
  };
  for (const [fieldId, value] of Object.entries(fields))
    row[fieldKey(orchestration.orchestrationId, fieldId)] = value;
  return row;
}

/** Whether the reader may export this job, and with which mask; undefined to leave it out. */
export function exportMaskFor(
  scope: OrgScope,
  orchestration: OrchestrationRecord,
  job: StoredJob,
): FieldMask | undefined {
  const decision = decide(scope.actor, 'jobs.export', { kind: 'job', orchestration, job });
  if (decision.effect !== 'allow') return undefined;
  if (!mayProcess(job, 'job.export', scope.actor)) return undefined;
  return decision.fieldMask;
}

/**
 * The jobs of `sources` the reader may export, opened, in pages of JOB_PAGE_SIZE. Members
 * without jobs.read_all are only ever shown their own (the query filters on the owner).
 */
export async function* exportableJobs(
  deps: { readonly jobs: JobStore; readonly keys: Keys },
  scope: OrgScope,
  sources: readonly ExportSource[],
): AsyncGenerator<OpenedJob> {
  const crypto = cryptoOf(deps, scope);
  const ownerId = jobListScope(scope.actor) === 'own' ? scope.actor.membership.userId : undefined;
  for (const { orchestration } of sources) {
    const pages = pagesOf((after) =>
      deps.jobs.listByOrchestration(scope.org.orgId, orchestration.orchestrationId, {
        limit: JOB_PAGE_SIZE,
        ...after,
        ...(ownerId === undefined ? {} : { ownerId }),
      }),
    );
    for await (const jobs of pages) {
      for (const job of jobs) {
        const mask = exportMaskFor(scope, orchestration, job);
        if (mask === undefined) continue;
        const { fields } = await openValues(crypto, job.jobId, orchestration, job.fields, mask);
        yield { orchestration, job, fields };
      }
    }
  }
}
