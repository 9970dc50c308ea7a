/**
 * AccessReads on the records table: every item a job decision needs lives in the organization's
 * partition (records-keys.ts), so one BatchGetItem fetches them all, read consistently. What
 * proves them unchanged later is one ConditionCheck each, on exactly what a decision reads of the
 * item (values, not a version: a role's `updatedAt` can repeat within a clock tick).
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { CustomRole, Membership } from '../../domain/organization.ts';
import { isBuiltInRole } from '../../domain/permissions.ts';
import type {
  AccessReadRequest,
  AccessReadResult,
  AccessReads,
  DecisionInputs,
  Unchanged,
} from '../../ports/access-reads.ts';
import type { StoredJob } from '../../ports/jobs.ts';
import type { OrchestrationRecord } from '../../ports/orchestrations.ts';
import { unchangedCheck } from './audited-writer.ts';
import { batchGetItems } from './dynamo-batch-get.ts';
import { organizationOf } from './dynamo-organizations.ts';
import { ORG_SK, jobSk, memberSk, orchestrationSk, orgPk, roleSk, stripKeys } from './records-keys.ts';

export class DynamoAccessReads implements AccessReads {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async read(orgId: string, request: AccessReadRequest): Promise<AccessReadResult> {
    const pk = orgPk(orgId);
    const wanted = [
      ORG_SK,
      ...(request.userId === undefined ? [] : [memberSk(request.userId)]),
      ...(request.jobId === undefined ? [] : [jobSk(request.jobId)]),
      ...(request.orchestrationId === undefined ? [] : [orchestrationSk(request.orchestrationId)]),
      ...(request.roleId === undefined ? [] : [roleSk(request.roleId)]),
    ];
    const read = await batchGetItems(
      this.client,
      this.table,
      wanted.map((sk) => ({ pk, sk })),
    );
    const items = new Map(read.map((item) => [String(item.sk), item]));
    const found = <T>(sk: string | undefined): T | undefined => {
      const item = sk === undefined ? undefined : items.get(sk);
      return item === undefined ? undefined : stripKeys<T>(item);
    };
    const org = items.get(ORG_SK);
    const membership = found<Membership>(request.userId === undefined ? undefined : memberSk(request.userId));
    const job = found<StoredJob>(request.jobId === undefined ? undefined : jobSk(request.jobId));
    const orchestration = found<OrchestrationRecord>(
      request.orchestrationId === undefined ? undefined : orchestrationSk(request.orchestrationId),
    );
    const customRole = found<CustomRole>(request.roleId === undefined ? undefined : roleSk(request.roleId));
    return {
      org: org === undefined ? undefined : organizationOf(org),
      ...(membership === undefined ? {} : { membership }),
      ...(job === undefined ? {} : { job }),
      ...(orchestration === undefined ? {} : { orchestration }),
      ...(customRole === undefined ? {} : { customRole }),
    };
  }

  unchangedSince({ org, membership, customRole, orchestration }: DecisionInputs): readonly Unchanged[] {
    const at = (
      sk: string,
      condition: string,
      names: Readonly<Record<string, string>> | undefined,
      values: Readonly<Record<string, unknown>> | undefined,
    ): Unchanged =>
      unchangedCheck({
        ConditionCheck: {
          TableName: this.table,
          Key: { pk: orgPk(org.orgId), sk },
          ConditionExpression: condition,
          ...(names === undefined ? {} : { ExpressionAttributeNames: names }),
          ...(values === undefined ? {} : { ExpressionAttributeValues: values }),
        },
      });
    const role = isBuiltInRole(membership.role)
      ? []
      : customRole === undefined
        ? [at(roleSk(membership.role), 'attribute_not_exists(pk)', undefined, undefined)]
        : [
            at(
              roleSk(customRole.roleId),
              '#permissions = :permissions AND fieldPermissions = :fields',
              { '#permissions': 'permissions' },
              { ':permissions': customRole.permissions, ':fields': customRole.fieldPermissions },
            ),
          ];
    return [
      // The keys too: the answer opens values with the keys the organization had when it was read.
      at(
        ORG_SK,
        '#status = :status AND size(wrappedKeys) = :keys',
        { '#status': 'status' },
        { ':status': org.status, ':keys': org.wrappedKeys.length },
      ),
      at(memberSk(membership.userId), '#role = :role', { '#role': 'role' }, { ':role': membership.role }),
      ...role,
      at(orchestrationSk(orchestration.orchestrationId), 'revision = :revision', undefined, {
        ':revision': orchestration.revision,
      }),
    ];
  }
}
