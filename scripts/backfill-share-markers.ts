/**
 * One-off migration (ADR 0020): writes the Art. 19 share markers that share records older than
 * them lack. Changes look up a job's recipients only where the organization item carries
 * `firstShareAt` and the job a `SHARED#<jobId>` item; a share recorded before those markers
 * existed has neither, so its recipient would silently not be notified. Run it once after
 * deploying the version with share markers (docs/operations.md, "Upgrade").
 *
 *   npm run backfill-share-markers -- [--org <orgId>] [--from <resume key>] [--page-size 1-1000] [--dry-run]
 *
 * Runs with the deployment's environment (RECORDS_TABLE, AWS credentials, and
 * AWS_ENDPOINT_URL_DYNAMODB against the local stack), like `npm run reseal`; it asks for no other
 * variable (no AUDIT_TABLE: it writes no audit event). Least privilege, on
 * the records table only: dynamodb:Scan (not with --org), dynamodb:Query, dynamodb:GetItem,
 * dynamodb:BatchGetItem, dynamodb:PutItem, dynamodb:UpdateItem, dynamodb:ConditionCheckItem
 * (TransactWriteItems has no action of its own), and on the tables key kms:Decrypt, kms:Encrypt,
 * kms:GenerateDataKey, kms:DescribeKey via DynamoDB only. No audit table, no field key, no queue.
 *
 * For each page of share records: the jobs without a marker get one, and an organization without
 * `firstShareAt` gets the time of its earliest share (one more Query of its share records, `at`
 * only), written exactly as a share writes them (`sharedJobMarker`, `firstShareUpdate` of
 * adapters/aws/dynamo-shares.ts: `if_not_exists`) and in one transaction per organization and
 * page. An organization being erased (or gone) is skipped: its partition is swept, and markers
 * written there could outlive it.
 * Idempotent: what exists is read first and not written again, so a second run writes nothing.
 * Resumable: each page prints the key to pass as `--from` to continue after it.
 * Prints counts and keys (organization and job ids) only, never a value of a record.
 * Exit code 0 when done, 1 on a failure (safe to run again), 2 on bad usage.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  GetCommand,
  QueryCommand,
  ScanCommand,
  TransactWriteCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { ConfigError, env } from '../shared/config.ts';
import type { WriteOp } from '../shared/adapters/aws/audited-writer.ts';
import { dynamoDocumentClient } from '../shared/adapters/aws/clients.ts';
import { guarded } from '../shared/adapters/aws/dynamo-errors.ts';
import {
  firstShareUpdate,
  SHARE_KIND,
  SHARE_SK_PREFIX,
  sharedJobMarker,
  sharedJobsAmong,
  type Condition,
} from '../shared/adapters/aws/dynamo-shares.ts';
import { ORG_SK, orgPk } from '../shared/adapters/aws/records-keys.ts';
import { queryPages } from '../shared/adapters/aws/records-table-ops.ts';
import type { ShareStore } from '../shared/ports/shares.ts';

class UsageError extends Error {}

const USAGE =
  'usage: backfill-share-markers [--org <orgId>] [--from <resume key>] [--page-size 1-1000] [--dry-run]';

/** A transaction holds at most 100 operations: one on the organization item, the rest markers. */
const MARKERS_PER_TRANSACTION = 99;

/** Not while the organization is being erased (nor once it is gone: `attribute_exists(pk)`). */
const NOT_ERASING: Condition = {
  expression: '#status <> :deleting',
  names: { '#status': 'status' },
  values: { ':deleting': 'deleting' },
};

export interface BackfillDeps {
  readonly client: DynamoDBDocumentClient;
  readonly table: string;
  readonly shares: Pick<ShareStore, 'sharedAmong'>;
}

export interface BackfillOptions {
  /** Only this organization's partition (a Query), instead of the whole table (a Scan). */
  readonly orgId?: string;
  /** A `resumeFrom` printed by an earlier run: continue after that page. */
  readonly from?: string;
  /** Items evaluated per page (before the filter); DynamoDB's 1 MB pages when absent. */
  readonly pageSize?: number;
  /** Read and count only. */
  readonly dryRun?: boolean;
}

