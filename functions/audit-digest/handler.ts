/**
 * Scheduled: reviews every organization whose audit chain advanced since the last run — signs the
 * tail the checkpoint requests left unsigned, through the same claim and interval as they do
 * (docs/decisions/0021), verifies the log (events, head and signatures, as
 * GET …/audit/verify does) — and publishes the counts as metrics; a log that does not verify
 * raises an alarm. A failure of one organization is logged (its error's name, and its message and
 * stack with addresses and tokens masked) and retried next run.
 */
import type { ScheduledEvent } from 'aws-lambda';
import { checkpointIntervalMs } from '../../shared/domain/audit-checkpoint.ts';
import { emitMetrics, METRIC } from '../../shared/adapters/aws/metrics.ts';
import { errorFields, logger } from '../../shared/logger.ts';
import * as services from '../../shared/services.ts';
import { reviewAuditLogs, type DigestRunSummary } from '../../shared/use-cases/audit-digests.ts';

const deps = services.atColdStart(() => ({
  store: services.auditLog(),
  signer: services.digestSigner(),
  clock: services.clock(),
  retentionDays: services.auditRetentionDays(),
  claims: services.checkpointClaims(),
  queue: services.checkpointQueue(),
  intervalMs: checkpointIntervalMs(services.auditCheckpointSeconds()),
}));

export async function handler(_event: ScheduledEvent): Promise<DigestRunSummary> {
  const summary = await reviewAuditLogs(deps(), (error) =>
    logger.error('audit review failed', { fn: 'audit-digest', ...errorFields(error) }),
  );
  for (const broken of summary.broken) {
    // The organization id (a tenant, not a person) is what the operator needs to investigate.
    logger.error('audit chain does not verify', { fn: 'audit-digest', ...broken });
  }
  logger.info('audit logs reviewed', {
    fn: 'audit-digest',
    organizations: summary.organizations,
    written: summary.written,
    failed: summary.failed,
    verified: summary.verified,
  });
  emitMetrics({
    [METRIC.auditDigestsWritten]: summary.written,
    [METRIC.auditDigestFailures]: summary.failed,
    [METRIC.auditChainsVerified]: summary.verified,
    [METRIC.auditVerificationFailures]: summary.broken.length,
  });
  return summary;
}
