/** OrganizationStore on the records table (layout in records-keys.ts). */
import { GetCommand, TransactGetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConflictError, NotFoundError } from '../../domain/errors.ts';
import type { CustomRole, Membership } from '../../domain/organization.ts';
import type { WrappedDataKey } from '../../ports/keys.ts';
import type { AuditEntry } from '../../ports/audit.ts';
import type {
  OrgAndMembership,
  OrganizationChange,
  OrganizationRecord,
  OrganizationStore,
} from '../../ports/organizations.ts';
import { type AuditedWriter, type WriteOp } from './audited-writer.ts';
import { PENDING_DELETIONS_PK, pendingOrgSk } from './deletion-keys.ts';
import { commitAudited, getOrgItem, orgIsActive, queryAll, queryPartition } from './records-table-ops.ts';
import { batchGetItems } from './dynamo-batch-get.ts';
import { guarded } from './dynamo-errors.ts';
import { GSI_BY_USER, ORG_SK, memberSk, orgPk, roleSk, stripKeys, userGsiPk } from './records-keys.ts';

/**
 * The clean-up cycle removes `wrappedKeys` first (crypto-shredding): such an organization has no
 * key versions, and says so with an empty list, so that opening its values fails as an integrity
 * failure of a missing key rather than on an absent attribute.
 */
export function organizationOf(item: Record<string, unknown>): OrganizationRecord {
  const org = stripKeys<OrganizationRecord>(item);
  return org.wrappedKeys === undefined ? { ...org, wrappedKeys: [] } : org;
}

