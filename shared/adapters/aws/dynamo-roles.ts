/** RoleStore on the records table: `ORG#<org>` / `ROLE#<roleId>` (layout in records-keys.ts). */
import { type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConflictError, NotFoundError } from '../../domain/errors.ts';
import type { CustomRole } from '../../domain/organization.ts';
import type { AuditEntry } from '../../ports/audit.ts';
import type { RoleStore } from '../../ports/roles.ts';
import { type AuditedWriter, type WriteOp } from './audited-writer.ts';
import { commitAudited, getOrgItem, orgIsActive, queryPartition } from './records-table-ops.ts';
import { orgPk, roleSk, stripKeys } from './records-keys.ts';

export class DynamoRoles implements RoleStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly writer: AuditedWriter,
  ) {}

  async list(orgId: string): Promise<CustomRole[]> {
    return (await queryPartition(this.client, this.table, orgId, 'ROLE#')).map((item) =>
      stripKeys<CustomRole>(item),
    );
  }

  async get(orgId: string, roleId: string): Promise<CustomRole | undefined> {
    const item = await getOrgItem(this.client, this.table, orgId, roleSk(roleId));
    return item === undefined ? undefined : stripKeys<CustomRole>(item);
  }

  async create(role: CustomRole, audit: AuditEntry): Promise<void> {
    await this.commit(
      [
        {
          Put: {
            TableName: this.table,
            Item: this.item(role),
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        orgIsActive(this.table, role.orgId),
      ],
      audit,
      (index) =>
        index === 0 ? new ConflictError('The role already exists') : new NotFoundError('organization'),
    );
  }

  async update(role: CustomRole, expectedUpdatedAt: string, audit: AuditEntry): Promise<void> {
    await this.commit(
      [
        {
          Put: {
            TableName: this.table,
            Item: this.item(role),
            ConditionExpression: 'updatedAt = :expected',
            ExpressionAttributeValues: { ':expected': expectedUpdatedAt },
          },
        },
        orgIsActive(this.table, role.orgId),
      ],
      audit,
      (index) =>
        index === 0
          ? new ConflictError('The role was changed at the same time; read it again')
          : new NotFoundError('organization'),
    );
  }

  async delete(orgId: string, roleId: string, audit: AuditEntry): Promise<void> {
    await this.commit(
      [
        {
          Delete: {
            TableName: this.table,
            Key: { pk: orgPk(orgId), sk: roleSk(roleId) },
            ConditionExpression: 'attribute_exists(pk)',
          },
        },
        orgIsActive(this.table, orgId),
      ],
      audit,
      (index) => new NotFoundError(index === 0 ? 'role' : 'organization'),
    );
  }

  private item(role: CustomRole): Record<string, unknown> {
    return { pk: orgPk(role.orgId), sk: roleSk(role.roleId), kind: 'role', ...role };
  }

  private commit(
    ops: WriteOp[],
    audit: AuditEntry,
    onConditionFailed: (index: number) => Error,
  ): Promise<void> {
    return commitAudited(this.writer, ops, audit, onConditionFailed);
  }
}
