/**
 * Scheduled: signs a digest of every organization's audit chain that advanced since its last
 * digest. A failure of one organization is logged (by error name, no data) and retried next run.
 */
import type { ScheduledEvent } from 'aws-lambda';
import { logger } from '../../shared/http/logger.ts';
import { services } from '../../shared/services.ts';
import { writeDigests, type DigestRunSummary } from '../../shared/use-cases/audit-digests.ts';

export async function handler(_event: ScheduledEvent): Promise<DigestRunSummary> {
  const summary = await writeDigests({ store: services.auditLog(), signer: services.digestSigner(), clock: services.clock() }, (_orgId, error) =>
    logger.error('audit digest failed', { fn: 'audit-digest', error: error instanceof Error ? error.name : 'unknown' }),
  );
  logger.info('audit digests written', { fn: 'audit-digest', ...summary });
  return summary;
}
