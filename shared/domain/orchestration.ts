export const FIELD_TYPES = ['text', 'email', 'phone', 'number', 'date'] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

export interface FieldDefinition {
  readonly id: string;
  readonly label: string;
  readonly type: FieldType;
  readonly personal: boolean;
  readonly encrypted: boolean;
  readonly subject: boolean;
}

export interface OrchestrationAccess {
  /** Built-in role names or custom role ids. */
  readonly roles: readonly string[];
  readonly users: readonly string[];
}

export const RETENTION_BASES = ['created', 'updated', 'final_stage'] as const;
export const RETENTION_ACTIONS = ['delete', 'anonymize'] as const;

/**
 * How long an orchestration's jobs are kept (Art. 5(1)(e)): `days` after the job was created,
 * last updated, or entered the orchestration's final stage, the clean-up cycle deletes or
 * anonymizes it. A job under legal hold is kept whatever the rule says.
 */
export interface RetentionRule {
  readonly days: number;
  readonly from: (typeof RETENTION_BASES)[number];
  readonly action: (typeof RETENTION_ACTIONS)[number];
}

/** The lawful bases of processing of GDPR Art. 6(1)(a)–(f), in that order. */
export const LEGAL_BASES = [
  'consent',
  'contract',
  'legal_obligation',
  'vital_interests',
  'public_task',
  'legitimate_interests',
] as const;
export type LegalBasis = (typeof LEGAL_BASES)[number];

export interface Orchestration {
  readonly orgId: string;
  readonly orchestrationId: string;
  readonly name: string;
  readonly stages: readonly string[];
  readonly fields: readonly FieldDefinition[];
  readonly access?: OrchestrationAccess;
  /** Why its jobs are processed (Art. 30(1)(b)); absent on orchestrations made before it was asked. */
  readonly purpose?: string;
  readonly legalBasis?: LegalBasis;
  /** Whom its jobs are about, e.g. "customers" (Art. 30(1)(c)). */
  readonly subjectCategory?: string;
  readonly retention?: RetentionRule;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly createdBy: string;
}

export type FieldValue = string | number;

export interface Restriction {
  readonly reason: string;
  readonly at: string;
  readonly by: string;
}

/** A legal hold (Art. 17(3)(e)): the job is kept, whatever retention or an erasure request says. */
export interface LegalHold {
  readonly reason: string;
  readonly at: string;
  readonly by: string;
}

export interface Job {
  readonly orgId: string;
  readonly jobId: string;
  readonly orchestrationId: string;
  readonly ownerId: string;
  readonly stage: string;
  /** Plaintext values keyed by field id (decrypted in use cases, sealed by the records adapter). */
  readonly fields: Readonly<Record<string, FieldValue>>;
  readonly restriction?: Restriction;
  readonly legalHold?: LegalHold;
  /** When the job entered its current stage (retention `from: final_stage`); absent on jobs written before it was kept. */
  readonly stageEnteredAt?: string;
  /** When its personal fields were removed (subject erasure or retention): it is no longer a candidate for retention. */
  readonly anonymizedAt?: string;
  readonly version: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** What makes a definition invalid beyond its schema: duplicate ids and stages, a subject field that is not a personal email. */
export function definitionIssues(
  o: Pick<Orchestration, 'fields' | 'stages'>,
): { path: string; message: string }[] {
  const issues: { path: string; message: string }[] = [];
  const ids = new Set<string>();
  o.fields.forEach((field, i) => {
    if (ids.has(field.id)) issues.push({ path: `body.fields.${i}.id`, message: 'Field ids must be unique' });
    ids.add(field.id);
    if (field.subject && field.type !== 'email')
      issues.push({ path: `body.fields.${i}.subject`, message: 'The subject field must be of type email' });
    if (field.subject && !field.personal)
      issues.push({ path: `body.fields.${i}.personal`, message: 'The subject field is personal data' });
  });
  if (o.fields.filter((f) => f.subject).length > 1)
    issues.push({ path: 'body.fields', message: 'At most one field may be the subject' });
  const stages = new Set<string>();
  o.stages.forEach((stage, i) => {
    if (stages.has(stage)) issues.push({ path: `body.stages.${i}`, message: 'Stages must be unique' });
    stages.add(stage);
  });
  if (o.stages.length === 0) issues.push({ path: 'body.stages', message: 'At least one stage is required' });
  return issues;
}
