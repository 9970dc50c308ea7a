/**
 * The portability worker: one export or backup per SQS message (batch size 1). A failure a retry
 * may fix is reported as a batch item failure, so SQS redelivers the message after its visibility
 * timeout and dead-letters it after maxReceiveCount; the request's status tells the requester.
 */
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import * as z from 'zod';
import { logger } from '../../shared/http/logger.ts';
import * as services from '../../shared/services.ts';
import { runBackup } from '../../shared/use-cases/backups.ts';
import { runExport } from '../../shared/use-cases/exports.ts';

const message = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('export'), orgId: z.string(), exportId: z.string() }),
  z.object({ kind: z.literal('backup'), orgId: z.string(), backupId: z.string(), sealedPassword: z.string() }),
]);

const deps = () => ({
  ...services.jobDeps(),
  roles: services.roles(),
  portability: services.portability(),
  queue: services.workQueue(),
  files: services.files(),
  mailer: services.mailer(),
  publicBaseUrl: services.publicBaseUrl(),
});

export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
  for (const record of event.Records) {
    let parsed: z.infer<typeof message>;
    try {
      parsed = message.parse(JSON.parse(record.body));
    } catch {
      // Retrying cannot make it valid; dropping it keeps the queue flowing.
      logger.error('work message dropped: not a portability message', { messageId: record.messageId });
      continue;
    }
    try {
      if (parsed.kind === 'export') await runExport(deps(), parsed.orgId, parsed.exportId);
      else await runBackup(deps(), parsed.orgId, parsed.backupId, parsed.sealedPassword);
    } catch (error) {
      logger.error('portability work failed', { messageId: record.messageId, kind: parsed.kind, error: error instanceof Error ? error.name : 'unknown' });
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures };
}
