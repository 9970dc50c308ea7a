/**
 * SubjectRequestStore on the records table. Requests and intake counters live in their
 * organization's partition, so erasing the organization erases them and a backup exports them:
 *
 *   pk          sk                                  what
 *   ORG#<org>   REQUEST#<requestId>                 a request   gsi1: REQUEST#<requestId> / ORG#<org>
 *                                                   while open  gsi3: REQUESTS-DUE / <dueAt>#<org>#<requestId>
 *   ORG#<org>   INTAKE#<limiter>#<window end>       an intake counter of one hour
 *
 * gsi3 holds open requests only (a sparse partition, like RETENTION on gsi1): the clean-up cycle
 * finds every organization's requests due soon, soonest first, with one Query, and counts the
 * overdue ones, instead of scanning the table. One partition key for all tenants is fine at the
 * volume of open requests (a few per organization); shard it by due month if that ever changes.
 *
 * gsi1 (whose `USER#` and `LINK#` keys it cannot collide with) finds a request from its id
 * alone, for the public verify and report routes. An access or portability request carries its
 * report (`report`, a map: file key, link and code hashes) and the report link's two counters
 * (`reportTries`, `reportCodes`, top level so the shared bounded-try update can count them). `expiresAt` (epoch seconds, the table's TTL attribute) is
 * set on unverified requests and on counters: the clean-up cycle's sweep of expired items (and
 * DynamoDB's TTL in the cloud) erases them; verification removes it from the request.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConflictError, NotFoundError } from '../../domain/errors.ts';
import type { TimelineStep } from '../../domain/subject-request.ts';
import type { AuditEntry } from '../../ports/audit.ts';
import type {
  DeadlineReminder,
  ReportCounter,
  RequestChange,
  RequestReport,
  RequestPrecondition,
  StoredRequest,
  SubjectRequestStore,
} from '../../ports/subject-requests.ts';
import type { AuditedWriter, WriteOp } from './audited-writer.ts';
import { mapDynamoError } from './dynamo-errors.ts';
import { GSI_BY_ORCHESTRATION, orgPk, stripKeys } from './records-keys.ts';
import {
  commitAudited,
  findOnUserIndex,
  getOrgItem,
  orgIsActive,
  queryItems,
  queryPartition,
  releaseTry,
  reserveTry,
} from './records-table-ops.ts';

export const requestSk = (requestId: string): string => `REQUEST#${requestId}`;
const REQUEST_PREFIX = 'REQUEST#';
const requestGsiPk = (requestId: string): string => `REQUEST#${requestId}`;
const intakeSk = (limiter: string, windowEndsAt: Date): string =>
  `INTAKE#${limiter}#${Math.floor(windowEndsAt.getTime() / 1000)}`;

const DUE_GSI_PK = 'REQUESTS-DUE';
const dueGsiSk = (dueAt: string, orgId: string, requestId: string): string =>
  `${dueAt}#${orgId}#${requestId}`;
const CLOSED = new Set(['fulfilled', 'rejected']);

const toEpochSeconds = (iso: string): number => Math.floor(Date.parse(iso) / 1000);

function fromItem(item: Record<string, unknown>): StoredRequest {
  // stripKeys drops the TTL attribute (epoch seconds); the record carries it as ISO time.
  const record = stripKeys<StoredRequest>(item);
  return typeof item.expiresAt === 'number'
    ? { ...record, expiresAt: new Date(item.expiresAt * 1000).toISOString() }
    : record;
}

export class DynamoSubjectRequests implements SubjectRequestStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly writer: AuditedWriter,
  ) {}

  async takeIntakeSlot(
    orgId: string,
    limiter: string,
    windowEndsAt: Date,
    max: number,
  ): Promise<'taken' | 'full'> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: orgPk(orgId), sk: intakeSk(limiter, windowEndsAt) },
          UpdateExpression: 'ADD #count :one SET expiresAt = :expires, kind = :kind',
          ConditionExpression: 'attribute_not_exists(#count) OR #count < :max',
          ExpressionAttributeNames: { '#count': 'count' },
          ExpressionAttributeValues: {
            ':one': 1,
            ':max': max,
            ':expires': Math.floor(windowEndsAt.getTime() / 1000),
            ':kind': 'intake-counter',
          },
        }),
      );
      return 'taken';
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return 'full';
      throw mapDynamoError(error);
    }
  }

  async create(request: StoredRequest, audit: AuditEntry): Promise<void> {
    const { expiresAt, ...rest } = request;
    const item = {
      pk: orgPk(request.orgId),
      sk: requestSk(request.requestId),
      gsi1pk: requestGsiPk(request.requestId),
      gsi1sk: orgPk(request.orgId),
      kind: 'request',
      ...rest,
      ...(expiresAt === undefined ? {} : { expiresAt: toEpochSeconds(expiresAt) }),
    };
    const ops: WriteOp[] = [
      { Put: { TableName: this.table, Item: item, ConditionExpression: 'attribute_not_exists(pk)' } },
      orgIsActive(this.table, request.orgId),
    ];
    await commitAudited(this.writer, ops, audit, () => new NotFoundError('organization'));
  }

  async get(orgId: string, requestId: string): Promise<StoredRequest | undefined> {
    const item = await getOrgItem(this.client, this.table, orgId, requestSk(requestId));
    return item === undefined ? undefined : fromItem(item);
  }

  async find(requestId: string): Promise<StoredRequest | undefined> {
    const found = await findOnUserIndex(this.client, this.table, requestGsiPk(requestId), 'request');
    // The item itself for the current tries and status.
    return found === undefined ? undefined : this.get(String(found.orgId), requestId);
  }

  async list(orgId: string): Promise<StoredRequest[]> {
    return (await queryPartition(this.client, this.table, orgId, REQUEST_PREFIX)).map(fromItem);
  }

  async eraseSubject(orgId: string, subjectIndex: string, at: string): Promise<number> {
    const requests = (await this.list(orgId)).filter((request) => request.subjectIndex === subjectIndex);
    for (const request of requests) {
      try {
        await this.client.send(
          new UpdateCommand({
            TableName: this.table,
            Key: { pk: orgPk(orgId), sk: requestSk(request.requestId) },
            UpdateExpression:
              'SET subjectErasedAt = :at REMOVE subjectIndex, sealedEmail, sealedName, sealedDetails',
            // Still this subject's: a request erased meanwhile (or gone) is left as it is.
            ConditionExpression: 'subjectIndex = :index',
            ExpressionAttributeValues: { ':at': at, ':index': subjectIndex },
          }),
        );
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw mapDynamoError(error);
      }
    }
    return requests.length;
  }

  async reserveCodeTry(orgId: string, requestId: string, max: number): Promise<number | 'locked'> {
    return reserveTry(
      this.client,
      this.table,
      { pk: orgPk(orgId), sk: requestSk(requestId) },
      'codeTries',
      max,
    );
  }

  async releaseCodeTry(orgId: string, requestId: string): Promise<void> {
    await releaseTry(this.client, this.table, { pk: orgPk(orgId), sk: requestSk(requestId) }, 'codeTries');
  }

  async verify(
    orgId: string,
    requestId: string,
    change: { verifiedAt: string; dueAt: string },
    step: TimelineStep,
    audit: AuditEntry,
  ): Promise<void> {
    await this.stepUpdate(
      orgId,
      requestId,
      {
        set: '#status = :open, verifiedAt = :at, dueAt = :dueAt, gsi3pk = :duePk, gsi3sk = :dueSk',
        remove: 'codeHash, codeExpiresAt, expiresAt',
        condition: '#status = :unverified',
      },
      {
        ':open': 'open',
        ':unverified': 'unverified',
        ':dueAt': change.dueAt,
        ':duePk': DUE_GSI_PK,
        ':dueSk': dueGsiSk(change.dueAt, orgId, requestId),
      },
      { ...step, at: change.verifiedAt },
      audit,
      'The request is verified already',
      'request',
    );
  }

  async update(
    orgId: string,
    requestId: string,
    change: RequestChange,
    expect: RequestPrecondition,
    step: TimelineStep,
    audit: AuditEntry,
  ): Promise<StoredRequest> {
    // The due index follows the deadline while the request is open, and drops it once closed.
    const dueKey = change.dueAt === undefined ? {} : { gsi3sk: dueGsiSk(change.dueAt, orgId, requestId) };
    const closing = change.status !== undefined && CLOSED.has(change.status);
    const entries = Object.entries({ ...change, ...dueKey, updatedAt: step.at }).filter(
      ([, value]) => value !== undefined,
    );
    const names: Record<string, string> = {
      '#status': 'status',
      ...Object.fromEntries(entries.map(([name], i) => [`#a${i}`, name])),
    };
    const values: Record<string, unknown> = {
      ':expected': expect.status,
      ':step': [step],
      ...Object.fromEntries(entries.map(([, value], i) => [`:v${i}`, value])),
    };
    const conditions = ['attribute_exists(pk)', '#status = :expected'];
    if (expect.unextended === true) conditions.push('attribute_not_exists(extendedMonths)');
    const ops: WriteOp[] = [
      {
        Update: {
          TableName: this.table,
          Key: { pk: orgPk(orgId), sk: requestSk(requestId) },
          UpdateExpression: `SET ${entries.map((_, i) => `#a${i} = :v${i}`).join(', ')}, timeline = list_append(timeline, :step)${closing ? ' REMOVE gsi3pk, gsi3sk' : ''}`,
          ConditionExpression: conditions.join(' AND '),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        },
      },
      orgIsActive(this.table, orgId),
    ];
    await commitAudited(this.writer, ops, audit, (index) =>
      index === 0
        ? new ConflictError('The request changed meanwhile; read it again')
        : new NotFoundError('organization'),
    );
    const updated = await this.get(orgId, requestId);
    if (updated === undefined) throw new NotFoundError('request');
    return updated;
  }

  /** One conditional update of the request with its timeline step, committed with the audit event. */
  private async stepUpdate(
    orgId: string,
    requestId: string,
    update: { readonly set: string; readonly remove?: string; readonly condition: string },
    values: Record<string, unknown>,
    step: TimelineStep,
    audit: AuditEntry,
    conflict: string,
    // What a closed organization answers as: the public routes name the request, not the organization.
    gone: 'organization' | 'request' = 'organization',
  ): Promise<void> {
    const ops: WriteOp[] = [
      {
        Update: {
          TableName: this.table,
          Key: { pk: orgPk(orgId), sk: requestSk(requestId) },
          UpdateExpression: `SET ${update.set}, updatedAt = :at, timeline = list_append(timeline, :step)${update.remove === undefined ? '' : ` REMOVE ${update.remove}`}`,
          ConditionExpression: `attribute_exists(pk) AND ${update.condition}`,
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ...values, ':at': step.at, ':step': [step] },
        },
      },
      orgIsActive(this.table, orgId),
    ];
    await commitAudited(this.writer, ops, audit, (index) =>
      index === 0 ? new ConflictError(conflict) : new NotFoundError(gone),
    );
  }

  async startReport(
    orgId: string,
    requestId: string,
    report: Pick<RequestReport, 'requestedBy' | 'fileKey'>,
    step: TimelineStep,
    audit: AuditEntry,
  ): Promise<StoredRequest> {
    const pending: RequestReport = { ...report, status: 'pending' };
    await this.stepUpdate(
      orgId,
      requestId,
      {
        set: 'report = :report, reportTries = :zero, reportCodes = :zero',
        condition: '#status = :open AND (attribute_not_exists(report) OR report.#status = :pending)',
      },
      { ':report': pending, ':zero': 0, ':open': 'open', ':pending': 'pending' },
      step,
      audit,
      'The request is not open, or its report is ready already',
    );
    const updated = await this.get(orgId, requestId);
    if (updated === undefined) throw new NotFoundError('request');
    return updated;
  }

  async abandonReport(orgId: string, requestId: string): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: orgPk(orgId), sk: requestSk(requestId) },
          UpdateExpression: 'REMOVE report, reportTries, reportCodes',
          ConditionExpression: 'report.#status = :pending',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':pending': 'pending' },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw mapDynamoError(error);
    }
  }

  async reportReady(
    orgId: string,
    requestId: string,
    ready: { readonly expiresAt: string; readonly linkHash: string },
    step: TimelineStep,
    audit: AuditEntry,
  ): Promise<void> {
    await this.stepUpdate(
      orgId,
      requestId,
      {
        set: 'report.#status = :ready, report.expiresAt = :expires, report.linkHash = :link',
        condition: '#status = :open AND attribute_exists(report)',
      },
      { ':ready': 'ready', ':expires': ready.expiresAt, ':link': ready.linkHash, ':open': 'open' },
      step,
      audit,
      'The request is no longer open',
    );
  }

  async setReportCode(
    orgId: string,
    requestId: string,
    code: { readonly codeHash: string; readonly codeExpiresAt: string },
    step: TimelineStep,
    audit: AuditEntry,
  ): Promise<void> {
    await this.stepUpdate(
      orgId,
      requestId,
      {
        set: 'report.codeHash = :hash, report.codeExpiresAt = :expires',
        condition: 'report.#status = :ready',
      },
      { ':hash': code.codeHash, ':expires': code.codeExpiresAt, ':ready': 'ready' },
      step,
      audit,
      'The report is not ready',
    );
  }

  async reportStep(
    orgId: string,
    requestId: string,
    spentCode: string | undefined,
    step: TimelineStep,
    audit: AuditEntry,
  ): Promise<void> {
    await this.stepUpdate(
      orgId,
      requestId,
      spentCode === undefined
        ? { set: 'report.#status = :ready', condition: 'report.#status = :ready' }
        : {
            set: 'report.#status = :ready',
            condition: 'report.#status = :ready AND report.codeHash = :code',
            remove: 'report.codeHash, report.codeExpiresAt',
          },
      { ':ready': 'ready', ...(spentCode === undefined ? {} : { ':code': spentCode }) },
      step,
      audit,
      'The report is not ready, or its code was used meanwhile',
    );
  }

  reserveReportTry(
    orgId: string,
    requestId: string,
    counter: ReportCounter,
    max: number,
  ): Promise<number | 'locked'> {
    return reserveTry(this.client, this.table, { pk: orgPk(orgId), sk: requestSk(requestId) }, counter, max);
  }

  async releaseReportTry(orgId: string, requestId: string, counter: ReportCounter): Promise<void> {
    await releaseTry(this.client, this.table, { pk: orgPk(orgId), sk: requestSk(requestId) }, counter);
  }

  async *dueBefore(at: Date): AsyncGenerator<StoredRequest> {
    for await (const item of queryItems(this.client, {
      TableName: this.table,
      IndexName: GSI_BY_ORCHESTRATION,
      KeyConditionExpression: 'gsi3pk = :pk AND gsi3sk < :until',
      ExpressionAttributeValues: { ':pk': DUE_GSI_PK, ':until': at.toISOString() },
    })) {
      if (item.kind === 'request') yield fromItem(item);
    }
  }

  async markReminded(
    orgId: string,
    requestId: string,
    reminder: DeadlineReminder,
    step: TimelineStep,
    audit: AuditEntry,
  ): Promise<boolean> {
    try {
      await this.stepUpdate(
        orgId,
        requestId,
        {
          set: 'reminded = list_append(if_not_exists(reminded, :none), :reminder)',
          condition: '#status = :open AND NOT contains(reminded, :name)',
        },
        { ':none': [], ':reminder': [reminder], ':name': reminder, ':open': 'open' },
        step,
        audit,
        'reminded',
      );
      return true;
    } catch (error) {
      // Reminded already, no longer open, or its organization closed since the cycle read it.
      if (error instanceof ConflictError || error instanceof NotFoundError) return false;
      throw error;
    }
  }
}
