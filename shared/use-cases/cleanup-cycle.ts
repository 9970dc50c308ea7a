/**
 * The clean-up cycle, run on a schedule: drains the deletion queue within a time budget, erases
 * each organization it names (records, audit events, files, keys; only a deletion record without
 * personal data remains), pseudonymises deleted accounts in the audit events of the organizations
 * they were in, then picks up pending deletions whose message never came (their markers), then
 * applies the orchestrations' retention rules (retention.ts), then queues the Art. 19 notices a
 * crash left in the outbox (recipient-notices.ts), then reminds staff of data subject
 * requests due soon and counts the overdue ones (request-reminders.ts), then deletes expired
 * exports, backups, link tokens and unverified requests.
 *
 * Resumable and idempotent: progress is checkpointed per organization, a run that stops early
 * (budget, failure, crash) leaves its message to come back and the next run continues where the
 * checkpoint says; a message whose work is already done is simply acknowledged. Only one run
 * works on an organization at a time (a lease that ends with the run's hard deadline).
 * A message whose body does not parse is never acknowledged: the redrive policy moves it to the
 * dead-letter queue, whose alarm calls a human.
 */
import { orgFilePrefix, type Files } from '../ports/files.ts';
import type { Clock } from '../ports/clock.ts';
import type { DeletionQueue, DeletionRequest } from '../ports/deletion-queue.ts';
import type {
  ActorPseudonymiser,
  Budget,
  DeletionCounts,
  DeletionProgress,
  ExpiredItems,
  TenantSweeper,
} from '../ports/tenant-sweeper.ts';
import { logger } from '../logger.ts';
import { sha256Hex } from '../domain/sha256.ts';
import { applyRetention, type RetentionDeps, type RetentionReport } from './retention.ts';
import { queueLeftNotices, tellRecipientsOfErasure } from './recipient-notices.ts';
import { remindDueRequests, type ReminderDeps, type ReminderReport } from './request-reminders.ts';

export interface CleanupDeps {
  readonly queue: DeletionQueue;
  readonly sweeper: TenantSweeper;
  readonly files: Pick<Files, 'deletePrefix' | 'delete'>;
  readonly audit: ActorPseudonymiser;
  readonly expired: ExpiredItems;
  readonly clock: Clock;
  readonly orchestrations: RetentionDeps['orchestrations'];
  readonly jobs: RetentionDeps['jobs'];
  readonly shares: RetentionDeps['shares'];
  readonly notices: RetentionDeps['notices'];
  readonly orgs: RetentionDeps['orgs'];
  readonly reminders: ReminderDeps;
}

export interface CycleRun {
  /** Names this run as the holder of leases; unique per run (the Lambda request id). */
  readonly cycleId: string;
  /** Epoch ms: no new work starts after it (below the function's timeout). */
  readonly deadline: number;
  /** Epoch ms: when the function is stopped for sure; leases last until then at most. */
  readonly hardDeadline: number;
  /**
   * Ms: when set, the claim on an organization lasts this long and is renewed every third of it
   * while the run works on it, so a run that dies frees the organization within one lease (its
   * message comes back within the same lease) instead of at its hard deadline.
   */
  readonly claimLeaseMs?: number;
}

export interface OrganizationReport {
  /** Ids in the report and the deletion record are SHA-256 hashes (domain/sha256.ts): comparable, not readable. */
  readonly orgIdHash: string;
  readonly counts: DeletionCounts;
  readonly done: boolean;
}

/** What one run did. Hashes and counts only: it is returned by POST /dev/cleanup and logged. */
export interface CleanupReport {
  readonly organizations: OrganizationReport[];
  /** Accounts whose erasure finished in this run. */
  accounts: number;
  /** Jobs erased or anonymized by retention rules (absent when the budget ran out before them). */
  retention?: RetentionReport;
  /** Art. 19 notices queued from the outbox, left there by a change whose process stopped after its commit. */
  notices?: { queued: number; dropped: number };
  /** Deadline reminders of data subject requests and the overdue count (absent when the budget ran out before them). */
  requests?: ReminderReport;
  readonly expired: { files: number; links: number };
  /** Messages left for the dead-letter queue because their body is not a deletion request. */
  malformedMessages: number;
  /** The budget ran out with work left (it continues in the next run). */
  budgetExhausted: boolean;
}

const RECEIVE_BATCH = 10;
const RECEIVE_WAIT_SECONDS = 1;
const EXPIRED_DELETES_IN_FLIGHT = 8;

