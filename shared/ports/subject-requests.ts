/**
 * Data subject requests of an organization (domain/subject-request.ts) and the counters that
 * limit public intake. Every change of a request lands with its audit event and its timeline
 * step, or not at all.
 */
import type { RequestStatus, SubjectRequest, TimelineStep } from '../domain/subject-request.ts';
import type { AuditEntry } from './audit.ts';

/** A request as stored: the subject's email sealed with the organization's key, looked up by its blind index. */
export interface StoredRequest extends SubjectRequest {
  /** Blind index of the subject's email (the one the subject's jobs carry); gone once the subject is erased. */
  readonly subjectIndex?: string;
  /** Gone once the subject is erased, with the name and details (`subjectErasedAt` says when). */
  readonly sealedEmail?: string;
  readonly subjectErasedAt?: string;
  readonly sealedName?: string;
  readonly sealedDetails?: string;
  /** Keyed hash of the current one-time code (use-cases/request-intake.ts); absent once verified. */
  readonly codeHash?: string;
  readonly codeExpiresAt?: string;
  /** Wrong codes counted (reserved before the check, given back when it was right). */
  readonly codeTries: number;
  /** While unverified: when the clean-up cycle erases it. */
  readonly expiresAt?: string;
  /** The deadline reminders sent (once each), by the clean-up cycle. */
  readonly reminded?: readonly DeadlineReminder[];
}

/** Reminders before `dueAt`: 7 days and 1 day. */
export type DeadlineReminder = 'week' | 'day';

/** What a staff action changes; absent fields stay as they are. */
export interface RequestChange {
  readonly status?: RequestStatus;
  readonly assignee?: string;
  readonly dueAt?: string;
  readonly extendedMonths?: number;
}

/** The state a change requires, checked in the same write: a concurrent change makes it a Conflict. */
export interface RequestPrecondition {
  readonly status: RequestStatus;
  /** The deadline has not been extended yet. */
  readonly unextended?: boolean;
}

export interface SubjectRequestStore {
  /**
   * Counts one intake against `limiter` (a keyed hash naming an email or a source address) in the
   * window that ends at `windowEndsAt`: `taken` while fewer than `max` are counted, else `full`.
   * The counter expires with its window.
   */
  takeIntakeSlot(orgId: string, limiter: string, windowEndsAt: Date, max: number): Promise<'taken' | 'full'>;
  /** Stores a new request with its audit event, while the organization is active. */
  create(request: StoredRequest, audit: AuditEntry): Promise<void>;
  get(orgId: string, requestId: string): Promise<StoredRequest | undefined>;
  /** A request by its id alone (the public routes carry no organization). */
  find(requestId: string): Promise<StoredRequest | undefined>;
  /** Every request of the organization (a bounded collection: unverified ones expire in 7 days). */
  list(orgId: string): Promise<StoredRequest[]>;
  /** Counts one code try before it is checked, while fewer than `max` are counted: the tries now counted, or `locked`. */
  reserveCodeTry(orgId: string, requestId: string, max: number): Promise<number | 'locked'>;
  releaseCodeTry(orgId: string, requestId: string): Promise<void>;
  /** Marks it verified: open, its due date, no code and no expiry any more. Conflict when not unverified. */
  verify(
    orgId: string,
    requestId: string,
    change: { verifiedAt: string; dueAt: string },
    step: TimelineStep,
    audit: AuditEntry,
  ): Promise<void>;
  /** Open requests of every organization due before `at`, soonest first (the clean-up cycle's reminders). */
  dueBefore(at: Date): AsyncIterable<StoredRequest>;
  /**
   * Records a reminder as sent, once: false when it was already, or the request is no longer
   * open. With its timeline step and audit event.
   */
  markReminded(
    orgId: string,
    requestId: string,
    reminder: DeadlineReminder,
    step: TimelineStep,
    audit: AuditEntry,
  ): Promise<boolean>;
  /** Applies a staff action with its timeline step and audit event. Conflict when `expect` no longer holds. */
  update(
    orgId: string,
    requestId: string,
    change: RequestChange,
    expect: RequestPrecondition,
    step: TimelineStep,
    audit: AuditEntry,
  ): Promise<StoredRequest>;
  /**
   * Erases what the organization's requests hold about the subject with this blind index: the
   * sealed email, name and details and the blind index itself. The case stays (type, status,
   * dates, timeline: the accountability of Art. 5(2) and 12). Answers how many requests it erased.
   */
  eraseSubject(orgId: string, subjectIndex: string, at: string): Promise<number>;
}
