/**
 * Right of access (GDPR Art. 15): every job about a data subject, found through the blind index
 * of their email (so it works where the email is encrypted), across every orchestration the
 * caller may see, with each field the caller may read decrypted and hidden fields absent. The
 * report says where each datum lives: orchestration (id and name), job, field (id and label),
 * stage, created/updated, and who owns the job.
 *
 * Bounded memory: the subject index is read a page at a time; each page is opened, serialised
 * (JSON) or written through the streaming CSV writer, and dropped, so only the report's bytes are
 * held. Those bytes are the Lambda's answer, which API Gateway buffers and caps at 6 MB: a
 * report larger than MAX_REPORT_BYTES answers 409 `report-too-large` instead of a truncated one.
 *
 * The request is audited (`subject.access`, the subject named by blind index, never by email)
 * before the report is handed out: no event, no disclosure.
 */
import { decide } from '../domain/authorization.ts';
import { ConflictError } from '../domain/errors.ts';
import type { FieldType, FieldValue } from '../domain/orchestration.ts';
import type { RequestContext } from '../domain/principal.ts';
import { CSV_CONTENT_TYPE, writeCsv } from '../formats/csv.ts';
import type { Column, Row } from '../formats/columns.ts';
import { openValues } from './job-fields.ts';
import { auditActorOf, authorize, resolveScope, successDraft, type OrgScope } from './org-access.ts';
import { cryptoOf } from './org-access.ts';
import { orchestrationCache, subjectIndexOf, subjectJobs, type SubjectDeps } from './subject-jobs.ts';
import { recipientsOfSubject, type RecipientView, type RecipientsDeps } from './recipients.ts';

export type AccessFormat = 'json' | 'csv';

/** Leaves room below API Gateway's 6 MB for headers and base64 framing. */
export const MAX_REPORT_BYTES = 4 * 1024 * 1024;

export interface AccessDatum {
  readonly fieldId: string;
  readonly label: string;
  readonly type: FieldType;
  readonly personal: boolean;
  readonly value: FieldValue;
}

export interface AccessItem {
  readonly orchestrationId: string;
  readonly orchestration: string;
  readonly jobId: string;
  readonly stage: string;
  readonly ownerId: string;
  readonly restricted: boolean;
  /** Why the job is kept despite an erasure request (Art. 17(3)(e)), told to the person it concerns. */
  readonly legalHold?: { readonly reason: string; readonly at: string };
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly fields: readonly AccessDatum[];
}

export interface AccessReport {
  readonly body: string | Buffer;
  readonly contentType: string;
}

/**
 * The subject's jobs the caller may read, opened with the caller's field mask. Also the content of
 * the emailed report of an access or portability request (request-report.ts).
 */
export async function* accessItems(
  deps: Pick<SubjectDeps, 'jobs' | 'orchestrations' | 'keys'>,
  scope: OrgScope,
  blindIndex: string,
  tally: { jobs: number; decrypted: number },
): AsyncGenerator<AccessItem> {
  const orgId = scope.org.orgId;
  const crypto = cryptoOf(deps, scope);
  const orchestrationOf = orchestrationCache(deps, orgId);
  for await (const job of subjectJobs(deps, orgId, blindIndex)) {
    const orchestration = await orchestrationOf(job.orchestrationId);
    if (orchestration === undefined) continue;
    // The same decision as reading the job: orchestrations limited out and others' jobs (without jobs.read_all) stay out.
    const decision = decide(scope.actor, 'jobs.read', { kind: 'job', orchestration, job });
    if (decision.effect !== 'allow') continue;
    const { fields, decrypted } = await openValues(
      crypto,
      job.jobId,
      orchestration,
      job.fields,
      decision.fieldMask,
    );
    tally.jobs += 1;
    tally.decrypted += decrypted.length;
    const item: AccessItem = {
      orchestrationId: orchestration.orchestrationId,
      orchestration: orchestration.name,
      jobId: job.jobId,
      stage: job.stage,
      ownerId: job.ownerId,
      restricted: job.restriction !== undefined,
      ...(job.legalHold === undefined
        ? {}
        : { legalHold: { reason: job.legalHold.reason, at: job.legalHold.at } }),
      createdAt: job.createdAt,
      updatedAt: job.updatedAt,
      fields: orchestration.fields.flatMap((f) => {
        const value = fields[f.id];
        return value === undefined
          ? []
          : [{ fieldId: f.id, label: f.label, type: f.type, personal: f.personal, value }];
      }),
    };
    yield item;
  }
}

const tooLarge = (): ConflictError =>
  new ConflictError(
    `The report exceeds ${MAX_REPORT_BYTES} bytes; ask an owner for an export of the orchestrations concerned`,
    'report-too-large',
  );

