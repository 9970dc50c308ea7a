/**
 * Exports of jobs as CSV or XLSX (GDPR Art. 20). One job is answered at once; all jobs, or one
 * orchestration's, are built by the portability worker: the API stores the request and queues
 * it, the worker streams query pages → CSV/XLSX → S3 multipart upload with flat memory, and the
 * status route hands out a presigned URL valid for minutes.
 *
 * Who may export: `POST /exports` needs `jobs.export` (owners, admins, custom roles granted it),
 * on the organization or on the orchestration named. A plain member exports their own jobs one at
 * a time through the single-job route (the decision allows `jobs.export` on a job one owns). The
 * file holds only what the requester may see, judged job by job when the worker runs: hidden
 * fields absent, jobs of others absent without `jobs.read_all`, restricted jobs only for owners.
 * A request and its file belong to the requester: nobody else sees its status or its URL, and the
 * requester only while they may still make that export (access is checked when it is used): a
 * requester demoted since, without `jobs.export`, gets 403; one limited out of the orchestration
 * since, or removed, gets 404; no `downloadUrl` is issued to either.
 */
import { Readable } from 'node:stream';
import { NotFoundError, GoneError, CustosError, UnavailableError } from '../domain/errors.ts';
import { newId } from '../domain/ids.ts';
import type { RequestContext } from '../domain/principal.ts';
import { CSV_CONTENT_TYPE, writeCsv } from '../formats/csv.ts';
import { XLSX_CONTENT_TYPE, writeXlsx } from '../formats/xlsx.ts';
import type { Column, Row } from '../formats/columns.ts';
import { orgFileKey, type Files } from '../ports/files.ts';
import type {
  ExportFormat,
  ExportRecord,
  PortabilityStatus,
  PortabilityStore,
} from '../ports/portability.ts';
import type { WorkQueue } from '../ports/work-queue.ts';
import type { RecordsContext } from './records-context.ts';
import { exportableJobs, exportColumns, rowOf, type ExportSource } from './exports-rows.ts';
import { requesterScope } from './exports-requester.ts';
import { openValues } from './job-fields.ts';
import {
  cryptoOf,
  auditActorOf,
  auditEntry,
  authorize,
  resolveScope,
  successDraft,
  type OrgScope,
} from './org-access.ts';
import { authorizedJob } from './job-access.ts';
import { assertProcessable } from './restriction.ts';
import { decide } from '../domain/authorization.ts';

/** Files and their records live 7 days, like the bucket's lifecycle rule. */
export const PORTABILITY_TTL_SECONDS = 7 * 24 * 3600;
/** Presigned URLs are signed with the function's temporary credentials: minutes only. */
export const DOWNLOAD_URL_SECONDS = 300;
/** How often the worker reports progress, in rows. */
export const PROGRESS_EVERY_ROWS = 1000;

export interface ExportDeps extends RecordsContext {
  readonly portability: PortabilityStore;
  readonly queue: WorkQueue;
  readonly files: Files;
}

export interface ExportStatusView {
  readonly exportId: string;
  readonly status: PortabilityStatus;
  readonly format: ExportFormat;
  readonly orchestrationId?: string;
  readonly rowsWritten: number;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly failure?: string;
  readonly attempt?: number;
  readonly progressAt?: string;
  readonly downloadUrl?: string;
}

export interface ExportFile {
  readonly body: Buffer;
  readonly contentType: string;
  readonly fileName: string;
}

export const CONTENT_TYPES: Readonly<Record<ExportFormat, string>> = {
  csv: CSV_CONTENT_TYPE,
  xlsx: XLSX_CONTENT_TYPE,
};

export function writeRows(
  format: ExportFormat,
  columns: readonly Column[],
  rows: AsyncIterable<Row> | Iterable<Row>,
  sheetName?: string,
): Readable {
  return format === 'csv'
    ? writeCsv(columns, rows)
    : writeXlsx(columns, rows, sheetName === undefined ? {} : { sheetName });
}

const plusSeconds = (at: Date, seconds: number): string =>
  new Date(at.getTime() + seconds * 1000).toISOString();

