/**
 * The record of processing activities (GDPR Art. 30(1)), generated from what the organization
 * already keeps in Custos instead of a spreadsheet that drifts: each orchestration is one
 * processing activity with its purpose, legal basis and category of subjects, the categories of
 * personal data (its personal and encrypted fields and their types), the recipients (extensions
 * with a consent in force and the fields they receive), the retention rule and the technical
 * measures (encrypted fields, access limits). A statement the organization has not made yet reads
 * "not stated", never an error: the record shows the gap instead of hiding it.
 */
import type { Consent } from '../ports/extensions.ts';
import type { FieldDefinition, LegalBasis, Orchestration } from './orchestration.ts';

export const NOT_STATED = 'not stated';
export const NO_RETENTION = 'none';
export const NO_ACCESS_LIMITS = 'none';

/** A field as the record lists it: its definition, as the orchestration holds it. */
export type RecordedField = FieldDefinition;

export interface Recipient {
  readonly extensionId: string;
  readonly name: string;
  readonly vendor: string;
  /** The purpose given with the consent. */
  readonly purpose: string;
  readonly consentVersion: number;
  readonly consentedAt: string;
  /** Field ids of this activity the recipient receives. */
  readonly fields: readonly string[];
}

export type Retention = NonNullable<Orchestration['retention']>;

export interface AccessLimits {
  /** Roles by id, with the custom role's name (built-in roles are named by their id). */
  readonly roles: readonly { readonly id: string; readonly name: string }[];
  readonly users: readonly string[];
}

export interface ProcessingActivity {
  readonly orchestrationId: string;
  readonly name: string;
  readonly purpose: string;
  readonly legalBasis: LegalBasis | typeof NOT_STATED;
  readonly subjectCategory: string;
  /** Fields that hold personal data or are encrypted, in definition order. */
  readonly personalData: readonly RecordedField[];
  readonly recipients: readonly Recipient[];
  readonly retention: Retention | typeof NO_RETENTION;
  readonly security: {
    readonly encryptedFields: readonly string[];
    /** Owners and admins always have access; otherwise only the listed roles and users. */
    readonly accessLimits: AccessLimits | typeof NO_ACCESS_LIMITS;
  };
}

export interface ProcessingRecord {
  readonly controller: { readonly orgId: string; readonly name: string };
  readonly generatedAt: string;
  readonly activities: readonly ProcessingActivity[];
}

/** An extension connection with its consent in force. */
export interface ConsentedExtension {
  readonly extension: { readonly id: string; readonly name: string; readonly vendor: string };
  readonly consent: Consent;
}

export interface ProcessingSources {
  readonly org: { readonly orgId: string; readonly name: string };
  readonly orchestrations: readonly Orchestration[];
  readonly consented: readonly ConsentedExtension[];
  /** Custom role id → name. */
  readonly roleNames: ReadonlyMap<string, string>;
  readonly generatedAt: string;
}

function recipientsOf(orchestrationId: string, consented: readonly ConsentedExtension[]): Recipient[] {
  return consented.flatMap(({ extension, consent }) => {
    const fields = consent.fields.filter((f) => f.orchestrationId === orchestrationId).map((f) => f.fieldId);
    if (fields.length === 0) return [];
    return [
      {
        extensionId: extension.id,
        name: extension.name,
        vendor: extension.vendor,
        purpose: consent.purpose,
        consentVersion: consent.version,
        consentedAt: consent.grantedAt,
        fields,
      },
    ];
  });
}

function activityOf(orchestration: Orchestration, sources: ProcessingSources): ProcessingActivity {
  const { access } = orchestration;
  return {
    orchestrationId: orchestration.orchestrationId,
    name: orchestration.name,
    purpose: orchestration.purpose ?? NOT_STATED,
    legalBasis: orchestration.legalBasis ?? NOT_STATED,
    subjectCategory: orchestration.subjectCategory ?? NOT_STATED,
    personalData: orchestration.fields
      .filter((f) => f.personal || f.encrypted)
      .map((f) => ({
        id: f.id,
        label: f.label,
        type: f.type,
        personal: f.personal,
        encrypted: f.encrypted,
        subject: f.subject,
      })),
    recipients: recipientsOf(orchestration.orchestrationId, sources.consented),
    retention: orchestration.retention ?? NO_RETENTION,
    security: {
      encryptedFields: orchestration.fields.filter((f) => f.encrypted).map((f) => f.id),
      accessLimits:
        access === undefined
          ? NO_ACCESS_LIMITS
          : {
              roles: access.roles.map((id) => ({ id, name: sources.roleNames.get(id) ?? id })),
              users: [...access.users],
            },
    },
  };
}

/** The record, activities ordered by name (then id) so two records of the same state are equal. */
export function processingRecord(sources: ProcessingSources): ProcessingRecord {
  const ordered = [...sources.orchestrations].sort(
    (a, b) => a.name.localeCompare(b.name) || a.orchestrationId.localeCompare(b.orchestrationId),
  );
  return {
    controller: { orgId: sources.org.orgId, name: sources.org.name },
    generatedAt: sources.generatedAt,
    activities: ordered.map((o) => activityOf(o, sources)),
  };
}
