/**
 * What the clean-up cycle needs from storage to erase a tenant, resume after a crash, pseudonymise
 * a deleted account's audit trail and sweep expired portability items. The cycle orchestrates the
 * phases; the adapter owns where progress is kept and which keys it may touch.
 */

/** Items deleted so far, by kind (`job`, `member`, `audit`, `files`, …). Never personal data. */
export type DeletionCounts = Readonly<Record<string, number>>;

/**
 * The phases of an organization's erasure, in order. The data keys are shredded when the cycle
 * claims the organization (before `records`); the organization item itself goes in `final`.
 * An organization that ever shared a job starts at `notices`: its recipients are told of the
 * erasure (Art. 19) while its keys and share records still exist, and its keys are shredded on
 * leaving that phase (docs/decisions/0020).
 */
export const DELETION_PHASES = ['notices', 'records', 'audit', 'files', 'final'] as const;
export type DeletionPhase = (typeof DELETION_PHASES)[number];

/** Who may work on an organization's erasure right now, and until when (epoch ms). */
export interface Lease {
  readonly owner: string;
  readonly until: number;
}

export interface DeletionProgress {
  readonly phase: DeletionPhase;
  readonly counts: DeletionCounts;
  readonly requestedBy: string;
  readonly requestedAt: string;
  readonly startedAt: string;
}

export type ClaimResult =
  | { readonly outcome: 'claimed'; readonly progress: DeletionProgress }
  /** Another cycle holds an unexpired lease. */
  | { readonly outcome: 'busy' }
  /** The organization is active: its deletion was cancelled (or never asked for). */
  | { readonly outcome: 'active' }
  /** No organization item: erased already (a deletion record exists) or never existed. */
  | { readonly outcome: 'gone'; readonly recorded: boolean };

/** The one item left of an erased organization: hashes, counts and times, no personal data. */
export interface DeletionRecord {
  readonly orgIdHash: string;
  readonly requestedByHash: string;
  readonly requestedAt: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly counts: DeletionCounts;
}

/** Whether to go on: false once the cycle's time budget is spent. */
export interface Budget {
  remaining(): boolean;
}

export interface SweepResult {
  /** false: the budget ran out first; progress so far is checkpointed. */
  readonly complete: boolean;
}

export type PendingDeletion =
  { readonly kind: 'org'; readonly orgId: string } | { readonly kind: 'account'; readonly userId: string };

export interface TenantSweeper {
  /** Deletions accepted but not finished, found without their queue message (belt and braces). */
  pending(): Promise<PendingDeletion[]>;
  /**
   * Marks a pending organization `deleting` (from then on it cannot be cancelled), shreds its
   * wrapped data keys and takes the lease, in one conditional write; resumes one already deleting
   * whose lease expired or is ours. An organization that ever shared keeps its keys and starts at
   * the `notices` phase (`shred` ends it).
   */
  claim(orgId: string, lease: Lease, now: Date): Promise<ClaimResult>;
  /** Gives the lease up early (a failed run), so the next cycle need not wait for it to expire. */
  release(orgId: string, owner: string): Promise<void>;
  /** Deletes every records-table item of the organization's partition but the organization item. */
  sweepRecords(orgId: string, owner: string, budget: Budget): Promise<SweepResult>;
  /** Deletes the organization's audit partition (events and chain head). */
  sweepAudit(orgId: string, owner: string, budget: Budget): Promise<SweepResult>;
  /** Adds to the checkpointed counts (e.g. files deleted), under our lease. */
  addCounts(orgId: string, owner: string, counts: DeletionCounts): Promise<void>;
  /** Shreds the wrapped data keys and checkpoints the `notices` phase as done, in one write under our lease. */
  shred(orgId: string, owner: string): Promise<DeletionProgress>;
  /** Checkpoints that every phase before `phase` is done, under our lease. */
  advance(orgId: string, owner: string, phase: DeletionPhase): Promise<DeletionProgress>;
  /**
   * Writes the deletion record and deletes the organization item and its pending marker, in one
   * transaction. Resolves false when someone else finished first (the record already exists).
   */
  finish(orgId: string, owner: string, record: DeletionRecord): Promise<boolean>;

  /** The organizations a deleted account was a member of, or undefined when nothing is pending. */
  accountDeletion(userId: string): Promise<readonly string[] | undefined>;
  finishAccount(userId: string): Promise<void>;
}

/** Records that an account asked to be erased, before its memberships go (so the orgs are not forgotten). */
export interface AccountDeletionMarker {
  markAccount(userId: string, orgIds: readonly string[], requestedAt: string): Promise<void>;
}

/** Removes a user's identifying details (email, ip, user agent) from an organization's audit events. */
export interface ActorPseudonymiser {
  /** Resolves to the number of events changed; verification of the chain still passes. */
  pseudonymiseActor(orgId: string, userId: string): Promise<number>;
}

/** An item whose `expiresAt` passed: an export or backup (with its file) or a link token. */
export interface ExpiredItem {
  readonly orgId: string;
  readonly key: { readonly pk: string; readonly sk: string };
  readonly fileKey: string | undefined;
  readonly expiresAt: number;
}

export interface ExpiredItems {
  /** Expired items, page by page, resuming where the last (budget-limited) sweep stopped. */
  scanExpired(
    now: Date,
    budget: Budget,
    onPage: (items: readonly ExpiredItem[]) => Promise<void>,
  ): Promise<SweepResult>;
  /** Deletes the item unless its expiry was moved since it was read. */
  deleteExpired(item: ExpiredItem, now: Date): Promise<void>;
}
