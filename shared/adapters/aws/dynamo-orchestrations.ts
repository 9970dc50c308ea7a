/**
 * OrchestrationStore on the records table: `ORG#<org>` / `ORCH#<orchestrationId>` (layout in
 * records-keys.ts); one with a retention rule is also in the sparse RETENTION partition of gsi1.
 */
import { type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConflictError, NotFoundError } from '../../domain/errors.ts';
import type { Orchestration } from '../../domain/orchestration.ts';
import type { OrchestrationRecord, OrchestrationStore, RetentionTarget } from '../../ports/orchestrations.ts';
import type { AuditEntry } from '../../ports/audit.ts';
import { ConditionFailed, type AuditedWriter, type WriteOp } from './audited-writer.ts';
import { commitAudited, getOrgItem, orgIsActive, queryItems, queryPartition } from './records-table-ops.ts';
import {
  GSI_BY_USER,
  orchestrationGsiPk,
  orchestrationSk,
  orgPk,
  RETENTION_GSI_PK,
  stripKeys,
} from './records-keys.ts';

/** The gsi1 keys that list an orchestration with a rule among the retention targets. */
const retentionKeys = (o: Orchestration): Record<string, string> => ({
  gsi1pk: RETENTION_GSI_PK,
  gsi1sk: orchestrationGsiPk(o.orgId, o.orchestrationId),
});

/** Attributes of an orchestration that a change may add or clear. */
const OPTIONAL_ATTRIBUTES = ['access', 'purpose', 'legalBasis', 'subjectCategory'] as const;