const keyOf = (request: Pick<DeletionRequest, 'kind'> & { orgId?: string; userId?: string }): string =>
  request.kind === 'org' ? `org:${request.orgId}` : `account:${request.userId}`;

export async function runCleanupCycle(deps: CleanupDeps, run: CycleRun): Promise<CleanupReport> {
  try {
    return await cycle(deps, run);
  } finally {
    // The messages it did not finish go back to the queue, within one lease.
    deps.queue.releaseHeld();
  }
}

async function cycle(deps: CleanupDeps, run: CycleRun): Promise<CleanupReport> {
  const budget: Budget = { remaining: () => Date.now() < run.deadline };
  const report: CleanupReport = {
    organizations: [],
    accounts: 0,
    expired: { files: 0, links: 0 },
    malformedMessages: 0,
    budgetExhausted: false,
  };
  /** Per organization or account: true once its work is done (its messages may go). */
  const settled = new Map<string, boolean>();

  const handle = async (
    request: { kind: 'org'; orgId: string } | { kind: 'account'; userId: string },
  ): Promise<boolean> => {
    const key = keyOf(request);
    const known = settled.get(key);
    if (known !== undefined) return known;
    const outcome =
      request.kind === 'org'
        ? await eraseOrganization(deps, run, budget, request.orgId, report)
        : await eraseAccount(deps, budget, request.userId, report);
    settled.set(key, outcome);
    return outcome;
  };

  while (budget.remaining()) {
    const messages = await deps.queue.receive(RECEIVE_BATCH, RECEIVE_WAIT_SECONDS);
    if (messages.length === 0) break;
    for (const message of messages) {
      if (message.request === undefined) {
        report.malformedMessages += 1;
        logger.warn('malformed deletion message left for the dead-letter queue', {
          messageId: message.messageId,
        });
        continue;
      }
      if (!budget.remaining() && !settled.has(keyOf(message.request))) continue;
      if (await handle(message.request)) await deps.queue.acknowledge(message.receipt);
    }
  }

  for (const pending of await deps.sweeper.pending()) {
    if (!budget.remaining()) break;
    await handle(pending);
  }

  if (budget.remaining()) {
    report.retention = await applyRetention(deps, run, budget);
  }

  if (budget.remaining()) {
    try {
      report.notices = await queueLeftNotices(deps, budget);
    } catch (error) {
      // Left in the outbox for the next run; the rest of the cycle goes on.
      logger.error('outbox notices not queued; the next cycle retries', {
        error: error instanceof Error ? error.name : 'unknown',
      });
    }
  }

  if (budget.remaining()) {
    report.requests = await remindDueRequests(deps.reminders, run.cycleId, budget);
  }

  if (budget.remaining()) {
    const now = deps.clock.now();
    const scan = await deps.expired.scanExpired(now, budget, async (items) => {
      for (let i = 0; i < items.length; i += EXPIRED_DELETES_IN_FLIGHT) {
        await Promise.all(
          items.slice(i, i + EXPIRED_DELETES_IN_FLIGHT).map(async (item) => {
            if (item.fileKey !== undefined) {
              // An item may only name a file of its own organization; anything else is left alone.
              if (!isFileOf(item.orgId, item.fileKey)) {
                logger.warn('expired item names a file outside its organization; left for review');
                return;
              }
              await deps.files.delete(item.fileKey);
              report.expired.files += 1;
            } else {
              report.expired.links += 1;
            }
            await deps.expired.deleteExpired(item, now);
          }),
        );
      }
    });
    if (!scan.complete) report.budgetExhausted = true;
  }
  if (!budget.remaining()) report.budgetExhausted = true;
  logger.info('clean-up cycle', {
    organizations: report.organizations.length,
    finished: report.organizations.filter((o) => o.done).length,
    accounts: report.accounts,
    retentionDeleted: report.retention?.deleted ?? 0,
    retentionAnonymized: report.retention?.anonymized ?? 0,
    expiredFiles: report.expired.files,
    expiredLinks: report.expired.links,
    malformedMessages: report.malformedMessages,
    budgetExhausted: report.budgetExhausted,
  });
  return report;
}

function isFileOf(orgId: string, fileKey: string): boolean {
  try {
    return fileKey.startsWith(orgFilePrefix(orgId));
  } catch {
    return false; // not a well-formed organization id: no file can be its own
  }
}