export interface BackfillCounts {
  /** Share records read (their ids and time only). */
  shareRecords: number;
  /** Jobs given a `SHARED#` marker now (each job and organization counted once per run). */
  markersWritten: number;
  /** Jobs that had their marker already. */
  markersPresent: number;
  /** Organizations given `firstShareAt` now. */
  organizationsMarked: number;
  /** Organizations that had `firstShareAt` already. */
  organizationsPresent: number;
  /** Organizations skipped: being erased, or gone. */
  organizationsSkipped: number;
}

export interface PageReport {
  readonly counts: BackfillCounts;
  /** Where to resume after this page (`--from`); undefined after the last page. */
  readonly resumeFrom: string | undefined;
}

export const noCounts = (): BackfillCounts => ({
  shareRecords: 0,
  markersWritten: 0,
  markersPresent: 0,
  organizationsMarked: 0,
  organizationsPresent: 0,
  organizationsSkipped: 0,
});

/** The LastEvaluatedKey (`pk`, `sk`: organization, job and share ids, no value) as one shell-safe word. */
const encodeKey = (key: Record<string, unknown>): string =>
  Buffer.from(JSON.stringify(key)).toString('base64url');

function decodeKey(raw: string): Record<string, unknown> {
  try {
    const key: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    if (typeof key === 'object' && key !== null && 'pk' in key && 'sk' in key)
      return key as Record<string, unknown>;
  } catch {
    // falls through
  }
  throw new UsageError('--from must be a key this command printed');
}

/**
 * The backfill, one page of share records at a time (each yielded with its counts and where to
 * resume after it). Pages are processed in order; stop consuming and resume later with `from`.
 */
export async function* backfillShareMarkers(
  deps: BackfillDeps,
  options: BackfillOptions = {},
): AsyncGenerator<PageReport> {
  let startKey = options.from === undefined ? undefined : decodeKey(options.from);
  const seen: Seen = { orgs: new Map(), jobs: new Set() };
  do {
    const page = await readPage(deps, options, startKey);
    const counts = noCounts();
    counts.shareRecords = page.records.length;
    for (const [orgId, jobs] of groupByOrg(page.records))
      await backfillOrg(deps, orgId, jobs, counts, seen, options.dryRun === true);
    startKey = page.lastKey;
    yield { counts, resumeFrom: startKey === undefined ? undefined : encodeKey(startKey) };
  } while (startKey !== undefined);
}

/**
 * What this run has handled already, so that a job or an organization whose records span pages is
 * read and counted once (one entry per shared job: small beside the table it scans).
 */
interface Seen {
  readonly orgs: Map<string, 'marked' | 'skipped'>;
  readonly jobs: Set<string>;
}

interface ShareKeys {
  readonly orgId: string;
  readonly jobId: string;
  readonly at: string;
}

async function readPage(
  deps: BackfillDeps,
  options: BackfillOptions,
  startKey: Record<string, unknown> | undefined,
): Promise<{ records: ShareKeys[]; lastKey: Record<string, unknown> | undefined }> {
  // Only ids and the time are read (ProjectionExpression): a share record holds no personal value,
  // and this reads none of anything else either. The filter keeps share records, not their notices.
  const common = {
    TableName: deps.table,
    FilterExpression: '#kind = :kind',
    ProjectionExpression: 'orgId, jobId, #at',
    ExpressionAttributeNames: { '#kind': 'kind', '#at': 'at' },
    ConsistentRead: true,
    ExclusiveStartKey: startKey,
    ...(options.pageSize === undefined ? {} : { Limit: options.pageSize }),
  };
  const answer =
    options.orgId === undefined
      ? // A Scan of the whole table, filtered on the sort-key prefix: acceptable for a one-off
        // migration (it reads every item once, in 1 MB pages); no index serves share records across
        // organizations, and none is worth adding for this.
        await guarded(
          deps.client.send(
            new ScanCommand({
              ...common,
              FilterExpression: `begins_with(sk, :prefix) AND ${common.FilterExpression}`,
              ExpressionAttributeValues: { ':prefix': SHARE_SK_PREFIX, ':kind': SHARE_KIND },
            }),
          ),
        )
      : await guarded(
          deps.client.send(
            new QueryCommand({
              ...common,
              KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
              ExpressionAttributeValues: {
                ':pk': orgPk(options.orgId),
                ':prefix': SHARE_SK_PREFIX,
                ':kind': SHARE_KIND,
              },
            }),
          ),
        );
  return {
    records: (answer.Items ?? []).map((item) => ({
      orgId: String(item.orgId),
      jobId: String(item.jobId),
      at: String(item.at),
    })),
    lastKey: answer.LastEvaluatedKey,
  };
}

