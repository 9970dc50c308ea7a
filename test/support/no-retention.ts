/**
 * For clean-up cycles scoped to one test's organizations: the retention pass finds no targets.
 * Orchestrations with rules belong to other test files sharing the tables (and their clocks),
 * so a scoped cycle leaves them to their own test, as it leaves expired items.
 */
import type { CleanupDeps } from '../../shared/use-cases/cleanup-cycle.ts';

const unused = (): never => {
  throw new Error('No retention target: nothing to read or write');
};

export const NO_RETENTION: Pick<CleanupDeps, 'orchestrations' | 'jobs' | 'shares' | 'notices' | 'orgs'> = {
  orchestrations: { get: unused, withRetention: async function* () {} },
  jobs: { findDue: unused, getMany: unused, writeBatch: unused },
  // Nothing erased by retention, so no recipient to notify.
  shares: {
    begin: unused,
    settle: unused,
    ofJobs: unused,
    recordNotices: unused,
    noticeState: unused,
    settleNotice: unused,
    sharedAmong: unused,
    sharesOfOrg: unused,
    // The outbox is shared by every test file; a scoped cycle leaves its entries to their own test.
    batchesBefore: async () => [],
    clearBatch: unused,
  },
  notices: { send: unused },
  orgs: { get: unused },
};

/** No deadline reminders: the scoped cycles of the deletion tests leave other files' requests alone. */
export const NO_REMINDERS: Pick<CleanupDeps, 'reminders'> = {
  reminders: {
    requests: { dueBefore: async function* () {}, markReminded: unused },
    orgs: { get: unused, getMember: unused, listMembers: unused },
    mailer: { send: unused },
    clock: { now: () => new Date() },
  },
};