export class DynamoOrganizations implements OrganizationStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly writer: AuditedWriter,
  ) {}

  async create(org: OrganizationRecord, owner: Membership, audit: AuditEntry): Promise<void> {
    await this.commit(
      [
        {
          Put: {
            TableName: this.table,
            Item: this.orgItem(org),
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        {
          Put: {
            TableName: this.table,
            Item: this.memberItem(owner),
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
      ],
      audit,
      () => new ConflictError('The organization already exists'),
    );
  }

  async get(orgId: string): Promise<OrganizationRecord | undefined> {
    const item = await getOrgItem(this.client, this.table, orgId, ORG_SK);
    return item === undefined ? undefined : organizationOf(item);
  }

  async getMany(orgIds: readonly string[]): Promise<Map<string, OrganizationRecord>> {
    const keys = [...new Set(orgIds)].map((id) => ({ pk: orgPk(id), sk: ORG_SK }));
    const items = await batchGetItems(this.client, this.table, keys, { consistent: false });
    return new Map(items.map((item) => organizationOf(item)).map((org) => [org.orgId, org]));
  }

  async getWithMembership(orgId: string, userId: string): Promise<OrgAndMembership> {
    const { Responses } = await guarded(
      this.client.send(
        new TransactGetCommand({
          TransactItems: [
            { Get: { TableName: this.table, Key: { pk: orgPk(orgId), sk: ORG_SK } } },
            { Get: { TableName: this.table, Key: { pk: orgPk(orgId), sk: memberSk(userId) } } },
          ],
        }),
      ),
    );
    const [org, member] = Responses ?? [];
    return {
      org: org?.Item === undefined ? undefined : organizationOf(org.Item),
      membership: member?.Item === undefined ? undefined : stripKeys<Membership>(member.Item),
    };
  }

  async update(
    orgId: string,
    change: OrganizationChange,
    at: string,
    audit: AuditEntry,
  ): Promise<OrganizationRecord> {
    const intake = change.requestIntake === undefined ? {} : { ':intake': change.requestIntake };
    await this.commit(
      [
        {
          Update: {
            TableName: this.table,
            Key: { pk: orgPk(orgId), sk: ORG_SK },
            UpdateExpression: `SET #name = :name, updatedAt = :at${change.requestIntake === undefined ? '' : ', requestIntake = :intake'}`,
            ConditionExpression: 'attribute_exists(pk) AND #status = :active',
            ExpressionAttributeNames: { '#name': 'name', '#status': 'status' },
            ExpressionAttributeValues: { ':name': change.name, ':at': at, ':active': 'active', ...intake },
          },
        },
      ],
      audit,
      () => new NotFoundError('organization'),
    );
    const org = await this.get(orgId);
    if (org === undefined) throw new NotFoundError('organization');
    return org;
  }

  async appendKey(
    orgId: string,
    expectedCount: number,
    wrapped: WrappedDataKey,
    audit: AuditEntry,
  ): Promise<void> {
    const isActive = async (): Promise<boolean> => (await this.get(orgId))?.status === 'active';
    try {
      await this.commit(
        [
          {
            Update: {
              TableName: this.table,
              Key: { pk: orgPk(orgId), sk: ORG_SK },
              UpdateExpression: 'SET wrappedKeys = list_append(wrappedKeys, :wrapped)',
              // The count is the optimistic lock: a rotation that read an older list loses.
              ConditionExpression: '#status = :active AND size(wrappedKeys) = :count',
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: {
                ':wrapped': [{ keyId: wrapped.keyId, ciphertext: wrapped.ciphertext }],
                ':active': 'active',
                ':count': expectedCount,
              },
            },
          },
        ],
        audit,
        () =>
          new ConflictError(
            'Another key rotation of the organization landed first; read it again',
            'key-rotation-conflict',
          ),
      );
    } catch (error) {
      // One condition covers both causes: tell a closed organization from a lost race.
      if (error instanceof ConflictError && !(await isActive())) throw new NotFoundError('organization');
      throw error;
    }
  }

  async requestDeletion(orgId: string, requestedBy: string, at: string, audit: AuditEntry): Promise<void> {
    await this.commit(
      [
        {
          Update: {
            TableName: this.table,
            Key: { pk: orgPk(orgId), sk: ORG_SK },
            UpdateExpression:
              'SET #status = :pending, deletionRequestedAt = :at, deletionRequestedBy = :by, updatedAt = :at',
            ConditionExpression: '#status = :active',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ':pending': 'pending_deletion',
              ':active': 'active',
              ':at': at,
              ':by': requestedBy,
            },
          },
        },
        {
          Put: {
            TableName: this.table,
            Item: {
              pk: PENDING_DELETIONS_PK,
              sk: pendingOrgSk(orgId),
              kind: 'pending-org',
              orgId,
              requestedAt: at,
            },
          },
        },
      ],
      audit,
      () => new NotFoundError('organization'),
    );
  }

  async cancelDeletion(orgId: string, at: string, audit: AuditEntry): Promise<OrganizationRecord> {
    await this.commit(
      [
        {
          Update: {
            TableName: this.table,
            Key: { pk: orgPk(orgId), sk: ORG_SK },
            UpdateExpression:
              'SET #status = :active, updatedAt = :at REMOVE deletionRequestedAt, deletionRequestedBy',
            ConditionExpression: '#status = :pending',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':pending': 'pending_deletion', ':active': 'active', ':at': at },
          },
        },
        { Delete: { TableName: this.table, Key: { pk: PENDING_DELETIONS_PK, sk: pendingOrgSk(orgId) } } },
      ],
      audit,
      () =>
        new ConflictError(
          'A clean-up cycle has started on the organization: its deletion can no longer be cancelled',
          'deletion-started',
        ),
    );
    const org = await this.get(orgId);
    if (org === undefined) throw new NotFoundError('organization');
    return org;
  }

  async listMembers(orgId: string): Promise<Membership[]> {
    return (await queryPartition(this.client, this.table, orgId, 'MEMBER#')).map((item) =>
      stripKeys<Membership>(item),
    );
  }

  async getMember(orgId: string, userId: string): Promise<Membership | undefined> {
    const item = await getOrgItem(this.client, this.table, orgId, memberSk(userId));
    return item === undefined ? undefined : stripKeys<Membership>(item);
  }

  async addMember(member: Membership, audit: AuditEntry): Promise<void> {
    const ops: WriteOp[] = [
      {
        Put: {
          TableName: this.table,
          Item: this.memberItem(member),
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
    ];
    ops.push(this.orgActive(member.orgId, member.role === 'owner' ? 1 : 0));
    await this.commit(ops, audit, (index) =>
      index === 0 ? new ConflictError('The user is already a member') : new NotFoundError('organization'),
    );
  }

  async changeRole(
    orgId: string,
    userId: string,
    from: string,
    to: string,
    audit: AuditEntry,
  ): Promise<Membership> {
    const ownerDelta = (to === 'owner' ? 1 : 0) - (from === 'owner' ? 1 : 0);
    await this.commit(
      [
        {
          Update: {
            TableName: this.table,
            Key: { pk: orgPk(orgId), sk: memberSk(userId) },
            UpdateExpression: 'SET #role = :to',
            ConditionExpression: '#role = :from',
            ExpressionAttributeNames: { '#role': 'role' },
            ExpressionAttributeValues: { ':to': to, ':from': from },
          },
        },
        this.orgActive(orgId, ownerDelta),
      ],
      audit,
      (index) =>
        index === 0
          ? new ConflictError('The member was changed at the same time; read it again')
          : new ConflictError('An organization always keeps at least one owner', 'last-owner'),
    );
    const member = await this.getMember(orgId, userId);
    if (member === undefined) throw new NotFoundError('member');
    return member;
  }

  async removeMember(member: Membership, audit: AuditEntry): Promise<void> {
    await this.commit(
      [
        {
          Delete: {
            TableName: this.table,
            Key: { pk: orgPk(member.orgId), sk: memberSk(member.userId) },
            ConditionExpression: '#role = :role',
            ExpressionAttributeNames: { '#role': 'role' },
            ExpressionAttributeValues: { ':role': member.role },
          },
        },
        this.orgActive(member.orgId, member.role === 'owner' ? -1 : 0),
      ],
      audit,
      (index) =>
        index === 0
          ? new ConflictError('The member was changed at the same time; read it again')
          : new ConflictError('An organization always keeps at least one owner', 'last-owner'),
    );
  }

  /**
   * Not while a clean-up cycle erases the organization: its audit partition may already be swept,
   * and an event written now would outlive it (the membership goes with the partition anyway).
   */
  async leave(member: Membership, audit: AuditEntry): Promise<void> {
    const key = { pk: orgPk(member.orgId), sk: ORG_SK };
    const notDeleting = { '#status': 'status' };
    const orgOp: WriteOp =
      member.role === 'owner'
        ? {
            Update: {
              TableName: this.table,
              Key: key,
              UpdateExpression: 'SET ownerCount = ownerCount - :one',
              ConditionExpression: 'ownerCount > :one AND #status <> :deleting',
              ExpressionAttributeNames: notDeleting,
              ExpressionAttributeValues: { ':one': 1, ':deleting': 'deleting' },
            },
          }
        : {
            ConditionCheck: {
              TableName: this.table,
              Key: key,
              ConditionExpression: 'attribute_exists(pk) AND #status <> :deleting',
              ExpressionAttributeNames: notDeleting,
              ExpressionAttributeValues: { ':deleting': 'deleting' },
            },
          };
    await this.commit(
      [
        {
          Delete: {
            TableName: this.table,
            Key: { pk: orgPk(member.orgId), sk: memberSk(member.userId) },
            ConditionExpression: '#role = :role',
            ExpressionAttributeNames: { '#role': 'role' },
            ExpressionAttributeValues: { ':role': member.role },
          },
        },
        orgOp,
      ],
      audit,
      (index) =>
        index === 0
          ? new ConflictError('The member was changed at the same time; read it again')
          : member.role === 'owner'
            ? new ConflictError('An organization always keeps at least one owner', 'last-owner')
            : new NotFoundError('organization'),
    );
  }

  async membershipsOf(userId: string): Promise<Membership[]> {
    const items = await queryAll(this.client, {
      TableName: this.table,
      IndexName: GSI_BY_USER,
      KeyConditionExpression: 'gsi1pk = :pk',
      ExpressionAttributeValues: { ':pk': userGsiPk(userId) },
    });
    return items.map((item) => stripKeys<Membership>(item));
  }

  async getRole(orgId: string, roleId: string): Promise<CustomRole | undefined> {
    const { Item } = await guarded(
      this.client.send(
        new GetCommand({ TableName: this.table, Key: { pk: orgPk(orgId), sk: roleSk(roleId) } }),
      ),
    );
    return Item === undefined ? undefined : stripKeys<CustomRole>(Item);
  }

  /**
   * A condition on the organization item that it is active, moving the owner count by `delta`
   * (and refusing to take it below one). Serialises owner changes: two owners demoting each other
   * at once cannot both succeed.
   */
  private orgActive(orgId: string, delta: number): WriteOp {
    const key = { pk: orgPk(orgId), sk: ORG_SK };
    if (delta === 0) return orgIsActive(this.table, orgId);
    return {
      Update: {
        TableName: this.table,
        Key: key,
        UpdateExpression: 'SET ownerCount = ownerCount + :delta',
        ConditionExpression: delta < 0 ? '#status = :active AND ownerCount > :one' : '#status = :active',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':delta': delta,
          ':active': 'active',
          ...(delta < 0 ? { ':one': 1 } : {}),
        },
      },
    };
  }

  private orgItem(org: OrganizationRecord): Record<string, unknown> {
    return { pk: orgPk(org.orgId), sk: ORG_SK, kind: 'org', ...org };
  }

  private memberItem(member: Membership): Record<string, unknown> {
    return {
      pk: orgPk(member.orgId),
      sk: memberSk(member.userId),
      kind: 'member',
      gsi1pk: userGsiPk(member.userId),
      gsi1sk: orgPk(member.orgId),
      ...member,
    };
  }

  private commit(
    ops: WriteOp[],
    audit: AuditEntry,
    onConditionFailed: (index: number) => Error,
  ): Promise<void> {
    return commitAudited(this.writer, ops, audit, onConditionFailed);
  }
}
