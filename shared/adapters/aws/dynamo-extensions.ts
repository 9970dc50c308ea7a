/**
 * ExtensionStore on the records table, in the organization's partition (so a tenant's deletion
 * sweeps it with the rest):
 *
 *   ORG#<org>  EXT#<extensionId>                      the connection: current consent, version, sealed token and signing secret
 *   ORG#<org>  EXT#<extensionId>#CONSENT#<version>    one grant or withdrawal, kept as history
 *
 * Every change is one transaction with its audit event; grants and withdrawals are conditional
 * on the version read, so two at once cannot both land (and history versions never collide).
 */
import { type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConflictError, NotFoundError } from '../../domain/errors.ts';
import type {
  Consent,
  ConsentHistoryEntry,
  ExtensionConnection,
  ExtensionStore,
  Withdrawal,
} from '../../ports/extensions.ts';
import type { AuditEntry } from '../../ports/audit.ts';
import { type AuditedWriter, type WriteOp } from './audited-writer.ts';
import { commitAudited, getOrgItem, orgIsActive, queryPartition } from './records-table-ops.ts';
import { orgPk, stripKeys } from './records-keys.ts';

export const extensionSk = (extensionId: string): string => `EXT#${extensionId}`;
export const consentSk = (extensionId: string, version: number): string =>
  `EXT#${extensionId}#CONSENT#${String(version).padStart(12, '0')}`;

const CONNECTION_KIND = 'extension';
const HISTORY_KIND = 'extension-consent';

export class DynamoExtensions implements ExtensionStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly writer: AuditedWriter,
  ) {}

  async get(orgId: string, extensionId: string): Promise<ExtensionConnection | undefined> {
    const item = await getOrgItem(this.client, this.table, orgId, extensionSk(extensionId));
    return item === undefined ? undefined : this.connectionOf(item);
  }

  async list(orgId: string): Promise<ExtensionConnection[]> {
    const items = await queryPartition(this.client, this.table, orgId, 'EXT#');
    return items.filter((item) => item.kind === CONNECTION_KIND).map((item) => this.connectionOf(item));
  }

  async history(orgId: string, extensionId: string): Promise<ConsentHistoryEntry[]> {
    const items = await queryPartition(
      this.client,
      this.table,
      orgId,
      `${extensionSk(extensionId)}#CONSENT#`,
    );
    return items.map((item) => {
      const { extensionId: _extension, orgId: _org, ...entry } = stripKeys<Record<string, unknown>>(item);
      return entry as unknown as ConsentHistoryEntry;
    });
  }

  async grant(
    orgId: string,
    extensionId: string,
    consent: Consent,
    sealedSigningSecret: string,
    audit: AuditEntry,
  ): Promise<void> {
    await this.commit(
      [
        {
          Update: {
            TableName: this.table,
            Key: { pk: orgPk(orgId), sk: extensionSk(extensionId) },
            UpdateExpression:
              'SET #kind = :kind, orgId = :org, extensionId = :ext, consent = :consent, version = :next, sealedSigningSecret = :secret',
            ConditionExpression: 'attribute_not_exists(pk) OR version = :previous',
            ExpressionAttributeNames: { '#kind': 'kind' },
            ExpressionAttributeValues: {
              ':kind': CONNECTION_KIND,
              ':org': orgId,
              ':ext': extensionId,
              ':consent': consent,
              ':next': consent.version,
              ':previous': consent.version - 1,
              ':secret': sealedSigningSecret,
            },
          },
        },
        this.historyPut(orgId, extensionId, consent.version, { change: 'grant', ...consent }),
        orgIsActive(this.table, orgId),
      ],
      audit,
    );
  }

  async setToken(
    orgId: string,
    extensionId: string,
    sealedToken: string,
    at: string,
    by: string,
    audit: AuditEntry,
  ): Promise<void> {
    await this.commit(
      [
        {
          Update: {
            TableName: this.table,
            Key: { pk: orgPk(orgId), sk: extensionSk(extensionId) },
            UpdateExpression:
              'SET #kind = :kind, orgId = :org, extensionId = :ext, version = if_not_exists(version, :zero), sealedToken = :sealed, tokenSetAt = :at, tokenSetBy = :by',
            ExpressionAttributeNames: { '#kind': 'kind' },
            ExpressionAttributeValues: {
              ':kind': CONNECTION_KIND,
              ':org': orgId,
              ':ext': extensionId,
              ':zero': 0,
              ':sealed': sealedToken,
              ':at': at,
              ':by': by,
            },
          },
        },
        orgIsActive(this.table, orgId),
      ],
      audit,
    );
  }

  async revoke(orgId: string, extensionId: string, withdrawal: Withdrawal, audit: AuditEntry): Promise<void> {
    await this.commit(
      [
        {
          Update: {
            TableName: this.table,
            Key: { pk: orgPk(orgId), sk: extensionSk(extensionId) },
            UpdateExpression: 'SET version = :next REMOVE consent, sealedToken, tokenSetAt, tokenSetBy',
            ConditionExpression: 'version = :previous',
            ExpressionAttributeValues: { ':next': withdrawal.version, ':previous': withdrawal.version - 1 },
          },
        },
        this.historyPut(orgId, extensionId, withdrawal.version, { change: 'withdrawal', ...withdrawal }),
        orgIsActive(this.table, orgId),
      ],
      audit,
    );
  }

  private connectionOf(item: Record<string, unknown>): ExtensionConnection {
    return stripKeys<ExtensionConnection>(item);
  }

  private historyPut(
    orgId: string,
    extensionId: string,
    version: number,
    entry: ConsentHistoryEntry,
  ): WriteOp {
    return {
      Put: {
        TableName: this.table,
        Item: {
          pk: orgPk(orgId),
          sk: consentSk(extensionId, version),
          kind: HISTORY_KIND,
          orgId,
          extensionId,
          ...entry,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    };
  }

  /** The first op is the connection's own condition (a concurrent change); the last, the organization being active. */
  private commit(ops: WriteOp[], audit: AuditEntry): Promise<void> {
    return commitAudited(this.writer, ops, audit, (index) =>
      index === ops.length - 1
        ? new NotFoundError('organization')
        : new ConflictError("The extension's consent was changed at the same time; read it again"),
    );
  }
}