/** Per organization: each job once, and the earliest share time. */
function groupByOrg(records: readonly ShareKeys[]): Map<string, { jobIds: Set<string>; earliest: string }> {
  const byOrg = new Map<string, { jobIds: Set<string>; earliest: string }>();
  for (const { orgId, jobId, at } of records) {
    const entry = byOrg.get(orgId);
    if (entry === undefined) byOrg.set(orgId, { jobIds: new Set([jobId]), earliest: at });
    else {
      entry.jobIds.add(jobId);
      if (at < entry.earliest) entry.earliest = at;
    }
  }
  return byOrg;
}

async function backfillOrg(
  deps: BackfillDeps,
  orgId: string,
  jobs: { jobIds: Set<string>; earliest: string },
  counts: BackfillCounts,
  seen: Seen,
  dryRun: boolean,
): Promise<void> {
  const before = seen.orgs.get(orgId);
  if (before === 'skipped') return;
  let markOrg = false;
  if (before === undefined) {
    const { Item: org } = await guarded(
      deps.client.send(
        new GetCommand({
          TableName: deps.table,
          Key: { pk: orgPk(orgId), sk: ORG_SK },
          ProjectionExpression: 'firstShareAt, #status',
          ExpressionAttributeNames: { '#status': 'status' },
          ConsistentRead: true,
        }),
      ),
    );
    if (org === undefined || org.status === 'deleting') {
      seen.orgs.set(orgId, 'skipped');
      counts.organizationsSkipped += 1;
      return;
    }
    markOrg = org.firstShareAt === undefined;
    if (!markOrg) counts.organizationsPresent += 1;
  }
  // Its records may span pages: the earliest of all its shares, read once per organization marked.
  const firstShareAt = markOrg ? await earliestShare(deps, orgId) : undefined;
  const unseen = [...jobs.jobIds].filter((jobId) => !seen.jobs.has(`${orgId}/${jobId}`));
  const marked = new Set(unseen.length === 0 ? [] : await deps.shares.sharedAmong(orgId, unseen));
  const missing = unseen.filter((jobId) => !marked.has(jobId));
  counts.markersPresent += marked.size;
  const done = () => {
    seen.orgs.set(orgId, 'marked');
    for (const jobId of unseen) seen.jobs.add(`${orgId}/${jobId}`);
  };
  if (missing.length === 0 && !markOrg) return done();
  if (dryRun) {
    counts.markersWritten += missing.length;
    if (markOrg) counts.organizationsMarked += 1;
    return done();
  }
  // Each transaction carries one operation on the organization item (the update, or a check of the
  // same condition), so no marker lands in the partition of an organization being erased.
  const chunks: string[][] = [];
  for (let start = 0; start < missing.length; start += MARKERS_PER_TRANSACTION)
    chunks.push(missing.slice(start, start + MARKERS_PER_TRANSACTION));
  if (chunks.length === 0) chunks.push([]);
  for (const [index, chunk] of chunks.entries()) {
    const orgOp: WriteOp =
      index === 0 && markOrg
        ? firstShareUpdate(deps.table, orgId, firstShareAt ?? jobs.earliest, NOT_ERASING)
        : {
            ConditionCheck: {
              TableName: deps.table,
              Key: { pk: orgPk(orgId), sk: ORG_SK },
              ConditionExpression: `attribute_exists(pk) AND ${NOT_ERASING.expression}`,
              ExpressionAttributeNames: NOT_ERASING.names,
              ExpressionAttributeValues: NOT_ERASING.values,
            },
          };
    try {
      await guarded(
        deps.client.send(
          new TransactWriteCommand({
            TransactItems: [orgOp, ...chunk.map((jobId) => sharedJobMarker(deps.table, orgId, jobId))],
          }),
        ),
      );
    } catch (error) {
      // Its erasure started (or ended) since it was read: nothing of this transaction was written.
      if (
        error instanceof TransactionCanceledException &&
        error.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed'
      ) {
        seen.orgs.set(orgId, 'skipped');
        counts.organizationsSkipped += 1;
        return;
      }
      throw error;
    }
    counts.markersWritten += chunk.length;
    if (index === 0 && markOrg) counts.organizationsMarked += 1;
  }
  done();
}

