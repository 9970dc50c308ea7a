/**
 * The stateful resources, declared once: the CDK data stack and the local stack both create
 * them from these definitions, so key schemas, indexes, queues and buckets cannot drift apart.
 */
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
    // Events by organization and time (the attributes every event carries): the window of an incident scope.
    indexes: [{ name: 'byOrgTime', partitionKey: 'orgId', sortKey: 'at' }],
    ttlAttribute: 'expiresAt',
  },
} as const satisfies Record<string, TableDefinition>;

export interface QueueDefinition {
  readonly envVar: string;
  readonly localName: string;
  /** Seconds; at least 6× the consumer's timeout so an in-flight batch is never redelivered. */
  readonly visibilityTimeoutSeconds: number;
  /** Receives after which a message goes to the dead-letter queue. */
  readonly maxReceiveCount: number;
}

export const QUEUES = {
  /** Organizations and accounts waiting for the clean-up cycle. */
  deletion: { envVar: 'DELETION_QUEUE_URL', localName: 'custos-deletion', visibilityTimeoutSeconds: 5400, maxReceiveCount: 5 },
  /** Export and backup requests for the portability worker. */
  work: { envVar: 'WORK_QUEUE_URL', localName: 'custos-work', visibilityTimeoutSeconds: 5400, maxReceiveCount: 3 },
} as const satisfies Record<string, QueueDefinition>;

export const BUCKETS = {
  /** Exports and backups, under `orgs/<orgId>/`; objects expire after 7 days. */
  files: { envVar: 'FILES_BUCKET', localName: 'custos-files', expireAfterDays: 7 },
} as const;

export type TableName = keyof typeof TABLES;
export type QueueName = keyof typeof QUEUES;