/** Resolves true when nothing is left to do for the organization (erased, cancelled or unknown). */
async function eraseOrganization(
  deps: CleanupDeps,
  run: CycleRun,
  budget: Budget,
  orgId: string,
  report: CleanupReport,
): Promise<boolean> {
  const orgIdHash = sha256Hex(orgId);
  const owner = run.cycleId;
  const now = deps.clock.now();
  // The lease's end in wall time, converted to the domain clock the stored lease is compared with.
  const leaseUntil = (at: Date): number =>
    at.getTime() +
    Math.max(0, Math.min(run.hardDeadline, Date.now() + (run.claimLeaseMs ?? Infinity)) - Date.now());
  const claim = await deps.sweeper.claim(orgId, { owner, until: leaseUntil(now) }, now);
  if (claim.outcome === 'gone' || claim.outcome === 'active') return true;
  if (claim.outcome === 'busy') {
    report.organizations.push({ orgIdHash, counts: {}, done: false });
    return false;
  }
  const renewal =
    run.claimLeaseMs === undefined
      ? undefined
      : setInterval(() => {
          const at = deps.clock.now();
          deps.sweeper.claim(orgId, { owner, until: leaseUntil(at) }, at).catch((error: unknown) => {
            logger.warn('erasure lease not renewed; retried at the next beat', {
              orgIdHash,
              error: error instanceof Error ? error.name : 'unknown',
            });
          });
        }, run.claimLeaseMs / 3);

  let progress: DeletionProgress = claim.progress;
  const stopped = async (): Promise<boolean> => {
    await deps.sweeper.release(orgId, owner);
    report.organizations.push({ orgIdHash, counts: progress.counts, done: false });
    return false;
  };
  try {
    for (;;) {
      switch (progress.phase) {
        case 'notices': {
          // Art. 19 before crypto-shredding: the notices need the keys (signing secrets) and the share records.
          if (!budget.remaining()) return await stopped();
          const told = await tellRecipientsOfErasure(deps, orgId, progress);
          if (told.queued > 0) await deps.sweeper.addCounts(orgId, owner, { notices: told.queued });
          if (!told.settled) return await stopped();
          progress = await deps.sweeper.shred(orgId, owner);
          break;
        }
        case 'records':
          if (!(await deps.sweeper.sweepRecords(orgId, owner, budget)).complete) return await stopped();
          progress = await deps.sweeper.advance(orgId, owner, 'audit');
          break;
        case 'audit':
          if (!(await deps.sweeper.sweepAudit(orgId, owner, budget)).complete) return await stopped();
          progress = await deps.sweeper.advance(orgId, owner, 'files');
          break;
        case 'files': {
          if (!budget.remaining()) return await stopped();
          const { deleted } = await deps.files.deletePrefix(orgFilePrefix(orgId));
          await deps.sweeper.addCounts(orgId, owner, { files: deleted });
          progress = await deps.sweeper.advance(orgId, owner, 'final');
          break;
        }
        case 'final': {
          // One more pass over both partitions for anything written since their phase (a write
          // that checked the status just before the claim); usually one empty query each.
          if (!(await deps.sweeper.sweepRecords(orgId, owner, budget)).complete) return await stopped();
          if (!(await deps.sweeper.sweepAudit(orgId, owner, budget)).complete) return await stopped();
          progress = await deps.sweeper.advance(orgId, owner, 'final');
          const finishedAt = deps.clock.now().toISOString();
          await deps.sweeper.finish(orgId, owner, {
            orgIdHash,
            requestedByHash: sha256Hex(progress.requestedBy),
            requestedAt: progress.requestedAt,
            startedAt: progress.startedAt,
            finishedAt,
            counts: progress.counts,
          });
          report.organizations.push({ orgIdHash, counts: progress.counts, done: true });
          return true;
        }
      }
    }
  } catch (error) {
    logger.error('organization erasure stopped; the next cycle resumes it', {
      orgIdHash,
      error: error instanceof Error ? error.name : 'unknown',
    });
    await deps.sweeper.release(orgId, owner).catch(() => undefined);
    report.organizations.push({ orgIdHash, counts: progress.counts, done: false });
    return false;
  } finally {
    clearInterval(renewal);
  }
}

async function eraseAccount(
  deps: CleanupDeps,
  budget: Budget,
  userId: string,
  report: CleanupReport,
): Promise<boolean> {
  try {
    const orgIds = await deps.sweeper.accountDeletion(userId);
    if (orgIds === undefined) return true;
    for (const orgId of orgIds) {
      if (!budget.remaining()) return false;
      await deps.audit.pseudonymiseActor(orgId, userId);
    }
    await deps.sweeper.finishAccount(userId);
    report.accounts += 1;
    return true;
  } catch (error) {
    logger.error('account erasure stopped; the next cycle resumes it', {
      error: error instanceof Error ? error.name : 'unknown',
    });
    return false;
  }
}
