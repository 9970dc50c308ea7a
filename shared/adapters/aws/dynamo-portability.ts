/**
 * PortabilityStore on the records table. Requests live in their organization's partition:
 *
 *   pk          sk               what
 *   ORG#<org>   EXPORT#<id>      an export request   (expiresAt: epoch seconds, fileKey)
 *   ORG#<org>   BACKUP#<id>      a backup request    (expiresAt, fileKey; gsi1: LINK#<token hash> / BACKUP#<id>)
 *
 * `expiresAt` is the table's TTL attribute and, with `fileKey`, what the clean-up cycle reads to
 * delete the file and then the item. Keeping the link on the backup item, indexed by its token's
 * hash on gsi1 (whose `USER#` keys it cannot collide with), means the public download page finds
 * a backup from the token alone while everything stays inside the organization's partition:
 * erasing the organization erases its links, and expiry removes request, link and file together.
 * Updates are conditional on the item existing, so a late progress write never resurrects a
 * request the clean-up cycle already removed.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { NotFoundError } from '../../domain/errors.ts';
import type { AuditEntry } from '../../ports/audit.ts';
import type {
  BackupChange,
  BackupRecord,
  ExportRecord,
  PortabilityStore,
  ProgressChange,
} from '../../ports/portability.ts';
import { ConditionFailed, type AuditedWriter, type WriteOp } from './audited-writer.ts';
import { findOnUserIndex, getOrgItem, queryItems, releaseTry, reserveTry } from './records-table-ops.ts';
import { mapDynamoError } from './dynamo-errors.ts';
import { ORG_SK, orgPk, stripKeys } from './records-keys.ts';

export const exportSk = (exportId: string): string => `EXPORT#${exportId}`;
export const backupSk = (backupId: string): string => `BACKUP#${backupId}`;
export const linkGsiPk = (linkHash: string): string => `LINK#${linkHash}`;

const PAGE_SIZE = 500;
/** Attribute names that hold secrets in extension items; never copied into a backup. */
const SECRET_ATTRIBUTE = /token|secret|sealed|password/i;

const toEpochSeconds = (iso: string): number => Math.floor(Date.parse(iso) / 1000);

/** Items keep `expiresAt` as epoch seconds (TTL); records as ISO time. */
function fromItem<T extends { expiresAt: string }>(item: Record<string, unknown>): T {
  const expiresAt = typeof item.expiresAt === 'number' ? new Date(item.expiresAt * 1000).toISOString() : '';
  return { ...stripKeys<Omit<T, 'expiresAt'>>(item), expiresAt } as T;
}