export const ACCESS_CSV_COLUMNS: readonly Column[] = [
  { key: 'orchestrationId', label: 'Orchestration id', kind: 'text' },
  { key: 'orchestration', label: 'Orchestration', kind: 'text' },
  { key: 'jobId', label: 'Job', kind: 'text' },
  { key: 'stage', label: 'Stage', kind: 'text' },
  { key: 'ownerId', label: 'Owner', kind: 'text' },
  { key: 'restricted', label: 'Restricted', kind: 'text' },
  { key: 'legalHold', label: 'Legal hold', kind: 'text' },
  { key: 'createdAt', label: 'Created', kind: 'date' },
  { key: 'updatedAt', label: 'Updated', kind: 'date' },
  { key: 'fieldId', label: 'Field id', kind: 'text' },
  { key: 'field', label: 'Field', kind: 'text' },
  { key: 'personal', label: 'Personal', kind: 'text' },
  // Values stay text: a CSV cell of the report shows what is stored, typed or not.
  { key: 'value', label: 'Value', kind: 'text' },
  // Who received this datum (Art. 15(1)(c), 19): `vendor (extension id) first shared at`, `; `-separated.
  { key: 'recipients', label: 'Recipients', kind: 'text' },
];

/** The recipients of one datum: the extensions that may hold this field of this job, each with when it first got it. */
function recipientsCell(views: readonly RecipientView[], fieldId: string): string {
  return views
    .flatMap((view) => {
      const first = view.shares.find((share) => share.fields.includes(fieldId));
      return first === undefined ? [] : [`${view.vendor} (${view.extensionId}) ${first.at}`];
    })
    .join('; ');
}

/** The subject's recipients grouped by job, for the CSV report's Recipients column. */
export function recipientsByJob(
  views: readonly RecipientView[],
): ReadonlyMap<string, readonly RecipientView[]> {
  const byJob = new Map<string, RecipientView[]>();
  for (const view of views) byJob.set(view.jobId, [...(byJob.get(view.jobId) ?? []), view]);
  return byJob;
}

/** One CSV row per datum: the job's place, then the field, its value and who received it. */
export function* csvRows(item: AccessItem, recipients: readonly RecipientView[]): Generator<Row> {
  const place = {
    orchestrationId: item.orchestrationId,
    orchestration: item.orchestration,
    jobId: item.jobId,
    stage: item.stage,
    ownerId: item.ownerId,
    restricted: item.restricted ? 'yes' : 'no',
    legalHold: item.legalHold === undefined ? 'no' : `yes: ${item.legalHold.reason}`,
    createdAt: item.createdAt,
    updatedAt: item.updatedAt,
  };
  for (const datum of item.fields)
    yield {
      ...place,
      fieldId: datum.fieldId,
      field: datum.label,
      personal: datum.personal ? 'yes' : 'no',
      value: String(datum.value),
      recipients: recipientsCell(recipients, datum.fieldId),
    };
}

/**
 * The JSON report, piece by piece as the items arrive: the subject, the items, then who received
 * the person's data (`recipients`, read once the items are written) and when it was made.
 */
export async function* accessJson(
  email: string,
  items: AsyncIterable<AccessItem>,
  recipients: () => Promise<unknown>,
  generatedAt: string,
): AsyncGenerator<string> {
  yield `{"subject":${JSON.stringify({ email })},"items":[`;
  let separator = '';
  for await (const item of items) {
    yield `${separator}${JSON.stringify(item)}`;
    separator = ',';
  }
  yield `],"recipients":${JSON.stringify(await recipients())},"generatedAt":${JSON.stringify(generatedAt)}}`;
}

/**
 * The report also names who received the person's data (Art. 15(1)(c), 19): the JSON one in
 * `recipients`, the CSV one in a Recipients column beside each datum.
 */
export async function subjectAccessReport(
  deps: SubjectDeps & Pick<RecipientsDeps, 'catalog'>,
  ctx: RequestContext,
  orgId: string,
  input: { email: string; format: AccessFormat },
): Promise<AccessReport> {
  const scope = await resolveScope(deps.orgs, ctx, orgId);
  authorize(scope.actor, 'subjects.access');
  const blindIndex = await subjectIndexOf(deps, scope, input.email);
  const tally = { jobs: 0, decrypted: 0 };
  const items = () => accessItems(deps, scope, blindIndex, tally);

  const generatedAt = deps.clock.now().toISOString();
  let body: string | Buffer;
  let contentType: string;
  if (input.format === 'csv') {
    const chunks: Buffer[] = [];
    let bytes = 0;
    const byJob = recipientsByJob((await recipientsOfSubject(deps, scope, blindIndex)).items);
    const rows = async function* (): AsyncGenerator<Row> {
      for await (const item of items()) yield* csvRows(item, byJob.get(item.jobId) ?? []);
    };
    for await (const chunk of writeCsv(ACCESS_CSV_COLUMNS, rows())) {
      const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk), 'utf8');
      bytes += buffer.byteLength;
      if (bytes > MAX_REPORT_BYTES) throw tooLarge();
      chunks.push(buffer);
    }
    body = Buffer.concat(chunks);
    contentType = CSV_CONTENT_TYPE;
  } else {
    const parts: string[] = [];
    let bytes = 0;
    const recipients = async () => (await recipientsOfSubject(deps, scope, blindIndex)).items;
    for await (const part of accessJson(input.email, items(), recipients, generatedAt)) {
      bytes += Buffer.byteLength(part);
      if (bytes > MAX_REPORT_BYTES) throw tooLarge();
      parts.push(part);
    }
    body = parts.join('');
    contentType = 'application/json';
  }

  await deps.audit.append(
    successDraft({
      orgId,
      action: 'subject.access',
      resource: { type: 'subject', id: blindIndex },
      detail: { format: input.format, jobs: tally.jobs, decryptedValues: tally.decrypted },
    }),
    auditActorOf(ctx),
  );
  return { body, contentType };
}