export class DynamoOrchestrations implements OrchestrationStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly writer: AuditedWriter,
  ) {}

  async list(orgId: string): Promise<OrchestrationRecord[]> {
    return (await queryPartition(this.client, this.table, orgId, 'ORCH#')).map((item) =>
      stripKeys<OrchestrationRecord>(item),
    );
  }

  async get(orgId: string, orchestrationId: string): Promise<OrchestrationRecord | undefined> {
    const item = await getOrgItem(this.client, this.table, orgId, orchestrationSk(orchestrationId));
    return item === undefined ? undefined : stripKeys<OrchestrationRecord>(item);
  }

  async create(orchestration: Orchestration, audit: AuditEntry): Promise<OrchestrationRecord> {
    const record: OrchestrationRecord = { ...orchestration, revision: 1, jobCount: 0 };
    await this.commit(
      [
        {
          Put: {
            TableName: this.table,
            Item: {
              pk: orgPk(orchestration.orgId),
              sk: orchestrationSk(orchestration.orchestrationId),
              kind: 'orchestration',
              ...(orchestration.retention === undefined ? {} : retentionKeys(orchestration)),
              ...record,
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        orgIsActive(this.table, orchestration.orgId),
      ],
      audit,
      (index) =>
        index === 0
          ? new ConflictError('The orchestration already exists')
          : new NotFoundError('organization'),
    );
    return record;
  }

  async update(
    next: Orchestration,
    expectedRevision: number,
    options: { readonly requireNoJobs: boolean },
    audit: AuditEntry,
  ): Promise<OrchestrationRecord> {
    // An update expression, not a Put: jobCount moves under concurrent job writes and must not be overwritten.
    const values: Record<string, unknown> = {
      ':name': next.name,
      ':stages': next.stages,
      ':fields': next.fields,
      ':at': next.updatedAt,
      ':expected': expectedRevision,
      ':one': 1,
      ...(next.retention === undefined
        ? {}
        : {
            ':retention': next.retention,
            ':gsi1pk': RETENTION_GSI_PK,
            ':gsi1sk': orchestrationGsiPk(next.orgId, next.orchestrationId),
          }),
      ...(options.requireNoJobs ? { ':zero': 0 } : {}),
    };
    const sets = [
      '#name = :name',
      'stages = :stages',
      '#fields = :fields',
      'updatedAt = :at',
      'revision = revision + :one',
    ];
    const removes: string[] = [];
    // Optional parts of the definition: set when present, removed when cleared.
    for (const key of OPTIONAL_ATTRIBUTES) {
      if (next[key] === undefined) removes.push(`#${key}`);
      else {
        sets.push(`#${key} = :${key}`);
        values[`:${key}`] = next[key];
      }
    }
    // A rule also lists the orchestration among the retention targets (gsi1); no rule, no listing.
    if (next.retention === undefined) removes.push('retention', 'gsi1pk', 'gsi1sk');
    else sets.push('retention = :retention', 'gsi1pk = :gsi1pk', 'gsi1sk = :gsi1sk');
    const update = `SET ${sets.join(', ')}${removes.length === 0 ? '' : ` REMOVE ${removes.join(', ')}`}`;
    try {
      await this.writer.commit(
        [
          {
            Update: {
              TableName: this.table,
              Key: { pk: orgPk(next.orgId), sk: orchestrationSk(next.orchestrationId) },
              UpdateExpression: update,
              ConditionExpression: options.requireNoJobs
                ? 'revision = :expected AND jobCount = :zero'
                : 'revision = :expected',
              ExpressionAttributeNames: {
                '#name': 'name',
                '#fields': 'fields',
                ...Object.fromEntries(OPTIONAL_ATTRIBUTES.map((key) => [`#${key}`, key])),
              },
              ExpressionAttributeValues: values,
            },
          },
          orgIsActive(this.table, next.orgId),
        ],
        audit.draft,
        audit.actor,
      );
    } catch (error) {
      if (!(error instanceof ConditionFailed)) throw error;
      if (error.index === 1) throw new NotFoundError('organization');
      const current = await this.get(next.orgId, next.orchestrationId);
      if (current === undefined) throw new NotFoundError('orchestration');
      if (current.revision === expectedRevision && options.requireNoJobs) {
        throw new ConflictError(
          'Jobs exist in this orchestration: a field cannot change type or be removed while jobs use it',
          'jobs-exist',
        );
      }
      throw new ConflictError('The orchestration was changed at the same time; read it again');
    }
    const updated = await this.get(next.orgId, next.orchestrationId);
    if (updated === undefined) throw new NotFoundError('orchestration');
    return updated;
  }

  async delete(record: OrchestrationRecord, audit: AuditEntry): Promise<void> {
    const { orgId, orchestrationId } = record;
    await this.commit(
      [
        {
          Delete: {
            TableName: this.table,
            Key: { pk: orgPk(orgId), sk: orchestrationSk(orchestrationId) },
            // No job under legal hold: a hold placed meanwhile makes this fail rather than erase it.
            ConditionExpression:
              'revision = :expected AND jobCount = :count AND (attribute_not_exists(heldCount) OR heldCount = :zero)',
            ExpressionAttributeValues: {
              ':expected': record.revision,
              ':count': record.jobCount,
              ':zero': 0,
            },
          },
        },
        orgIsActive(this.table, orgId),
      ],
      audit,
      (index) =>
        index === 0
          ? new ConflictError('The orchestration was changed at the same time; read it again')
          : new NotFoundError('organization'),
    );
  }

  async *withRetention(): AsyncIterable<RetentionTarget> {
    const items = queryItems(this.client, {
      TableName: this.table,
      IndexName: GSI_BY_USER,
      KeyConditionExpression: 'gsi1pk = :pk',
      ExpressionAttributeValues: { ':pk': RETENTION_GSI_PK },
      ProjectionExpression: 'orgId, orchestrationId',
    });
    for await (const item of items)
      yield { orgId: String(item.orgId), orchestrationId: String(item.orchestrationId) };
  }

  private commit(
    ops: WriteOp[],
    audit: AuditEntry,
    onConditionFailed: (index: number) => Error,
  ): Promise<void> {
    return commitAudited(this.writer, ops, audit, onConditionFailed);
  }
}