/** The orchestrations the reader may export from (one when named; 404/403 as the decision says). */
async function exportSources(
  deps: Pick<ExportDeps, 'orchestrations'>,
  scope: OrgScope,
  orchestrationId: string | undefined,
): Promise<ExportSource[]> {
  if (orchestrationId !== undefined) {
    const orchestration = await deps.orchestrations.get(scope.org.orgId, orchestrationId);
    if (orchestration === undefined) throw new NotFoundError('orchestration');
    return [
      {
        orchestration,
        mask: authorize(scope.actor, 'jobs.export', { kind: 'orchestration', orchestration }),
      },
    ];
  }
  authorize(scope.actor, 'jobs.export');
  const all = await deps.orchestrations.list(scope.org.orgId);
  return all.flatMap((orchestration) => {
    const decision = decide(scope.actor, 'jobs.export', { kind: 'orchestration', orchestration });
    return decision.effect === 'allow' ? [{ orchestration, mask: decision.fieldMask }] : [];
  });
}

export async function requestExport(
  deps: ExportDeps,
  ctx: RequestContext,
  orgId: string,
  input: { readonly format: ExportFormat; readonly orchestrationId?: string | undefined },
): Promise<{ exportId: string }> {
  const scope = await resolveScope(deps.orgs, ctx, orgId);
  await exportSources(deps, scope, input.orchestrationId);
  const exportId = newId();
  const now = deps.clock.now();
  const record: ExportRecord = {
    orgId,
    exportId,
    requestedBy: ctx.principal.userId,
    format: input.format,
    ...(input.orchestrationId === undefined ? {} : { orchestrationId: input.orchestrationId }),
    status: 'pending',
    rowsWritten: 0,
    fileKey: orgFileKey(orgId, 'exports', `${exportId}.${input.format}`),
    expiresAt: plusSeconds(now, PORTABILITY_TTL_SECONDS),
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
  };
  await deps.portability.createExport(
    record,
    auditEntry(ctx, {
      orgId,
      action: 'export.create',
      resource: { type: 'export', id: exportId },
      detail: {
        format: input.format,
        ...(input.orchestrationId === undefined ? {} : { orchestrationId: input.orchestrationId }),
      },
    }),
  );
  try {
    await deps.queue.send({ kind: 'export', orgId, exportId });
  } catch (error) {
    await deps.portability.updateExport(
      orgId,
      exportId,
      { status: 'failed', failure: 'The export could not be queued; request it again' },
      deps.clock.now().toISOString(),
    );
    throw error;
  }
  return { exportId };
}

export async function getExportStatus(
  deps: ExportDeps,
  ctx: RequestContext,
  orgId: string,
  exportId: string,
): Promise<ExportStatusView> {
  const scope = await resolveScope(deps.orgs, ctx, orgId);
  const record = await deps.portability.getExport(orgId, exportId);
  if (record === undefined || record.requestedBy !== ctx.principal.userId) throw new NotFoundError('export');
  if (Date.parse(record.expiresAt) <= deps.clock.now().getTime())
    throw new GoneError('The export has expired');
  // The file holds what the requester could read when it was built: only while they may still
  // make the same export (jobs.export, the orchestration) do they learn of it or get its URL.
  await exportSources(deps, scope, record.orchestrationId);
  const view: ExportStatusView = {
    exportId,
    status: record.status,
    format: record.format,
    ...(record.orchestrationId === undefined ? {} : { orchestrationId: record.orchestrationId }),
    rowsWritten: record.rowsWritten,
    createdAt: record.createdAt,
    expiresAt: record.expiresAt,
    ...(record.failure === undefined ? {} : { failure: record.failure }),
    ...workerProgress(record),
  };
  if (record.status !== 'ready') return view;
  const downloadUrl = await deps.files.presignGet(
    record.fileKey,
    DOWNLOAD_URL_SECONDS,
    `custos-export-${record.createdAt.slice(0, 10)}.${record.format}`,
  );
  await deps.audit.append(
    successDraft({
      orgId,
      action: 'export.download',
      resource: { type: 'export', id: exportId },
      detail: { rowsWritten: record.rowsWritten, format: record.format },
    }),
    auditActorOf(ctx),
  );
  return { ...view, downloadUrl };
}

