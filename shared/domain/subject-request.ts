/**
 * A data subject request (GDPR Art. 12): the case a privacy team works. The rules that need no
 * storage live here: the one-time code (6 digits, 10 minutes, 5 tries), the statutory deadline
 * (one month after verification, Art. 12(3)), its one extension (1 or 2 months, never past three
 * months from verification), and how long an unverified request is kept (7 days).
 */
import { randomInt } from 'node:crypto';

export const REQUEST_TYPES = [
  'access',
  'rectification',
  'erasure',
  'restriction',
  'portability',
  'objection',
] as const;
export type RequestType = (typeof REQUEST_TYPES)[number];

export const REQUEST_STATUSES = ['unverified', 'open', 'fulfilled', 'rejected'] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

/** A one-time code is valid this long. */
export const CODE_TTL_SECONDS = 10 * 60;
/** The 5th wrong code voids it. */
export const MAX_CODE_TRIES = 5;
/** An unverified request is erased this long after it was made. */
export const UNVERIFIED_TTL_SECONDS = 7 * 24 * 3600;
/** Art. 12(3): one month, extendable by two more. */
export const DUE_MONTHS = 1;
export const MAX_TOTAL_MONTHS = 3;

/** One step of a case: what happened and when; `actor` is the staff member's user id (absent for the subject). */
export interface TimelineStep {
  readonly at: string;
  readonly action: string;
  readonly actor?: string;
}

/** A request as staff see it; the subject's email stays sealed in the store. */
export interface SubjectRequest {
  readonly orgId: string;
  readonly requestId: string;
  readonly type: RequestType;
  readonly status: RequestStatus;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly verifiedAt?: string;
  readonly dueAt?: string;
  /** Months the deadline was extended by (once only). */
  readonly extendedMonths?: number;
  readonly assignee?: string;
  readonly timeline: readonly TimelineStep[];
}

/** A fresh 6-digit code, uniformly drawn (leading zeros kept). */
export function newVerificationCode(): string {
  return randomInt(0, 1_000_000).toString().padStart(6, '0');
}

/**
 * `months` calendar months after `from`, in UTC; a day the target month lacks becomes its last
 * day (31 January + 1 month = 28 or 29 February), as deadlines in months are counted.
 */
export function addMonths(from: Date, months: number): Date {
  const target = new Date(from.getTime());
  const day = target.getUTCDate();
  target.setUTCDate(1);
  target.setUTCMonth(target.getUTCMonth() + months);
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(day, lastDay));
  return target;
}

/** When the answer is due: one month after verification. */
export const dueDateOf = (verifiedAt: Date): Date => addMonths(verifiedAt, DUE_MONTHS);

/**
 * The extended due date, or why it may not be: only an open request, only once, and never past
 * three months from verification.
 */
export function extendedDueDate(
  request: Pick<SubjectRequest, 'status' | 'verifiedAt' | 'dueAt' | 'extendedMonths'>,
  months: number,
): Date | { readonly refused: string } {
  if (request.status !== 'open' || request.verifiedAt === undefined || request.dueAt === undefined)
    return { refused: 'Only an open request can be extended' };
  if (request.extendedMonths !== undefined)
    return { refused: 'The deadline of a request can be extended once only' };
  const extended = addMonths(new Date(request.dueAt), months);
  if (extended.getTime() > addMonths(new Date(request.verifiedAt), MAX_TOTAL_MONTHS).getTime())
    return { refused: 'A deadline never goes past three months from verification' };
  return extended;
}
