/**
 * The functions of Custos, declared once. The CDK app deploys them and the local stack runs them
 * from this list: routes come from the route table, schedules become EventBridge rules (and the
 * local scheduler), queue consumers become SQS event sources (and the local poller). A function
 * added here runs locally and deploys with no second wiring.
 */
import { ROUTES } from '../shared/api/routes/index.ts';
import type { RouteDefinition } from '../shared/api/route.ts';
import {
  CHECKPOINT_SIGNER_TIMEOUT_SECONDS,
  SEQUENCER_BATCHING_WINDOW_SECONDS,
} from '../shared/domain/audit-checkpoint.ts';
import type { QueueName, TableName } from './resources.ts';

/**
 * What a function may touch; the CDK house construct grants exactly this and nothing more.
 * records/audit: `read` (Get/Query), `write` (+ Put/Update/TransactWrite/ConditionCheck),
 * `delete` (+ Delete/BatchWrite; only the clean-up cycle and record-erasing APIs). Audit
 * `append` is Put/TransactWrite/ConditionCheck plus reads — never Update or Delete: the sequencer
 * too only Puts (batches and the head), since an event's place lives in its batch.
 */
export interface FunctionAccess {
  readonly records?: 'read' | 'write' | 'delete';
  readonly audit?: 'read' | 'append' | 'delete';
  /**
   * Tables this function may Scan (a full read of the table, billed as such). Only for the
   * table-wide sweeps that have no partition to Query; the table's own access mode must be set too.
   */
  readonly scans?: readonly TableName[];
  /** The field-encryption KMS key: `decrypt` only, or `generate` (GenerateDataKey + Decrypt). */
  readonly fieldKey?: 'decrypt' | 'generate';
  /** The asymmetric key that signs audit digests. */
  readonly auditSigningKey?: 'sign' | 'verify';
  /** `consume-and-send`: a consumer that also puts requests back on its own queue. */
  readonly queues?: Partial<Record<QueueName, 'send' | 'consume' | 'consume-and-send'>>;
  /** The files bucket, under `orgs/`. */
  readonly files?: 'read' | 'write' | 'delete';
  readonly mail?: boolean;
  /** Calls extension vendors' webhooks on the internet. */
  readonly internet?: boolean;
}

export interface ScheduleSpec {
  /** The cdk.json context key that configures the interval in minutes. */
  readonly contextKey: string;
  readonly defaultMinutes: number;
  /** How often the local scheduler runs it. */
  readonly localIntervalSeconds: number;
}

export interface QueueConsumerSpec {
  readonly queue: QueueName;
  readonly batchSize: number;
}

/**
 * A function fed a table's DynamoDB stream: Lambda's event source mapping in the cloud, the local
 * stream poller in `npm start`. A batch that keeps failing goes to the on-failure queue (cloud).
 */
export interface StreamConsumerSpec {
  readonly table: TableName;
  readonly batchSize: number;
  /** How long the mapping gathers records before it invokes (the sequencer's merge delay). */
  readonly batchingWindowSeconds: number;
  /**
   * Batches of one shard in flight at once. 1 keeps a shard's records in order across batches;
   * the local stream poller runs one batch per shard at a time, as this says.
   */
  readonly parallelizationFactor: 1;
  /** Retries of a failing batch before it goes to the on-failure destination. */
  readonly maxRetries: number;
}

export interface FunctionSpec {
  readonly name: string;
  /** The entry module, relative to the repository root; it exports `handler`. */
  readonly entry: string;
  readonly description: string;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  readonly access: FunctionAccess;
  readonly routes: readonly RouteDefinition[];
  readonly schedule?: ScheduleSpec;
  readonly consumes?: QueueConsumerSpec;
  readonly streams?: StreamConsumerSpec;
}

const routesOf = (fn: string): readonly RouteDefinition[] => ROUTES.filter((r) => r.fn === fn);

