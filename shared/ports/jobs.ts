/**
 * Jobs as stored: values of encrypted fields are already sealed (the use cases seal and open with
 * the organization's OrgCrypto), and the subject's blind index, never the email, keys the subject
 * index.
 */
import type { Job, RetentionRule } from '../domain/orchestration.ts';
import type { AuditActor, AuditDraft } from './audit.ts';
import type { NoticeBatch } from './notice-queue.ts';
import type { AuditEntry } from './audit.ts';
import type { PagePosition } from './page.ts';

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
  /** Where the previous page ended (its `lastKey`). */
  readonly startKey?: PagePosition;
  /** Only jobs of this owner (members without jobs.read_all). */
  readonly ownerId?: string;
}

export interface JobPage {
  readonly items: StoredJob[];
  /** Where the next page starts (sealed into a cursor by the caller), or undefined at the end. */
  readonly lastKey?: PagePosition;
}

/** Why a conditional job write did not land. */
export type JobWriteFailure = 'job-changed' | 'orchestration-changed';

export class JobWriteConflict extends Error {
  constructor(readonly reason: JobWriteFailure) {
    super(`Job write refused: ${reason}`);
  }
}

/**
 * One job's part of a batch written for a data subject request (erasure, anonymisation,
 * rectification, restriction): delete it if it still has its version, or replace it if it still
 * has `next.version - 1` (and, unless `allowRestricted`, is not restricted).
 */
export type JobBatchChange =
  | { readonly kind: 'delete'; readonly job: StoredJob }
  | { readonly kind: 'replace'; readonly next: StoredJob; readonly allowRestricted: boolean };

/** Thrown by `writeBatch` when one job's condition failed; nothing of the batch was written. */
export class JobBatchConflict extends Error {
  constructor(readonly jobId: string | undefined) {
    super('A job of the batch changed meanwhile');
  }
}

/** One audit event per change of a batch (`drafts[i]` for `changes[i]`), all by one actor. */
export interface PerChangeAudit {
  readonly drafts: readonly AuditDraft[];
  readonly actor: AuditActor;
}

/** The retention candidates of an orchestration to read: the rule and the stage it calls final. */
export interface DueQuery {
  readonly rule: RetentionRule;
  readonly finalStage: string | undefined;
  readonly now: Date;
  readonly limit: number;
  readonly startKey?: PagePosition | undefined;
}

/** How a legal hold changes: placed on a job without one, replaced (new reason), or lifted. */
export type HoldChange = 'place' | 'replace' | 'lift';

export interface JobStore {
  get(orgId: string, jobId: string): Promise<StoredJob | undefined>;
  listByOrchestration(orgId: string, orchestrationId: string, page: JobPageRequest): Promise<JobPage>;
  /** Creates the job while the orchestration still has `guard.revision` (JobWriteConflict otherwise). */
  create(job: StoredJob, guard: OrchestrationGuard, audit: AuditEntry): Promise<void>;
  /**
   * Replaces the job if it still has version `next.version - 1`, is not restricted, and its
   * orchestration still has `guard.revision`; JobWriteConflict tells which condition failed.
   */
  replace(next: StoredJob, guard: OrchestrationGuard, audit: AuditEntry, outbox?: NoticeBatch): Promise<void>;
  /** Deletes the job if it still has `expectedVersion` and is not restricted (JobWriteConflict otherwise). */
  delete(job: StoredJob, expectedVersion: number, audit: AuditEntry, outbox?: NoticeBatch): Promise<void>;
  /**
   * Deletes every job of an orchestration with batched writes, retrying unprocessed items;
   * idempotent, so a crash midway is finished by running it again. Returns how many it deleted.
   */
  sweep(orgId: string, orchestrationId: string): Promise<number>;
  /**
   * The jobs whose subject has the blind index `blindIndex`, page by page over the subject index.
   * Each page is re-read consistently from the table, so a job erased, anonymised or rectified a
   * moment ago never shows up under its old subject even while the index catches up.
   */
  findBySubject(
    orgId: string,
    blindIndex: string,
    request: { readonly limit: number; readonly startKey?: PagePosition },
  ): Promise<JobPage>;
  /**
   * Writes the changes in one transaction, each conditional on its job's version, with the
   * organization still active; deletes move their orchestrations' job counts with them. With
   * `audit`, its event lands in the same transaction. At most SUBJECT_BATCH_LIMIT changes.
   * JobBatchConflict when a job changed meanwhile, NotFoundError when the organization closed.
   * With a PerChangeAudit, every change gets its own event, all in the same transaction.
   * `outbox` (here and in replace/delete): the change's Art. 19 notices, written in the same
   * transaction so that a crash after the commit cannot lose them.
   */
  writeBatch(
    orgId: string,
    changes: readonly JobBatchChange[],
    audit?: AuditEntry | PerChangeAudit,
    outbox?: NoticeBatch,
  ): Promise<void>;
  /**
   * One page of the jobs of an orchestration that the rule makes due at `now`, read from the
   * retention index (held and anonymized jobs are not in it). The index is eventually
   * consistent: the items are what it holds, and the writes that follow are conditional on their
   * versions, so a job changed meanwhile fails its batch instead of being erased (`getMany`
   * re-reads it). Without `limit` reached and no `lastKey`, there is no more.
   */
  findDue(orgId: string, orchestrationId: string, query: DueQuery): Promise<JobPage>;
  /** How many jobs `findDue` would return in all (the preview). */
  countDue(
    orgId: string,
    orchestrationId: string,
    query: Omit<DueQuery, 'limit' | 'startKey'>,
  ): Promise<number>;
  /** The jobs with these ids, read consistently; missing ones are absent. */
  getMany(orgId: string, jobIds: readonly string[]): Promise<StoredJob[]>;
  /**
   * Writes `next` (the job with its hold placed, replaced or lifted) if the job still has version
   * `next.version - 1`, moving the orchestration's count of held jobs with it, and the audit event,
   * in one transaction. JobWriteConflict('job-changed') when the job changed meanwhile.
   */
  writeHold(next: StoredJob, change: HoldChange, audit: AuditEntry): Promise<void>;
  /** Up to `limit` ids of the held jobs of an orchestration (to name them when its deletion is refused). */
  heldJobIds(orgId: string, orchestrationId: string, limit: number): Promise<string[]>;
  /** How many jobs of the organization `ownerId` owns (GET /v1/me); reads the organization's jobs. */
  countOwnedBy(orgId: string, ownerId: string): Promise<number>;
}

/** Jobs per batch transaction: room for one count update per orchestration, the organization check and the audit event. */
export const SUBJECT_BATCH_LIMIT = 40;
