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
export const LEGAL_BASES = ['consent', 'contract', 'legal_obligation', 'vital_interests', 'public_task', 'legitimate_interests'] as const;
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