const api = (name: string, description: string, access: FunctionAccess, memoryMb = 512): FunctionSpec => ({
  name,
  entry: `functions/${name}/handler.ts`,
  description,
  memoryMb,
  timeoutSeconds: 29,
  access,
  routes: routesOf(name),
});

export const FUNCTIONS: readonly FunctionSpec[] = [
  // `delete`: removing a member or a custom role deletes its item (inside the audited transaction).
  api('api-orgs', 'Organizations, members, roles and the caller themself', {
    records: 'delete',
    audit: 'append',
    fieldKey: 'generate',
    // DELETE /v1/orgs/{orgId} and DELETE /v1/me queue the erasure for the clean-up cycle.
    queues: { deletion: 'send' },
  }),
  // `delete`: deleting an orchestration sweeps its jobs with batched deletes. No KMS: definitions hold no sealed values.
  api('api-orchestrations', 'Orchestrations: business-process blueprints; deleting one erases its jobs', {
    records: 'delete',
    audit: 'append',
  }),
  // `delete`: jobs are erased for real. `decrypt` unwraps the organization's data key to seal and open fields.
  // `send` notices: rectifying, erasing or restricting a job tells the extensions that received it (Art. 19).
  api('api-jobs', 'Jobs: create, read, rectify, transition and erase the records that carry customer data', {
    records: 'delete',
    audit: 'append',
    fieldKey: 'decrypt',
    queues: { notices: 'send' },
  }),
  // Data subject rights. `delete` records: erasure deletes the subject's jobs (batched, inside
  // transactions that also move the orchestrations' job counts). `append`: every request is one
  // audit event. `decrypt`: unwrapping the organization's data key derives the blind index, opens
  // fields for the access report and re-seals the rectified email. `send` notices: the extensions
  // that received a changed job are told (Art. 19; their records are written first). No files or mail.
  api(
    'api-subjects',
    "Data subject rights: access reports, rectification, erasure and restriction of a person's jobs",
    {
      records: 'delete',
      audit: 'append',
      fieldKey: 'decrypt',
      queues: { notices: 'send' },
    },
  ),
  // `read` records: membership and role of the caller. `append`: reading the log is itself an
  // event. `verify`: GetPublicKey checks the digest signatures.
  api('api-audit', 'The audit log: list, export, verify the chain and its signed digests', {
    records: 'read',
    audit: 'append',
    auditSigningKey: 'verify',
  }),
  // Gives appended audit events their places in the chain, a batch at a time, from the audit
  // table's stream (docs/decisions/0011, 0018). `append`: Put the batch and the head. `send`
  // checkpoints: it asks for a checkpoint when the interval ends; audit-checkpoint signs it (no
  // KMS for the sequencer: one signing path keeps KMS to one Sign per organization per interval).
  {
    name: 'audit-sequencer',
    entry: 'functions/audit-sequencer/handler.ts',
    description: 'Chains appended audit events in batches and asks for a checkpoint when one is due',
    memoryMb: 512,
    timeoutSeconds: 60,
    access: { audit: 'append', queues: { checkpoints: 'send' } },
    routes: [],
    // The window is the sequencer's merge delay, part of the checkpoint's delivery margin.
    streams: {
      table: 'audit',
      batchSize: 1000,
      batchingWindowSeconds: SEQUENCER_BATCHING_WINDOW_SECONDS,
      parallelizationFactor: 1,
      maxRetries: 10,
    },
  },
  // Signs the checkpoint the sequencer asked for when an organization's interval ended, so a
  // quiet tail is signed within the interval (docs/decisions/0018). `append`: reads the head and
  // the last digest, Puts the claim and the digest; `consume-and-send` checkpoints: it asks again
  // for a tail the head left past what it signed (docs/decisions/0021).
  {
    name: 'audit-checkpoint',
    entry: 'functions/audit-checkpoint/handler.ts',
    description: 'Signs the audit checkpoint an organization asked for when its interval ended',
    memoryMb: 256,
    timeoutSeconds: CHECKPOINT_SIGNER_TIMEOUT_SECONDS,
    access: { audit: 'append', auditSigningKey: 'sign', queues: { checkpoints: 'consume-and-send' } },
    routes: [],
    consumes: { queue: 'checkpoints', batchSize: 10 },
  },
  // Reviews the organizations whose chain advanced, found through the sparse index of flagged
  // heads (a Query, no Scan): signs a chain's unsigned tail through the checkpoint claim, verifies
  // the log, and clears the flag by rewriting the head (Put only). `send` checkpoints: like a
  // request, it asks again for a tail the head left past what it signed (docs/decisions/0021).
  {
    name: 'audit-digest',
    entry: 'functions/audit-digest/handler.ts',
    description: 'Reviews every audit chain that advanced: signs its unsigned tail and verifies the log',
    memoryMb: 512,
    timeoutSeconds: 300,
    access: { audit: 'append', auditSigningKey: 'sign', queues: { checkpoints: 'send' } },
    routes: [],
    schedule: { contextKey: 'auditDigestScheduleMinutes', defaultMinutes: 60, localIntervalSeconds: 300 },
  },
  // The clean-up cycle: drains the deletion queue (consumes it itself, no event source mapping,
  // so one run works through many messages within its budget) and erases organizations for
  // real: batched deletes on both tables, the files under orgs/<id>/. 900 s is Lambda's maximum;
  // the messages it works on are held on the queue's 2-minute lease, renewed while it runs
  // (resources.ts), so a run that dies gives them back within minutes. `fieldKey` is not needed:
  // crypto-shredding removes the wrapped keys, it never unwraps them. The sweep of expired items
  // scans the records table (dynamodb:Scan, see DynamoExpiredItems).
  {
    name: 'cleanup',
    entry: 'functions/cleanup/handler.ts',
    description:
      'Clean-up cycle: erases organizations and accounts queued for deletion, and expired exports, backups and links',
    memoryMb: 1024,
    timeoutSeconds: 900,
    // `send` notices: extensions that received a job erased by retention are told (Art. 19).
    // `mail`: the deadline reminders of data subject requests go to staff.
    access: {
      records: 'delete',
      audit: 'delete',
      files: 'delete',
      queues: { deletion: 'consume', notices: 'send' },
      scans: ['records'],
      mail: true,
    },
    routes: [],
    schedule: { contextKey: 'cleanupScheduleMinutes', defaultMinutes: 60, localIntervalSeconds: 300 },
  },
  // `write` records: export/backup requests and their progress. `decrypt`: the single-job export
  // opens fields, and a backup's password is sealed with the organization's key for the worker.
  // `send` work: requests go to the portability worker. `read` files: presigned download URLs.
  api('api-portability', 'Data portability: job exports (CSV/XLSX) and organization backups', {
    records: 'write',
    audit: 'append',
    fieldKey: 'decrypt',
    queues: { work: 'send' },
    files: 'read',
  }),
  // The public download page: the tries counter (`write` records, conditional Update only), the
  // download audit events, and presigning the file (`read` files). No KMS, no queue, no mail.
  api(
    'download',
    'The emailed backup link: password page, tries counter, 303 to a short-lived S3 URL',
    {
      records: 'write',
      audit: 'append',
      files: 'read',
    },
    256,
  ),
  // One export or backup per invocation (batch size 1): streams query pages into CSV/XLSX or the
  // AES ZIP and a multipart upload, then emails the backup link. 900 s is Lambda's maximum; the
  // work queue's visibility timeout (5400 s) is 6× that, and the worker shortens it at once to
  // its renewed 2-minute lease (resources.ts). `audit: append` includes the Query that
  // reads the log into the backup.
  {
    name: 'portability-worker',
    entry: 'functions/portability-worker/handler.ts',
    description:
      'Builds exports, encrypted backups and data subject request reports into S3 and emails their links',
    memoryMb: 1024,
    timeoutSeconds: 900,
    access: {
      records: 'write',
      audit: 'append',
      fieldKey: 'decrypt',
      files: 'write',
      mail: true,
      queues: { work: 'consume' },
    },
    routes: [],
    consumes: { queue: 'work', batchSize: 1 },
  },
  // `write` records: consent, its history and the sealed token live on EXT# items; withdrawal
  // removes attributes with Update (no item is deleted, so no `delete`). `decrypt`: tokens are
  // sealed and opened, and shared fields opened, with the organization's data key. `internet`:
  // vendors' webhooks (HTTPS only, SSRF-guarded). No queue, files or mail.
  api(
    'api-extensions',
    'Marketplace extensions: consent, vendor tokens, withdrawal and sharing a job with a vendor',
    {
      records: 'write',
      audit: 'append',
      fieldKey: 'decrypt',
      internet: true,
    },
  ),
  // Art. 19 notices, one per message: `write` records (the notice's state; its share records are
  // read), `decrypt` (the consent's signing secret and the vendor token are opened with the
  // organization's data key), `consume` notices (the lease is the retry delay), `internet`:
  // vendors' webhooks, SSRF-guarded. 60 s: one delivery's bounded attempts (20 s) and the state.
  {
    name: 'recipient-notifier',
    entry: 'functions/recipient-notifier/handler.ts',
    description:
      'Delivers Art. 19 notices (rectified, erased, restricted) to the extensions that received the jobs, signed',
    memoryMb: 256,
    timeoutSeconds: 60,
    access: { records: 'write', fieldKey: 'decrypt', queues: { notices: 'consume' }, internet: true },
    routes: [],
    consumes: { queue: 'notices', batchSize: 1 },
  },
  // Art. 30 and 33. `read` records: orchestrations, consents, roles, and the jobs and export
  // records an incident's disclosures point at. `append`: both reads are audit events; it
  // includes the Query on the audit table's time index that reads an incident's window.
  api(
    'api-accountability',
    'Accountability: the record of processing activities (Art. 30) and the scope of an incident (Art. 33)',
    {
      records: 'read',
      audit: 'append',
    },
  ),
  // Data subject requests. `delete` records: requests, their intake counters and tries, and the
  // fulfilment of an erasure, which deletes the subject's jobs as api-subjects does (unverified
  // requests themselves expire through the clean-up cycle). `decrypt`: the organization's data
  // key seals the subject's email, keys its blind index and opens the jobs a fulfilment changes.
  // `mail`: the code, the extension and the rejection go to the subject.
  // `send` notices: a fulfilled rectification, erasure or restriction tells the recipients (Art. 19).
  // `send` work: fulfilling an access or portability request queues its report for the portability worker.
  api('api-requests', 'Data subject requests: public intake and verification, and the case staff work', {
    records: 'delete',
    audit: 'append',
    fieldKey: 'decrypt',
    queues: { notices: 'send', work: 'send' },
    mail: true,
  }),
  // The emailed link to the report of a data subject request: the page, its one-time codes (keyed
  // hashes: `decrypt` unwraps the index key; `mail` sends them), the counted tries (`write`), and the
  // 303 to a short-lived S3 URL (`read` files). A function of its own, so the S3 client stays out
  // of api-requests' cold start.
  api(
    'request-report',
    'The report link of a data subject request: code page, counted tries, 303 to a short-lived S3 URL',
    {
      records: 'write',
      audit: 'append',
      fieldKey: 'decrypt',
      files: 'read',
      mail: true,
    },
    256,
  ),
  api('openapi', 'Serves the OpenAPI document', {}, 256),
];

export function functionNamed(name: string): FunctionSpec {
  const spec = FUNCTIONS.find((f) => f.name === name);
  if (spec === undefined) throw new Error(`No function named ${name} in the manifest`);
  return spec;
}
