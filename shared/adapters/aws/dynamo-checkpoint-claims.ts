/**
 * CheckpointClaims on the audit table: one item per organization, `CHECKPOINT` {claimedAt}, taken
 * with a conditional Put (an `append` write: no Update, no Delete). The condition is the whole
 * rule: absent, or taken at least an interval ago. Of two racing claims DynamoDB lets one through.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { CheckpointClaim, CheckpointClaims } from '../../ports/checkpoint-claims.ts';
import { CHECKPOINT_CLAIM_SK } from './audit-keys.ts';
import { putIf } from './conditional-put.ts';
import { orgPk } from './records-keys.ts';

export class DynamoCheckpointClaims implements CheckpointClaims {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async claim(orgId: string, at: Date, intervalMs: number): Promise<CheckpointClaim | undefined> {
    const claimedAt = at.getTime();
    const taken = await putIf(this.client, {
      TableName: this.table,
      Item: { pk: orgPk(orgId), sk: CHECKPOINT_CLAIM_SK, kind: 'checkpoint-claim', claimedAt },
      ConditionExpression: 'attribute_not_exists(pk) OR claimedAt <= :lapsed',
      ExpressionAttributeValues: { ':lapsed': claimedAt - intervalMs },
    });
    return taken ? { claimedAt } : undefined;
  }
}
