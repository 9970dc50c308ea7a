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
  /** The report of an access or portability request (use-cases/request-report.ts), once fulfilment started. */
  readonly report?: RequestReport;
  /** Wrong report codes counted, as `codeTries` (reserved before the check); set with `report`. */
  readonly reportTries?: number;
  /** Report codes emailed so far (each POST of the link page sends one, up to a bound); set with `report`. */
  readonly reportCodes?: number;
}

/**
 * The emailed report: a ZIP under the organization's prefix, built by the portability worker for
 * the member who fulfilled the request, then reachable for 7 days through a link whose token is
 * stored hashed, and each time with a fresh one-time code, stored hashed too.
 */
export interface RequestReport {
  /** The member who fulfilled the request: the report is built with their rights. */
  readonly requestedBy: string;
  readonly status: 'pending' | 'ready';
  readonly fileKey: string;
  /** Once ready: 7 days after the file was written, as the bucket's lifecycle counts. */
  readonly expiresAt?: string;
  /** SHA-256 of the emailed link's token. */
  readonly linkHash?: string;
  /** Keyed hash of the current one-time code of the page; removed once used. */
  readonly codeHash?: string;
  readonly codeExpiresAt?: string;
}

/** The two counters of a report link: wrong codes, and codes emailed. */
export type ReportCounter = 'reportTries' | 'reportCodes';

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
   * Records a reminder as sent, once: false when it was already, the request is no longer open,
   * or its organization is closed. With its timeline step (which moves `updatedAt`) and audit event.
   */
  markReminded(
    orgId: string,
    requestId: string,
    reminder: DeadlineReminder,
    step: TimelineStep,
    audit: AuditEntry,
  ): Promise<boolean>;
  /**
   * Starts the report of an open request with its timeline step and audit event; its counters
   * start at 0. Again while it is pending (a build that failed for good can be queued anew).
   * Conflict when the request is not open or its report is ready.
   */
  startReport(
    orgId: string,
    requestId: string,
    report: Pick<RequestReport, 'requestedBy' | 'fileKey'>,
    step: TimelineStep,
    audit: AuditEntry,
  ): Promise<StoredRequest>;
  /** Forgets a pending report that could not be queued, so fulfilling can be tried again. */
  abandonReport(orgId: string, requestId: string): Promise<void>;
  /** The file is written: the report is ready until `expiresAt`, behind the link hashing to `linkHash`. */
  reportReady(
    orgId: string,
    requestId: string,
    ready: { readonly expiresAt: string; readonly linkHash: string },
    step: TimelineStep,
    audit: AuditEntry,
  ): Promise<void>;
  /** Stores the hash of a fresh code of the report page (replacing any earlier one). */
  setReportCode(
    orgId: string,
    requestId: string,
    code: { readonly codeHash: string; readonly codeExpiresAt: string },
    step: TimelineStep,
    audit: AuditEntry,
  ): Promise<void>;
  /**
   * A step of the report page (a wrong code, a download). `spentCode` (the code's hash) removes
   * the code, only while it is still the current one: it serves once, even to parallel posts.
   */
  reportStep(
    orgId: string,
    requestId: string,
    spentCode: string | undefined,
    step: TimelineStep,
    audit: AuditEntry,
  ): Promise<void>;
  /** Counts one use of a report counter before it happens, while fewer than `max`: the uses now counted, or `locked`. */
  reserveReportTry(
    orgId: string,
    requestId: string,
    counter: ReportCounter,
    max: number,
  ): Promise<number | 'locked'>;
  releaseReportTry(orgId: string, requestId: string, counter: ReportCounter): Promise<void>;
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