export class DynamoPortability implements PortabilityStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly auditTable: string,
    private readonly writer: AuditedWriter,
  ) {}

  async createExport(record: ExportRecord, audit: AuditEntry): Promise<void> {
    await this.create(
      {
        pk: orgPk(record.orgId),
        sk: exportSk(record.exportId),
        kind: 'export',
        ...record,
        expiresAt: toEpochSeconds(record.expiresAt),
      },
      audit,
    );
  }

  async getExport(orgId: string, exportId: string): Promise<ExportRecord | undefined> {
    const item = await getOrgItem(this.client, this.table, orgId, exportSk(exportId));
    return item === undefined ? undefined : fromItem<ExportRecord>(item);
  }

  async updateExport(orgId: string, exportId: string, change: ProgressChange, at: string): Promise<void> {
    await this.update(orgId, exportSk(exportId), { ...change }, at);
  }

  async createBackup(record: BackupRecord, audit: AuditEntry): Promise<void> {
    await this.create(
      {
        pk: orgPk(record.orgId),
        sk: backupSk(record.backupId),
        kind: 'backup',
        ...record,
        expiresAt: toEpochSeconds(record.expiresAt),
      },
      audit,
    );
  }

  async getBackup(orgId: string, backupId: string): Promise<BackupRecord | undefined> {
    const item = await getOrgItem(this.client, this.table, orgId, backupSk(backupId));
    return item === undefined ? undefined : fromItem<BackupRecord>(item);
  }

  async updateBackup(orgId: string, backupId: string, change: BackupChange, at: string): Promise<void> {
    const { linkHash, ...rest } = change;
    const link =
      linkHash === undefined ? {} : { linkHash, gsi1pk: linkGsiPk(linkHash), gsi1sk: backupSk(backupId) };
    await this.update(orgId, backupSk(backupId), { ...rest, ...link }, at);
  }

  async backupByLink(linkHash: string): Promise<BackupRecord | undefined> {
    const found = await findOnUserIndex(this.client, this.table, linkGsiPk(linkHash), 'backup');
    // The item itself for the current tries and expiry.
    return found === undefined ? undefined : this.getBackup(String(found.orgId), String(found.backupId));
  }

  async reserveAttempt(orgId: string, backupId: string, max: number): Promise<number | 'locked'> {
    return reserveTry(this.client, this.table, { pk: orgPk(orgId), sk: backupSk(backupId) }, 'attempts', max);
  }

  async releaseAttempt(orgId: string, backupId: string): Promise<void> {
    await releaseTry(this.client, this.table, { pk: orgPk(orgId), sk: backupSk(backupId) }, 'attempts');
  }

  async *consents(orgId: string): AsyncGenerator<Readonly<Record<string, unknown>>> {
    for await (const item of this.pages(this.table, orgId, 'EXT#')) {
      const kept: Record<string, unknown> = {};
      for (const [name, value] of Object.entries(stripKeys<Record<string, unknown>>(item)))
        if (!SECRET_ATTRIBUTE.test(name)) kept[name] = value;
      yield kept;
    }
  }

  async *auditEvents(orgId: string): AsyncGenerator<Readonly<Record<string, unknown>>> {
    for await (const item of this.pages(this.auditTable, orgId, 'EVT#'))
      yield stripKeys<Record<string, unknown>>(item);
  }

  private pages(table: string, orgId: string, skPrefix: string): AsyncGenerator<Record<string, unknown>> {
    return queryItems(this.client, {
      TableName: table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': orgPk(orgId), ':prefix': skPrefix },
      Limit: PAGE_SIZE,
    });
  }

  /** The request and its audit event together, while the organization is active. */
  private async create(item: Record<string, unknown>, audit: AuditEntry): Promise<void> {
    const ops: WriteOp[] = [
      { Put: { TableName: this.table, Item: item, ConditionExpression: 'attribute_not_exists(pk)' } },
      {
        ConditionCheck: {
          TableName: this.table,
          Key: { pk: item.pk, sk: ORG_SK },
          ConditionExpression: '#status = :active',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':active': 'active' },
        },
      },
    ];
    try {
      await this.writer.commit(ops, audit.draft, audit.actor);
    } catch (error) {
      if (error instanceof ConditionFailed) throw new NotFoundError('organization');
      throw error;
    }
  }

  private async update(
    orgId: string,
    sk: string,
    change: Record<string, unknown>,
    at: string,
  ): Promise<void> {
    const values: Record<string, unknown> = { ...change, updatedAt: at };
    if (typeof values.expiresAt === 'string') values.expiresAt = toEpochSeconds(values.expiresAt);
    const entries = Object.entries(values).filter(([, value]) => value !== undefined);
    const names = Object.fromEntries(entries.map(([name], i) => [`#a${i}`, name]));
    const placeholders = Object.fromEntries(entries.map(([, value], i) => [`:v${i}`, value]));
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: orgPk(orgId), sk },
          UpdateExpression: `SET ${entries.map((_, i) => `#a${i} = :v${i}`).join(', ')}`,
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: placeholders,
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException)
        throw new NotFoundError(sk.startsWith('EXPORT#') ? 'export' : 'backup');
      throw mapDynamoError(error);
    }
  }
}
