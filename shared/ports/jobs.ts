/**
 * Jobs as stored: values of encrypted fields are already sealed (the use cases seal and open with
 * the organization's OrgCrypto), and the subject's blind index, never the email, keys the subject
 * index.
 */
import type { Job } from '../domain/orchestration.ts';
import type { AuditEntry } from './organizations.ts';

export interface StoredJob extends Job {
  /** Blind index of the subject email (OrgCrypto.blindIndex); absent when the job has no subject value. */
  readonly subjectIndex?: string;
}

/** What a job write is validated against: the orchestration's revision at the time. */
export interface OrchestrationGuard {
  readonly orchestrationId: string;
  readonly revision: number;
}

export interface JobPageRequest {
  readonly limit: number;
  /** The opened cursor: DynamoDB's ExclusiveStartKey of the previous page. */
  readonly startKey?: Record<string, unknown>;
  /** Only jobs of this owner (members without jobs.read_all). */
  readonly ownerId?: string;
}

export interface JobPage {
  readonly items: StoredJob[];
  /** The key to continue from (sealed into a cursor by the caller), or undefined at the end. */
  readonly lastKey?: Record<string, unknown>;
}

/** Why a conditional job write did not land. */
export type JobWriteFailure = 'job-changed' | 'orchestration-changed';

export class JobWriteConflict extends Error {
  constructor(readonly reason: JobWriteFailure) {
    super(`Job write refused: ${reason}`);
  }
}

export interface JobStore {
  get(orgId: string, jobId: string): Promise<StoredJob | undefined>;
  listByOrchestration(orgId: string, orchestrationId: string, page: JobPageRequest): Promise<JobPage>;
  /** Creates the job while the orchestration still has `guard.revision` (JobWriteConflict otherwise). */
  create(job: StoredJob, guard: OrchestrationGuard, audit: AuditEntry): Promise<void>;
  /**
   * Replaces the job if it still has version `next.version - 1`, is not restricted, and its
   * orchestration still has `guard.revision`; JobWriteConflict tells which condition failed.
   */
  replace(next: StoredJob, guard: OrchestrationGuard, audit: AuditEntry): Promise<void>;
  /** Deletes the job if it still has `expectedVersion` and is not restricted (JobWriteConflict otherwise). */
  delete(job: StoredJob, expectedVersion: number, audit: AuditEntry): Promise<void>;
  /**
   * Deletes every job of an orchestration with batched writes, retrying unprocessed items;
   * idempotent, so a crash midway is finished by running it again. Returns how many it deleted.
   */
  sweep(orgId: string, orchestrationId: string): Promise<number>;
}
