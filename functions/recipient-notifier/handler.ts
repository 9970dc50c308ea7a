/**
 * The recipient notifier: delivers Art. 19 notices from the notice queue, one webhook per message,
 * signed and through the address guard (use-cases/recipient-notices.ts). It holds each message on
 * the queue's lease while delivering; a notice the vendor did not accept is reported as a batch
 * item failure, so SQS hands it back after the lease (the retry delay) and dead-letters it after
 * maxReceiveCount, which raises the dead-letter alarm. A redelivered notice that was delivered is
 * not sent again.
 */
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import * as z from 'zod/mini';
import { logger } from '../../shared/logger.ts';
import * as services from '../../shared/services.ts';
import { deliverNotice } from '../../shared/use-cases/recipient-notices.ts';

const notice = z.object({
  noticeId: z.string(),
  extensionId: z.string(),
  event: z.enum(['job.rectified', 'job.erased', 'job.restricted']),
  orgId: z.string(),
  jobIds: z.array(z.string()).check(z.minLength(1)),
  fields: z.array(z.string()),
  at: z.string(),
  webhookUrl: z.string(),
});

const stores = services.atColdStart(() => ({
  orgs: services.orgs(),
  extensions: services.extensions(),
  shares: services.shares(),
  keys: services.keys(),
  clock: services.clock(),
  catalog: services.extensionCatalog(),
}));
/**
 * The webhook client is built on the first notice, as api-extensions builds it on the first share:
 * it reads only optional settings (the private hosts and CA file that tests and the local stack
 * alone set), so reading them early catches no missing variable.
 */
const deps = () => ({ ...stores(), webhooks: services.webhooks() });

export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
  for (const record of event.Records) {
    let parsed: z.infer<typeof notice>;
    try {
      parsed = notice.parse(JSON.parse(record.body));
    } catch {
      // Retrying cannot make it valid; dropping it keeps the queue flowing.
      logger.error('notice dropped: not a recipient notice', { messageId: record.messageId });
      continue;
    }
    const lease = await services.noticeLeases().hold(record.receiptHandle);
    try {
      const outcome = await deliverNotice(deps(), parsed);
      logger.info('recipient notice', {
        orgId: parsed.orgId,
        extensionId: parsed.extensionId,
        noticeId: parsed.noticeId,
        outcome,
        receiveCount: record.attributes.ApproximateReceiveCount,
      });
    } catch (error) {
      logger.warn('recipient notice not delivered', {
        orgId: parsed.orgId,
        extensionId: parsed.extensionId,
        noticeId: parsed.noticeId,
        receiveCount: record.attributes.ApproximateReceiveCount,
        error: error instanceof Error ? error.name : 'unknown',
      });
      batchItemFailures.push({ itemIdentifier: record.messageId });
    } finally {
      lease.release();
    }
  }
  return { batchItemFailures };
}
