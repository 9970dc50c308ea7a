/**
 * The stateful resources, declared once: the CDK data stack and the local stack both create
 * them from these definitions, so key schemas, indexes, queues and buckets cannot drift apart.
 */
import { CHECKPOINT_QUEUE_VISIBILITY_SECONDS } from '../shared/domain/audit-checkpoint.ts';

export interface IndexDefinition {
  readonly name: string;
  readonly partitionKey: string;
  readonly sortKey: string;
}

export interface TableDefinition {
  /** Environment variable through which functions learn the table's name. */
  readonly envVar: string;
  readonly localName: string;
  readonly partitionKey: string;
  readonly sortKey: string;
  readonly indexes: readonly IndexDefinition[];
  readonly ttlAttribute?: string;
  /** A DynamoDB stream of new item images, for the functions that consume it (see the manifest). */
  readonly stream?: 'NEW_IMAGE';
}

export const TABLES = {
  records: {
    envVar: 'RECORDS_TABLE',
    localName: 'custos-records',
    partitionKey: 'pk',
    sortKey: 'sk',
    indexes: [
      { name: 'byUser', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
      { name: 'bySubject', partitionKey: 'gsi2pk', sortKey: 'gsi2sk' },
      { name: 'byOrchestration', partitionKey: 'gsi3pk', sortKey: 'gsi3sk' },
      // Retention candidates per orchestration, oldest first (records-keys.ts says which jobs).
      { name: 'byRetention', partitionKey: 'gsi4pk', sortKey: 'gsi4sk' },
    ],
    ttlAttribute: 'expiresAt',
  },
  audit: {
    envVar: 'AUDIT_TABLE',
    localName: 'custos-audit',
    partitionKey: 'pk',
    sortKey: 'sk',
    // Sparse: only chain heads the sequencer moved since the digest run last reviewed them
    // (shared/adapters/aws/audit-keys.ts). Events are keyed by time in the table itself, so a
    // time window (the incident scope) is a key range of the table and needs no index.
    indexes: [{ name: 'unreviewed', partitionKey: 'unreviewed', sortKey: 'pk' }],
    ttlAttribute: 'expiresAt',
    // Feeds the audit sequencer the events as they are appended (docs/decisions/0011).
    stream: 'NEW_IMAGE',
  },
} as const satisfies Record<string, TableDefinition>;

export interface QueueDefinition {
  readonly envVar: string;
  readonly localName: string;
  /**
   * Seconds a received message stays invisible before its consumer first extends it. For a queue
   * behind a Lambda event source, at least 6× the consumer's timeout (AWS's advice, so batches
   * retried under throttling are not redelivered); the consumer shortens it to the lease at once.
   */
  readonly visibilityTimeoutSeconds: number;
  /**
   * The consumer's lease, in seconds: while it works on a message it keeps the message invisible
   * for this long and renews it every third of it (ChangeMessageVisibility, a heartbeat). A
   * consumer that dies stops renewing, so its message is back within one lease, not one
   * visibility timeout. Functions read it from `leaseEnvVar`.
   */
  readonly leaseSeconds: number;
  readonly leaseEnvVar: string;
  /** Receives after which a message goes to the dead-letter queue. */
  readonly maxReceiveCount: number;
  /**
   * The local stack hands a failed message back after a few seconds (LOCAL_RETRY_DELAY_SECONDS in
   * infra/local/poller.ts) instead of the visibility timeout. `true` keeps the visibility timeout
   * locally too, for a consumer whose correctness depends on how late a retry comes.
   */
  readonly retriedAfterVisibilityLocally?: boolean;
}

/** About two minutes: a dead consumer's work resumes within minutes (issue 26). */
const LEASE_SECONDS = 120;

export const QUEUES = {
  /**
   * Organizations and accounts waiting for the clean-up cycle. The cycle receives them itself (no
   * event source), asking for the lease as the visibility of each receive.
   */
  deletion: {
    envVar: 'DELETION_QUEUE_URL',
    localName: 'custos-deletion',
    visibilityTimeoutSeconds: LEASE_SECONDS,
    leaseSeconds: LEASE_SECONDS,
    leaseEnvVar: 'DELETION_QUEUE_LEASE_SECONDS',
    maxReceiveCount: 5,
  },
  /** Export and backup requests for the portability worker (an event source: 6× its 900 s timeout). */
  work: {
    envVar: 'WORK_QUEUE_URL',
    localName: 'custos-work',
    visibilityTimeoutSeconds: 5400,
    leaseSeconds: LEASE_SECONDS,
    leaseEnvVar: 'WORK_QUEUE_LEASE_SECONDS',
    maxReceiveCount: 3,
  },
  /**
   * Art. 19 notices to the extensions that received a job's data (the recipient notifier, an
   * event source: 6× its 60 s timeout). The lease is the retry delay: a failed delivery is back
   * after one minute, and dead-lettered after 5 receives (docs/decisions/0014-art-19-recipients.md).
   */
  notices: {
    envVar: 'NOTICE_QUEUE_URL',
    localName: 'custos-notices',
    visibilityTimeoutSeconds: 360,
    leaseSeconds: 60,
    leaseEnvVar: 'NOTICE_QUEUE_LEASE_SECONDS',
    maxReceiveCount: 5,
  },
  /**
   * Delayed requests to sign an organization's audit checkpoint when its interval ends (the
   * sequencer sends them, DelaySeconds = the rest of the interval; docs/decisions/0018). The
   * consumer signs within seconds and holds no lease beyond one receive: 6× its 30 s timeout.
   */
  checkpoints: {
    envVar: 'AUDIT_CHECKPOINT_QUEUE_URL',
    localName: 'custos-audit-checkpoints',
    // Also bounds the signing interval (AUDIT_CHECKPOINT_SECONDS; docs/decisions/0021).
    visibilityTimeoutSeconds: CHECKPOINT_QUEUE_VISIBILITY_SECONDS,
    leaseSeconds: 30,
    leaseEnvVar: 'AUDIT_CHECKPOINT_QUEUE_LEASE_SECONDS',
    maxReceiveCount: 5,
    // A failed request must find its own claim lapsed when it comes back, or a Sign that keeps
    // failing loops without ever being dead-lettered (docs/decisions/0021): not sooner locally.
    retriedAfterVisibilityLocally: true,
  },
} as const satisfies Record<string, QueueDefinition>;

export const BUCKETS = {
  /** Exports and backups, under `orgs/<orgId>/`; objects expire after 7 days. */
  files: { envVar: 'FILES_BUCKET', localName: 'custos-files', expireAfterDays: 7 },
} as const;

export type TableName = keyof typeof TABLES;
export type QueueName = keyof typeof QUEUES;
