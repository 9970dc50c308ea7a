/**
 * Scheduled: signs a digest of every organization's audit chain that advanced since its last
 * digest, then verifies each chain it digested (events, head and signatures, as GET …/audit/verify
 * does) and publishes the counts as metrics; a chain that does not verify raises an alarm.
 * A failure of one organization is logged (by error name, no data) and retried next run.
 */
import type { ScheduledEvent } from 'aws-lambda';
import { emitMetrics, METRIC } from '../../shared/adapters/aws/metrics.ts';
import { logger } from '../../shared/logger.ts';
import type { AuditChainStore } from '../../shared/ports/audit.ts';
import * as services from '../../shared/services.ts';
import { writeDigests, type DigestRunSummary } from '../../shared/use-cases/audit-digests.ts';
import { verifyOrganizationLog } from '../../shared/use-cases/audit-verify.ts';

/** The store as writeDigests sees it, noting each organization whose digest it wrote. */
function noteDigested(store: AuditChainStore, digested: Set<string>): AuditChainStore {
  return new Proxy(store, {
    get(target, property) {
      if (property === 'putDigest') {
        return async (...args: Parameters<AuditChainStore['putDigest']>) => {
          const written = await target.putDigest(...args);
          if (written) digested.add(args[0].orgId);
          return written;
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

export async function handler(_event: ScheduledEvent): Promise<DigestRunSummary> {
  const audit = services.auditLog();
  const signer = services.digestSigner();
  const digested = new Set<string>();
  const summary = await writeDigests({ store: noteDigested(audit, digested), signer, clock: services.clock() }, (_orgId, error) =>
    logger.error('audit digest failed', { fn: 'audit-digest', error: error instanceof Error ? error.name : 'unknown' }),
  );
  logger.info('audit digests written', { fn: 'audit-digest', ...summary });

  let verified = 0;
  let broken = 0;
  let unverifiable = 0;
  for (const orgId of digested) {
    try {
      const result = await verifyOrganizationLog({ audit, signer, clock: services.clock(), retentionDays: services.auditRetentionDays() }, orgId);
      if (result.valid) verified += 1;
      else {
        broken += 1;
        // The organization id (a tenant, not a person) is what the operator needs to investigate.
        logger.error('audit chain does not verify', { fn: 'audit-digest', orgId, firstBrokenAt: result.firstBrokenAt, reason: result.reason });
      }
    } catch (error) {
      // Could not be read to the end (throttling, a timeout): not evidence of tampering; next run.
      unverifiable += 1;
      logger.error('audit chain verification stopped', { fn: 'audit-digest', error: error instanceof Error ? error.name : 'unknown' });
    }
  }
  emitMetrics({
    [METRIC.auditDigestsWritten]: summary.written,
    [METRIC.auditDigestFailures]: summary.failed + unverifiable,
    [METRIC.auditChainsVerified]: verified,
    [METRIC.auditVerificationFailures]: broken,
  });
  return summary;
}
