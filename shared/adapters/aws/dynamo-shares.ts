/**
 * ShareStore on the records table, in the organization's partition (swept with it):
 *
 *   ORG#<org>  SHARE#<jobId>#<shareId>   one share of a job with an extension (field ids, outcome)
 *
 * Share ids are ULIDs, so a job's records come back oldest first from one Query. A record outlives
 * its job's erasure on purpose: it holds no personal value, and it is what tells who received the
 * data before (Art. 19).
 */
import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { NotFoundError } from '../../domain/errors.ts';
import type { AuditEntry } from '../../ports/organizations.ts';
import type { ShareRecord, ShareStore } from '../../ports/shares.ts';
import type { AuditedWriter } from './audited-writer.ts';
import { guarded } from './dynamo-errors.ts';
import { orgPk, stripKeys } from './records-keys.ts';
import { commitAudited, orgIsActive, queryPartition } from './records-table-ops.ts';

export const shareSk = (jobId: string, shareId: string): string => `SHARE#${jobId}#${shareId}`;
const KIND = 'share';

export class DynamoShares implements ShareStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly writer: AuditedWriter,
  ) {}

  async begin(record: ShareRecord): Promise<void> {
    await guarded(this.client.send(new PutCommand({ TableName: this.table, Item: this.item(record), ConditionExpression: 'attribute_not_exists(pk)' })));
  }

  async settle(record: ShareRecord, audit: AuditEntry): Promise<void> {
    await commitAudited(this.writer, [{ Put: { TableName: this.table, Item: this.item(record) } }, orgIsActive(this.table, record.orgId)], audit, () => new NotFoundError('organization'));
  }

  async ofJobs(orgId: string, jobIds: readonly string[]): Promise<ShareRecord[]> {
    const perJob = await Promise.all([...new Set(jobIds)].map((jobId) => queryPartition(this.client, this.table, orgId, `SHARE#${jobId}#`)));
    return perJob.flat().map((item) => stripKeys<ShareRecord>(item));
  }

  private item(record: ShareRecord): Record<string, unknown> {
    return { pk: orgPk(record.orgId), sk: shareSk(record.jobId, record.shareId), kind: KIND, ...record };
  }
}