/** One job as a file, answered at once; audited as an export of that job. */
export async function exportJob(
  deps: ExportDeps,
  ctx: RequestContext,
  orgId: string,
  jobId: string,
  format: ExportFormat,
): Promise<ExportFile> {
  const { scope, job, orchestration, mask } = await authorizedJob(deps, ctx, orgId, jobId, 'jobs.export');
  // Exporting is processing: a restricted job is exported for owners only (API.md, restriction).
  assertProcessable(job, 'job.export', scope.actor);
  const crypto = cryptoOf(deps, scope);
  const { fields, decrypted } = await openValues(crypto, jobId, orchestration, job.fields, mask);
  const source: ExportSource = { orchestration, mask };
  const stream = writeRows(
    format,
    exportColumns([source]),
    [rowOf({ orchestration, job, fields })],
    orchestration.name,
  );
  const body = Buffer.concat(await stream.toArray());
  await deps.audit.append(
    successDraft({
      orgId,
      action: 'job.export',
      resource: { type: 'job', id: jobId },
      detail: {
        format,
        ...(decrypted.length > 0 ? { decryptedFields: [...decrypted].sort().join(',') } : {}),
      },
    }),
    auditActorOf(ctx),
  );
  return { body, contentType: CONTENT_TYPES[format], fileName: `custos-job-${jobId}.${format}` };
}

/** How many runs started and the last sign of life of one, when a worker has started. */
export function workerProgress(record: { readonly attempt?: number; readonly progressAt?: string }): {
  attempt?: number;
  progressAt?: string;
} {
  return {
    ...(record.attempt === undefined ? {} : { attempt: record.attempt }),
    ...(record.progressAt === undefined ? {} : { progressAt: record.progressAt }),
  };
}

/** A client-side refusal that a retry cannot change; throttling (429) is not one of them. */
export function isPermanent(error: unknown): boolean {
  return error instanceof CustosError && error.status < 500 && !(error instanceof UnavailableError);
}

/** A reason that tells the requester what happened, without internals. */
export function failureReason(error: unknown, what: string): string {
  if (error instanceof NotFoundError)
    return `The ${what} was stopped: the requester or the organization is no longer active`;
  if (isPermanent(error)) return `The ${what} was stopped: the requester no longer has the permission`;
  return `The ${what} failed; it is retried a few times before giving up`;
}

/**
 * The worker's part: builds the file for the request and stores it. Idempotent: a request that is
 * ready (or gone) is left alone, and a rerun overwrites the same key. Progress every
 * PROGRESS_EVERY_ROWS rows. Throws what a retry may fix, after marking the request failed.
 */
export async function runExport(
  deps: Omit<ExportDeps, 'queue'>,
  orgId: string,
  exportId: string,
): Promise<void> {
  const record = await deps.portability.getExport(orgId, exportId);
  if (record === undefined || record.status === 'ready') return;
  const at = () => deps.clock.now().toISOString();
  const started = at();
  await deps.portability.updateExport(
    orgId,
    exportId,
    { status: 'running', rowsWritten: 0, attempt: (record.attempt ?? 0) + 1, progressAt: started },
    started,
  );
  let rowsWritten = 0;
  try {
    const { scope, auditActor } = await requesterScope(deps.orgs, orgId, record.requestedBy, exportId);
    const sources = await exportSources(deps, scope, record.orchestrationId);
    async function* rows(): AsyncGenerator<Row> {
      for await (const opened of exportableJobs(deps, scope, sources)) {
        yield rowOf(opened);
        rowsWritten += 1;
        if (rowsWritten % PROGRESS_EVERY_ROWS === 0) {
          const now = at();
          await deps.portability.updateExport(orgId, exportId, { rowsWritten, progressAt: now }, now);
        }
      }
    }
    const sheetName = sources.length === 1 ? sources[0]!.orchestration.name : 'Jobs';
    await deps.files.upload(
      record.fileKey,
      writeRows(record.format, exportColumns(sources), rows(), sheetName),
      CONTENT_TYPES[record.format],
    );
    await deps.portability.updateExport(orgId, exportId, { status: 'ready', rowsWritten }, at());
    await deps.audit.append(
      successDraft({
        orgId,
        action: 'export.complete',
        resource: { type: 'export', id: exportId },
        detail: { rowsWritten, format: record.format },
      }),
      auditActor,
    );
  } catch (error) {
    await deps.portability
      .updateExport(
        orgId,
        exportId,
        { status: 'failed', rowsWritten, failure: failureReason(error, 'export') },
        at(),
      )
      .catch(() => undefined);
    if (!isPermanent(error)) throw error;
  }
}
