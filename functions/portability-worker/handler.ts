/**
 * The portability worker: one export, backup or data subject request report per SQS message (batch size 1). While it works it
 * holds the message on a short lease that it renews (a heartbeat), and each renewal records the
 * request's `progressAt`: if the worker dies (crash, timeout, out of memory), the message is back
 * within one lease and the same request is rebuilt, its `attempt` counted. A failure a retry may
 * fix is reported as a batch item failure, so SQS redelivers the message when the lease ends and
 * dead-letters it after maxReceiveCount; the request's status tells the requester.
 */
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import * as z from 'zod/mini';
import { errorFields, logger } from '../../shared/logger.ts';
import { filesAtColdStart } from '../../shared/files-at-cold-start.ts';
import { mailerOnFirstUse } from '../../shared/mailer-on-first-use.ts';
import * as services from '../../shared/services.ts';
import { runBackup } from '../../shared/use-cases/backups.ts';
import { runExport } from '../../shared/use-cases/exports.ts';
import { runRequestReport } from '../../shared/use-cases/request-report-build.ts';

const message = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('export'), orgId: z.string(), exportId: z.string() }),
  z.object({
    kind: z.literal('backup'),
    orgId: z.string(),
    backupId: z.string(),
    sealedPassword: z.string(),
  }),
  z.object({ kind: z.literal('request-report'), orgId: z.string(), requestId: z.string() }),
]);

// Every message uploads a file; only a backup or a report mails its link.
const deps = services.atColdStart(() => ({
  ...services.backupDeps(),
  files: filesAtColdStart(),
  mailer: mailerOnFirstUse(),
}));
/** A report reads the subject's jobs as the access route does, with their recipients (Art. 15(1)(c)). */
const reportDeps = services.atColdStart(() => ({
  ...deps(),
  shares: services.shares(),
  catalog: services.extensionCatalog(),
}));
const leases = services.atColdStart(services.workLeases);

/** The request's `progressAt`, moved on each lease renewal (a report has none: it is one subject's). */
async function signOfLife(work: z.infer<typeof message>): Promise<void> {
  const { clock, portability } = deps();
  const at = clock.now().toISOString();
  if (work.kind === 'export')
    await portability.updateExport(work.orgId, work.exportId, { progressAt: at }, at);
  else if (work.kind === 'backup')
    await portability.updateBackup(work.orgId, work.backupId, { progressAt: at }, at);
}

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
    const work = parsed;
    const lease = await leases().hold(record.receiptHandle, () => signOfLife(work));
    try {
      if (work.kind === 'export') await runExport(deps(), work.orgId, work.exportId);
      else if (work.kind === 'backup')
        await runBackup(deps(), work.orgId, work.backupId, work.sealedPassword);
      else await runRequestReport(reportDeps(), work.orgId, work.requestId);
    } catch (error) {
      logger.error('portability work failed', {
        messageId: record.messageId,
        kind: work.kind,
        ...errorFields(error),
      });
      batchItemFailures.push({ itemIdentifier: record.messageId });
    } finally {
      lease.release();
    }
  }
  return { batchItemFailures };
}
