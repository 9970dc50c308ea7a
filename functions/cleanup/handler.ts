/**
 * The clean-up cycle, invoked by an EventBridge schedule (the local scheduler, or POST /dev/cleanup,
 * locally). Its budget ends well before the function's timeout, so a run stops between batches
 * with its progress checkpointed instead of being killed mid-write; it answers its report and
 * publishes its counts as metrics (a failed cycle raises an alarm, see docs/operations.md).
 */
import type { Context, ScheduledEvent } from 'aws-lambda';
import { emitMetrics, METRIC } from '../../shared/adapters/aws/metrics.ts';
import { filesOnFirstUse } from '../../shared/files-on-first-use.ts';
import { mailerOnFirstUse } from '../../shared/mailer-on-first-use.ts';
import * as services from '../../shared/services.ts';
import { budgetMs } from './budget.ts';
import {
  runCleanupCycle,
  type CleanupDeps,
  type CleanupReport,
} from '../../shared/use-cases/cleanup-cycle.ts';

// S3 only for a run that deletes files, SES only for one that reminds: loaded then.
export const cleanupDeps = services.atColdStart((): CleanupDeps => ({
  queue: services.deletionQueue(),
  sweeper: services.tenantSweeper(),
  files: filesOnFirstUse(),
  audit: services.auditLog(),
  expired: services.expiredItems(),
  clock: services.clock(),
  orchestrations: services.orchestrations(),
  jobs: services.jobs(),
  shares: services.shares(),
  notices: services.noticeQueue(),
  orgs: services.orgs(),
  reminders: {
    requests: services.subjectRequests(),
    orgs: services.orgs(),
    mailer: mailerOnFirstUse(),
    clock: services.clock(),
  },
}));
/** The same lease as the messages': a run that dies frees both within it. */
const claimLeaseMs = services.deletionQueueLeaseSeconds() * 1000;

export async function handler(_event: ScheduledEvent, context: Context): Promise<CleanupReport> {
  const remaining = context.getRemainingTimeInMillis();
  const startedAt = Date.now();
  let report: CleanupReport;
  try {
    report = await runCleanupCycle(cleanupDeps(), {
      cycleId: context.awsRequestId,
      deadline: startedAt + budgetMs(remaining),
      hardDeadline: startedAt + remaining,
      claimLeaseMs,
    });
  } catch (error) {
    emitMetrics({ [METRIC.cleanupCycleFailures]: 1 });
    throw error;
  }
  emitMetrics({
    [METRIC.cleanupCycleFailures]: 0,
    [METRIC.organizationsErased]: report.organizations.filter((o) => o.done).length,
    [METRIC.organizationsUnfinished]: report.organizations.filter((o) => !o.done).length,
    [METRIC.accountsErased]: report.accounts,
    [METRIC.expiredItemsDeleted]: report.expired.files + report.expired.links,
    [METRIC.malformedDeletionMessages]: report.malformedMessages,
    ...(report.requests === undefined ? {} : { [METRIC.overdueRequests]: report.requests.overdue }),
  });
  return report;
}
