/**
 * Fed the audit table's stream (Lambda's event source mapping; the local stream poller in
 * `npm start`): chains the appended events of the batch, then asks for a checkpoint of each
 * organization it advanced when the interval since the last one ends (the audit-checkpoint
 * function signs it; docs/decisions/0018). A failure throws, and the mapping retries the batch
 * (sequencing is idempotent) until it goes to the on-failure queue, which raises an alarm.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { checkpointIntervalMs } from '../../shared/domain/audit-checkpoint.ts';
import { emitMetrics, METRIC } from '../../shared/adapters/aws/metrics.ts';
import { logger } from '../../shared/logger.ts';
import type { AppendedEvent } from '../../shared/ports/audit.ts';
import * as services from '../../shared/services.ts';
import { checkpointOrSchedule, TailSchedule } from '../../shared/use-cases/audit-digests.ts';
import { sequenceEvents } from '../../shared/use-cases/audit-sequence.ts';

const deps = services.atColdStart(() => ({
  sequencer: services.auditSequencerStore(),
  checkpoints: {
    store: services.auditLog(),
    clock: services.clock(),
    queue: services.checkpointQueue(),
    scheduled: new TailSchedule(),
  },
  intervalMs: checkpointIntervalMs(services.auditCheckpointSeconds()),
}));

/** The appended events of the batch, in stream order: inserts of event items only. */
function appendedEvents(event: DynamoDBStreamEvent): AppendedEvent[] {
  const events: AppendedEvent[] = [];
  for (const record of event.Records) {
    const image = record.dynamodb?.NewImage;
    if (record.eventName !== 'INSERT' || image === undefined) continue;
    const item = unmarshall(image as Record<string, AttributeValue>);
    if (item.kind !== 'event') continue;
    const { pk: _pk, sk: _sk, kind: _kind, expiresAt: _expiresAt, ...appended } = item;
    events.push(appended as AppendedEvent);
  }
  return events;
}

export async function handler(event: DynamoDBStreamEvent): Promise<void> {
  const events = appendedEvents(event);
  if (events.length === 0) return;
  const { sequencer, checkpoints: checkpointDeps, intervalMs } = deps();
  const summary = await sequenceEvents(sequencer, events);
  if (summary.refused.length > 0) {
    // Counts only: the references hold times and ids, which say nothing about a person, but the
    // operator finds them in the chain (verification breaks at their positions).
    logger.error('audit events gone before they were sequenced', {
      fn: 'audit-sequencer',
      refused: summary.refused.length,
    });
  }
  for (const orgId of new Set(events.map((e) => e.orgId)))
    await checkpointOrSchedule(checkpointDeps, orgId, intervalMs);
  emitMetrics({
    [METRIC.auditEventsSequenced]: summary.sequenced,
    [METRIC.auditEventsRefused]: summary.refused.length,
  });
}
