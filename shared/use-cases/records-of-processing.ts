/**
 * `GET /records-of-processing`: the organization's Art. 30(1) record, generated at the moment it
 * is asked for from the orchestrations, the consents in force and the custom roles (names of the
 * roles in access limits). JSON for machines; CSV and XLSX, one row per personal or encrypted
 * field, through the same formula-safe writers as exports. Owners and admins only; reading it is
 * an audit event, recorded before the record is answered.
 */
import type { RequestContext } from '../domain/principal.ts';
import {
  processingRecord,
  NO_ACCESS_LIMITS,
  NO_RETENTION,
  type AccessLimits,
  type ConsentedExtension,
  type ProcessingRecord,
  type Recipient,
  type Retention,
} from '../domain/processing-record.ts';
import { findExtension, type ExtensionDefinition } from '../extensions/catalog.ts';
import type { Column, Row } from '../formats/columns.ts';
import type { Clock } from '../ports/clock.ts';
import type { ExtensionStore } from '../ports/extensions.ts';
import type { OrchestrationStore } from '../ports/orchestrations.ts';
import type { OrganizationStore } from '../ports/organizations.ts';
import type { ExportFormat } from '../ports/portability.ts';
import type { RoleStore } from '../ports/roles.ts';
import { CONTENT_TYPES, writeRows } from './exports.ts';
import type { ReadAudit } from './records-context.ts';
import { auditActorOf, authorize, resolveScope, successDraft } from './org-access.ts';

export interface RecordsOfProcessingDeps {
  readonly orgs: OrganizationStore;
  readonly orchestrations: OrchestrationStore;
  readonly extensions: ExtensionStore;
  readonly roles: RoleStore;
  readonly catalog: readonly ExtensionDefinition[];
  readonly audit: ReadAudit;
  readonly clock: Clock;
}

export type RecordFormat = 'json' | ExportFormat;

export type RecordAnswer =
  | { readonly format: 'json'; readonly record: ProcessingRecord }
  | {
      readonly format: ExportFormat;
      readonly body: Buffer;
      readonly contentType: string;
      readonly fileName: string;
    };

export async function recordsOfProcessing(
  deps: RecordsOfProcessingDeps,
  ctx: RequestContext,
  orgId: string,
  format: RecordFormat,
): Promise<RecordAnswer> {
  const scope = await resolveScope(deps.orgs, ctx, orgId);
  authorize(scope.actor, 'processing.record');
  const [orchestrations, connections, roles] = await Promise.all([
    deps.orchestrations.list(orgId),
    deps.extensions.list(orgId),
    deps.roles.list(orgId),
  ]);
  const consented: ConsentedExtension[] = connections.flatMap((connection) => {
    const extension = findExtension(deps.catalog, connection.extensionId);
    return extension === undefined || connection.consent === undefined
      ? []
      : [{ extension, consent: connection.consent }];
  });
  const generatedAt = deps.clock.now().toISOString();
  const record = processingRecord({
    org: { orgId, name: scope.org.name },
    orchestrations,
    consented,
    roleNames: new Map(roles.map((role) => [role.roleId, role.name])),
    generatedAt,
  });
  const answer: RecordAnswer =
    format === 'json'
      ? { format, record }
      : {
          format,
          body: Buffer.concat(
            await writeRows(
              format,
              PROCESSING_COLUMNS,
              processingRows(record),
              'Records of processing',
            ).toArray(),
          ),
          contentType: CONTENT_TYPES[format],
          fileName: `records-of-processing-${generatedAt.slice(0, 10)}.${format}`,
        };
  await deps.audit.append(
    successDraft({
      orgId,
      action: 'processing.record',
      resource: { type: 'org', id: orgId },
      detail: { format, activities: record.activities.length },
    }),
    auditActorOf(ctx),
  );
  return answer;
}

/** The columns of the record as a table: one row per personal or encrypted field of each activity. */
const PROCESSING_COLUMNS: readonly Column[] = [
  { key: 'activity', label: 'Processing activity', kind: 'text' },
  { key: 'orchestrationId', label: 'Orchestration id', kind: 'text' },
  { key: 'purpose', label: 'Purpose', kind: 'text' },
  { key: 'legalBasis', label: 'Legal basis (Art. 6(1))', kind: 'text' },
  { key: 'subjectCategory', label: 'Category of data subjects', kind: 'text' },
  { key: 'fieldId', label: 'Field id', kind: 'text' },
  { key: 'fieldLabel', label: 'Category of personal data', kind: 'text' },
  { key: 'fieldType', label: 'Field type', kind: 'text' },
  { key: 'personal', label: 'Personal', kind: 'text' },
  { key: 'encrypted', label: 'Encrypted', kind: 'text' },
  { key: 'subject', label: 'Identifies the subject', kind: 'text' },
  { key: 'recipients', label: 'Recipients', kind: 'text' },
  { key: 'retention', label: 'Retention', kind: 'text' },
  { key: 'accessLimits', label: 'Access limits', kind: 'text' },
];

const yesNo = (value: boolean): string => (value ? 'yes' : 'no');

function retentionText(retention: Retention | typeof NO_RETENTION): string {
  if (retention === NO_RETENTION) return NO_RETENTION;
  const from =
    retention.from === 'final_stage'
      ? 'reaching the final stage'
      : retention.from === 'created'
        ? 'creation'
        : 'the last update';
  return `${retention.action} ${retention.days} days after ${from}`;
}

function accessLimitsText(limits: AccessLimits | typeof NO_ACCESS_LIMITS): string {
  if (limits === NO_ACCESS_LIMITS) return NO_ACCESS_LIMITS;
  const roles = limits.roles.map((r) => r.name).join(', ');
  return `owners and admins; roles: ${roles === '' ? NO_ACCESS_LIMITS : roles}; users: ${limits.users.length === 0 ? NO_ACCESS_LIMITS : limits.users.join(', ')}`;
}

const recipientText = (r: Recipient): string =>
  `${r.name} (${r.vendor}), consent v${r.consentVersion} of ${r.consentedAt}: ${r.purpose}`;

/** The record's rows for CSV and XLSX; an activity without personal data still has its row. */
function* processingRows(record: ProcessingRecord): Generator<Row> {
  for (const activity of record.activities) {
    const common = {
      activity: activity.name,
      orchestrationId: activity.orchestrationId,
      purpose: activity.purpose,
      legalBasis: activity.legalBasis,
      subjectCategory: activity.subjectCategory,
      retention: retentionText(activity.retention),
      accessLimits: accessLimitsText(activity.security.accessLimits),
    };
    if (activity.personalData.length === 0)
      yield { ...common, recipients: activity.recipients.map(recipientText).join('; ') };
    for (const field of activity.personalData) {
      yield {
        ...common,
        fieldId: field.id,
        fieldLabel: field.label,
        fieldType: field.type,
        personal: yesNo(field.personal),
        encrypted: yesNo(field.encrypted),
        subject: yesNo(field.subject),
        recipients: activity.recipients
          .filter((r) => r.fields.includes(field.id))
          .map(recipientText)
          .join('; '),
      };
    }
  }
}