/** The time of the organization's earliest share record (only `at` is read). */
async function earliestShare(deps: BackfillDeps, orgId: string): Promise<string | undefined> {
  let earliest: string | undefined;
  for await (const page of queryPages(deps.client, {
    TableName: deps.table,
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    FilterExpression: '#kind = :kind',
    ProjectionExpression: '#at',
    ExpressionAttributeNames: { '#kind': 'kind', '#at': 'at' },
    ExpressionAttributeValues: { ':pk': orgPk(orgId), ':prefix': SHARE_SK_PREFIX, ':kind': SHARE_KIND },
    ConsistentRead: true,
  }))
    for (const item of page.Items ?? [])
      if (earliest === undefined || String(item.at) < earliest) earliest = String(item.at);
  return earliest;
}

export function addCounts(total: BackfillCounts, page: BackfillCounts): BackfillCounts {
  for (const key of Object.keys(total) as (keyof BackfillCounts)[]) total[key] += page[key];
  return total;
}

export const describeCounts = (counts: BackfillCounts): string =>
  `${counts.shareRecords} share records; job markers: ${counts.markersWritten} written, ${counts.markersPresent} present; ` +
  `organizations: ${counts.organizationsMarked} marked, ${counts.organizationsPresent} already marked, ` +
  `${counts.organizationsSkipped} skipped (being erased or gone)`;

function pageSizeOf(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 1000)
    throw new UsageError('--page-size must be a whole number from 1 to 1000');
  return value;
}

async function main(argv: readonly string[]): Promise<number> {
  const total = noCounts();
  try {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        org: { type: 'string' },
        from: { type: 'string' },
        'page-size': { type: 'string' },
        'dry-run': { type: 'boolean' },
      },
      strict: true,
    });
    if (values.org === '') throw new UsageError(USAGE);
    const pageSize = pageSizeOf(values['page-size']);
    const dryRun = values['dry-run'] === true;
    if (values.from !== undefined) decodeKey(values.from);
    const client = dynamoDocumentClient();
    const table = env.recordsTable();
    const shares = {
      sharedAmong: (orgId: string, jobIds: readonly string[]) =>
        sharedJobsAmong(client, table, orgId, jobIds),
    };
    const pages = backfillShareMarkers(
      { client, table, shares },
      {
        dryRun,
        ...(values.org === undefined ? {} : { orgId: values.org }),
        ...(values.from === undefined ? {} : { from: values.from }),
        ...(pageSize === undefined ? {} : { pageSize }),
      },
    );
    let page = 0;
    for await (const report of pages) {
      page += 1;
      addCounts(total, report.counts);
      if (report.resumeFrom !== undefined)
        process.stdout.write(
          `page ${page}: ${describeCounts(report.counts)}; resume with --from ${report.resumeFrom}\n`,
        );
    }
    process.stdout.write(`${dryRun ? 'dry run, nothing written: ' : 'done: '}${describeCounts(total)}\n`);
    return 0;
  } catch (error) {
    if (
      error instanceof UsageError ||
      error instanceof ConfigError ||
      (error instanceof TypeError && 'code' in error)
    ) {
      process.stderr.write(`backfill-share-markers: ${error.message}\n`);
      return 2;
    }
    // Names only: messages of lower layers may carry request data.
    process.stderr.write(
      `backfill-share-markers: failed (${error instanceof Error ? error.name : 'unknown error'}) after ${describeCounts(total)}; ` +
        'it is safe to run again, from the last key printed\n',
    );
    return 1;
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
