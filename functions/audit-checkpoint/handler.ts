/**
 * Fed the checkpoint queue: signs the checkpoint each organization's sequencer asked for when its
 * interval ended (docs/decisions/0018, 0021). Signing is idempotent and bounded: checkpointIfDue
 * signs only when the last checkpoint is at least an interval old and it holds the organization's
 * claim, so a duplicated request, even one handled in parallel, signs nothing. When the head moved
 * on while it signed, or the claim was taken, it asks again on the same queue, so the tail is signed
 * within the next interval (docs/decisions/0021). A failed request is
 * reported as a batch item failure: SQS hands it back, and dead-letters it after maxReceiveCount
 * (alarmed); a claim it left without a signature lapses after the interval.
 */
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { checkpointIntervalMs } from '../../shared/domain/audit-checkpoint.ts';
import { emitMetrics, METRIC } from '../../shared/adapters/aws/metrics.ts';
import { errorFields, logger } from '../../shared/logger.ts';
import * as services from '../../shared/services.ts';
import { checkpointIfDue } from '../../shared/use-cases/audit-digests.ts';

const deps = services.atColdStart(() => ({
  store: services.auditLog(),
  signer: services.digestSigner(),
  clock: services.clock(),
  claims: services.checkpointClaims(),
  queue: services.checkpointQueue(),
  intervalMs: checkpointIntervalMs(services.auditCheckpointSeconds()),
}));

function orgIdOf(body: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    const orgId = (parsed as { orgId?: unknown } | null)?.orgId;
    return typeof orgId === 'string' && orgId.length > 0 ? orgId : undefined;
  } catch {
    return undefined;
  }
}

export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
  const { intervalMs, ...digestDeps } = deps();
  // One organization asked twice in a batch is signed (at most) once.
  const byOrg = new Map<string, string[]>();
  for (const record of event.Records) {
    const orgId = orgIdOf(record.body);
    if (orgId === undefined) {
      // Retrying cannot make it valid; dropping it keeps the queue flowing.
      logger.error('checkpoint request dropped: not a checkpoint request', { messageId: record.messageId });
      continue;
    }
    byOrg.set(orgId, [...(byOrg.get(orgId) ?? []), record.messageId]);
  }
  let written = 0;
  for (const [orgId, messageIds] of byOrg) {
    try {
      if ((await checkpointIfDue(digestDeps, orgId, intervalMs)) !== undefined) written += 1;
    } catch (error) {
      logger.warn('audit checkpoint not signed', { fn: 'audit-checkpoint', ...errorFields(error) });
      batchItemFailures.push(...messageIds.map((itemIdentifier) => ({ itemIdentifier })));
    }
  }
  emitMetrics({ [METRIC.auditDigestsWritten]: written });
  return { batchItemFailures };
}
