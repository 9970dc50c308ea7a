/** Orchestrations (business-process blueprints) of an organization. */
import type { Orchestration } from '../domain/orchestration.ts';
import type { AuditEntry } from './audit.ts';

/**
 * An orchestration as stored. `revision` moves on every change, so a job write can require the
 * definition it was validated against; `jobCount` moves with every job created or deleted in the
 * same transaction, so "no jobs exist" is a condition the store can check atomically.
 */
export interface OrchestrationRecord extends Orchestration {
  readonly revision: number;
  readonly jobCount: number;
  /** Jobs under legal hold; moves with every hold placed or lifted, so deletion can require none. Absent means 0. */
  readonly heldCount?: number;
}

/** An orchestration that carries a retention rule, as the retention index names it. */
export interface RetentionTarget {
  readonly orgId: string;
  readonly orchestrationId: string;
}

export interface OrchestrationStore {
  list(orgId: string): Promise<OrchestrationRecord[]>;
  get(orgId: string, orchestrationId: string): Promise<OrchestrationRecord | undefined>;
  create(orchestration: Orchestration, audit: AuditEntry): Promise<OrchestrationRecord>;
  /**
   * Replaces the definition if its revision is still `expectedRevision` (ConflictError otherwise)
   * and, when `requireNoJobs`, only while it has no jobs (ConflictError `jobs-exist`).
   */
  update(
    next: Orchestration,
    expectedRevision: number,
    options: { readonly requireNoJobs: boolean },
    audit: AuditEntry,
  ): Promise<OrchestrationRecord>;
  /**
   * Deletes the orchestration and writes its audit event atomically, if it still has the
   * record's revision and job count and no held job (ConflictError otherwise), so the count the
   * event reports is the count erased. Its jobs are swept apart (JobStore.sweep).
   */
  delete(record: OrchestrationRecord, audit: AuditEntry): Promise<void>;
  /**
   * Every orchestration of every organization that carries a retention rule, from a sparse index
   * (never a Scan); eventually consistent, so the caller reads each one again before acting.
   */
  withRetention(): AsyncIterable<RetentionTarget>;
}
