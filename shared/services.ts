/**
 * The composition root the functions share: adapters over clients created once per cold start.
 * Each factory builds its adapter on first call and keeps it, so a function reads only the
 * environment of what it uses (and so needs only the permissions of what it uses). Functions call
 * the factories they use when their module loads (`atColdStart`), so a missing variable fails the
 * init, not the first request. Functions import it as a namespace (`import * as services`) and
 * every factory is a pure top-level export, so the bundler leaves out the adapters and AWS
 * clients a function never calls.
 */
import { readFileSync } from 'node:fs';
import { env } from './config.ts';
import { loadedOnFirstUse } from './loaded-on-first-use.ts';
import { Cursors } from './domain/cursor.ts';
import { AuditedWriter } from './adapters/aws/audited-writer.ts';
import { dynamoDocumentClient } from './adapters/aws/clients.ts';
import { DynamoAccessReads } from './adapters/aws/dynamo-access-reads.ts';
import { DynamoAuditLog } from './adapters/aws/dynamo-audit-log.ts';
import { DynamoAuditSequencerStore } from './adapters/aws/dynamo-audit-sequencer.ts';
import { KmsDigestSigner } from './adapters/aws/kms-signer.ts';
import { DynamoJobs } from './adapters/aws/dynamo-jobs.ts';
import { DynamoOrchestrations } from './adapters/aws/dynamo-orchestrations.ts';
import { DynamoOrganizations } from './adapters/aws/dynamo-organizations.ts';
import { DynamoPortability } from './adapters/aws/dynamo-portability.ts';
import { DynamoRoles } from './adapters/aws/dynamo-roles.ts';
import { DynamoSubjectRequests } from './adapters/aws/dynamo-subject-requests.ts';
import { KmsKeys } from './adapters/aws/kms-keys.ts';
import { s3Origin } from './adapters/aws/s3-origin.ts';
import type { NoticeQueue } from './ports/notice-queue.ts';
import { DynamoCheckpointClaims } from './adapters/aws/dynamo-checkpoint-claims.ts';
import type { CheckpointQueue } from './ports/checkpoint-queue.ts';
import type { CheckpointClaims } from './ports/checkpoint-claims.ts';
import type { MessageLeases } from './ports/message-lease.ts';
import { DynamoExtensions } from './adapters/aws/dynamo-extensions.ts';
import { DynamoShares } from './adapters/aws/dynamo-shares.ts';
import { WebhookClient } from './adapters/http/webhook-client.ts';
import { CATALOG, type ExtensionDefinition } from './extensions/catalog.ts';
import { DynamoExpiredItems } from './adapters/aws/dynamo-expired-items.ts';
import { DynamoTenantSweeper } from './adapters/aws/dynamo-tenant-sweeper.ts';
import type { DeletionQueue } from './ports/deletion-queue.ts';
import type { ExtensionStore } from './ports/extensions.ts';
import type { ShareStore } from './ports/shares.ts';
import type { Webhooks } from './ports/webhooks.ts';
import type { AccountDeletionMarker, ExpiredItems, TenantSweeper } from './ports/tenant-sweeper.ts';
import type { AccessReads } from './ports/access-reads.ts';
import { JobOrchestrations } from './use-cases/job-orchestrations.ts';
import { RememberedInputs } from './use-cases/remembered-inputs.ts';
import type { AuditChainStore, AuditLog, AuditSequencerStore, DigestSigner } from './ports/audit.ts';
import { domainClock, type Clock } from './ports/clock.ts';
import type { JobStore } from './ports/jobs.ts';
import type { Keys } from './ports/keys.ts';
import type { OrchestrationStore } from './ports/orchestrations.ts';
import type { OrganizationStore } from './ports/organizations.ts';
import type { PortabilityStore } from './ports/portability.ts';
import type { RoleStore } from './ports/roles.ts';
import type { SubjectRequestStore } from './ports/subject-requests.ts';
import type { WorkQueue } from './ports/work-queue.ts';
import type { SecurityEvent } from './http/api-handler.ts';

function lazy<T>(make: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= make());
}

/**
 * Every SQS adapter, and `@aws-sdk/client-sqs` under it, is loaded by `import()` on its first
 * call: the API functions queue a message rarely (an Art. 19 notice after a commit, an export or
 * backup request, a deletion), so their cold start does not read the SQS client. This module
 * imports no SQS adapter statically, because the bundler puts into the cold start every module a
 * statically imported one reaches. The queue URLs are still read at cold start, by the factories,
 * like every other variable.
 */
const sqsAdapters = () => import('./adapters/aws/sqs-adapters.ts');

/**
 * Builds a function's dependencies now, while its module loads (the cold start), and answers them
 * on every call after: a missing or malformed variable fails the init with the ConfigError that
 * names it, as the Lambda runtime reports a failed init, instead of a 500 on the first request.
 */
export function atColdStart<T>(build: () => T): () => T {
  const built = build();
  return () => built;
}

export const clock = (): Clock => domainClock;
export const writer = /* @__PURE__ */ lazy(
  () =>
    new AuditedWriter(dynamoDocumentClient(), env.auditTable(), domainClock, {
      retentionDays: env.auditRetentionDays(),
    }),
);
/** The audit log read and maintained (query, chain walks, digests, erasure). */
export const auditLog: () => AuditLog & AuditChainStore = /* @__PURE__ */ lazy(
  () => new DynamoAuditLog(dynamoDocumentClient(), env.auditTable(), writer()),
);
export const digestSigner: () => DigestSigner = /* @__PURE__ */ lazy(
  () => new KmsDigestSigner(env.auditSigningKeyId()),
);
export const auditRetentionDays = /* @__PURE__ */ lazy(() => env.auditRetentionDays());
/** The audit sequencer's view of the table (docs/decisions/0011). */
export const auditSequencerStore: () => AuditSequencerStore = /* @__PURE__ */ lazy(
  () => new DynamoAuditSequencerStore(dynamoDocumentClient(), env.auditTable()),
);
export const auditCheckpointSeconds = /* @__PURE__ */ lazy(() => env.auditCheckpointSeconds());
/** The claim taken before a checkpoint is signed (docs/decisions/0021). */
export const checkpointClaims: () => CheckpointClaims = /* @__PURE__ */ lazy(
  () => new DynamoCheckpointClaims(dynamoDocumentClient(), env.auditTable()),
);
/** Delayed checkpoint requests: the sequencer asks, the audit-checkpoint function signs. */
export const checkpointQueue: () => CheckpointQueue = /* @__PURE__ */ lazy(() => {
  const url = env.auditCheckpointQueueUrl();
  const queue = loadedOnFirstUse(async () => {
    const { SqsCheckpointQueue, sqs } = await sqsAdapters();
    return new SqsCheckpointQueue(sqs(), url);
  });
  return { schedule: async (orgId, delaySeconds) => (await queue.get()).schedule(orgId, delaySeconds) };
});
export const orgs: () => OrganizationStore = /* @__PURE__ */ lazy(
  () => new DynamoOrganizations(dynamoDocumentClient(), env.recordsTable(), writer()),
);
export const roles: () => RoleStore = /* @__PURE__ */ lazy(
  () => new DynamoRoles(dynamoDocumentClient(), env.recordsTable(), writer()),
);
export const orchestrations: () => OrchestrationStore = /* @__PURE__ */ lazy(
  () => new DynamoOrchestrations(dynamoDocumentClient(), env.recordsTable(), writer()),
);
export const subjectRequests: () => SubjectRequestStore = /* @__PURE__ */ lazy(
  () => new DynamoSubjectRequests(dynamoDocumentClient(), env.recordsTable(), writer()),
);
export const jobs: () => JobStore = /* @__PURE__ */ lazy(
  () => new DynamoJobs(dynamoDocumentClient(), env.recordsTable(), writer()),
);
export const accessReads: () => AccessReads = /* @__PURE__ */ lazy(
  () => new DynamoAccessReads(dynamoDocumentClient(), env.recordsTable()),
);
/** Which orchestration each job belongs to, as far as this warm instance has seen. */
export const jobOrchestrations = /* @__PURE__ */ lazy(() => new JobOrchestrations());
/** The inputs of this warm instance's job-list decisions, re-proved unchanged by each list that uses them. */
export const rememberedInputs = /* @__PURE__ */ lazy(() => new RememberedInputs());
export const keys: () => Keys = /* @__PURE__ */ lazy(() => new KmsKeys());
/** Seals and opens the cursors of every list the API pages. */
export const cursors = /* @__PURE__ */ lazy(() => new Cursors(env.cursorSecret()));
export const portability: () => PortabilityStore = /* @__PURE__ */ lazy(
  () => new DynamoPortability(dynamoDocumentClient(), env.recordsTable(), env.auditTable(), writer()),
);
export const workQueue: () => WorkQueue = /* @__PURE__ */ lazy(() => {
  const url = env.workQueueUrl();
  const queue = loadedOnFirstUse(async () => {
    const { SqsWorkQueue, sqs } = await sqsAdapters();
    return new SqsWorkQueue(sqs(), url);
  });
  return { send: async (message) => (await queue.get()).send(message) };
});
/** A consumer's renewed hold on the messages of one queue. */
const leasesOn = (url: string, leaseSeconds: number): MessageLeases => {
  const leases = loadedOnFirstUse(async () => {
    const { SqsMessageLeases, sqs } = await sqsAdapters();
    return new SqsMessageLeases(sqs(), url, leaseSeconds);
  });
  return { hold: async (receipt, onRenewed) => (await leases.get()).hold(receipt, onRenewed) };
};
/** The portability worker's hold on the work message it is running (a renewed short lease). */
export const workLeases: () => MessageLeases = /* @__PURE__ */ lazy(() =>
  leasesOn(env.workQueueUrl(), env.workQueueLeaseSeconds()),
);
/** Art. 19 notices to recipients, and the notifier's hold on the one it is delivering. */
export const noticeQueue: () => NoticeQueue = /* @__PURE__ */ lazy(() => {
  const url = env.noticeQueueUrl();
  const queue = loadedOnFirstUse(async () => {
    const { SqsNoticeQueue, sqs } = await sqsAdapters();
    return new SqsNoticeQueue(sqs(), url);
  });
  return { send: async (notices) => (await queue.get()).send(notices) };
});
export const noticeLeases: () => MessageLeases = /* @__PURE__ */ lazy(() =>
  leasesOn(env.noticeQueueUrl(), env.noticeQueueLeaseSeconds()),
);
export const publicBaseUrl = /* @__PURE__ */ lazy(() => env.publicBaseUrl());
/** Where the files bucket's presigned URLs point, for the link pages' CSP: derived, no S3 client. */
export const filesOrigin = /* @__PURE__ */ lazy(() => s3Origin(env.filesBucket()));
export const deletionQueueLeaseSeconds = /* @__PURE__ */ lazy(() => env.deletionQueueLeaseSeconds());
/** The deletion queue; the API only sends to it, the clean-up cycle receives, holds and acknowledges. */
export const deletionQueue: () => DeletionQueue = /* @__PURE__ */ lazy(() => {
  const url = env.deletionQueueUrl();
  const queue = loadedOnFirstUse(async () => {
    const { SqsDeletionQueue, sqs } = await sqsAdapters();
    return new SqsDeletionQueue(sqs(), url, deletionQueueLeaseSeconds);
  });
  return {
    send: async (request) => (await queue.get()).send(request),
    receive: async (max, waitSeconds) => (await queue.get()).receive(max, waitSeconds),
    acknowledge: async (receipt) => (await queue.get()).acknowledge(receipt),
    // Nothing is held before the first receive, which loads the adapter.
    releaseHeld: () => queue.loaded?.releaseHeld(),
  };
});
/** The clean-up cycle's storage; the API only uses it to mark an account for erasure. */
export const tenantSweeper: () => TenantSweeper & AccountDeletionMarker = /* @__PURE__ */ lazy(
  () => new DynamoTenantSweeper(dynamoDocumentClient(), env.recordsTable(), env.auditTable()),
);
export const expiredItems: () => ExpiredItems = /* @__PURE__ */ lazy(
  () => new DynamoExpiredItems(dynamoDocumentClient(), env.recordsTable()),
);
export const extensions: () => ExtensionStore = /* @__PURE__ */ lazy(
  () => new DynamoExtensions(dynamoDocumentClient(), env.recordsTable(), writer()),
);
/** Who received which job's data (Art. 19). */
export const shares: () => ShareStore = /* @__PURE__ */ lazy(
  () => new DynamoShares(dynamoDocumentClient(), env.recordsTable(), writer()),
);
export const extensionCatalog = (): readonly ExtensionDefinition[] => CATALOG;
export const webhooks: () => Webhooks = /* @__PURE__ */ lazy(() => {
  const caFile = env.webhookCaFile();
  return new WebhookClient({
    allowedPrivateHosts: env.allowedPrivateWebhookHosts(),
    ...(caFile === undefined ? {} : { extraCaPem: readFileSync(caFile, 'utf8') }),
  });
});

/** What every use case over jobs needs: the caller's scope, the records, the keys, the clock, the audit log. */
export const jobDeps = () => ({
  access: accessReads(),
  jobOrchestrations: jobOrchestrations(),
  orgs: orgs(),
  orchestrations: orchestrations(),
  jobs: jobs(),
  keys: keys(),
  clock: clock(),
  audit: writer(),
});

/**
 * What the export and backup requests need, but the file store: the API function adds the one
 * loaded on first use (files-on-first-use.ts), which this module must not import.
 */
export const exportDeps = () => ({
  ...jobDeps(),
  portability: portability(),
  queue: workQueue(),
});
/**
 * What building a backup needs besides: the roles and requests it holds. The worker adds the file
 * store and the mailer of the link from their own modules (files-at-cold-start.ts,
 * mailer-on-first-use.ts), which this module must not import.
 */
export const backupDeps = () => ({
  ...exportDeps(),
  roles: roles(),
  requests: subjectRequests(),
  publicBaseUrl: publicBaseUrl(),
});

/**
 * 403s are security events of the organization's audit log (the caller is a member, so the
 * organization is theirs to be audited in). 401s have no trustworthy organization: an anonymous
 * caller could otherwise flood any tenant's log; they go to the structured log only.
 */
export async function recordSecurityEvent(event: SecurityEvent): Promise<void> {
  if (event.status !== 403 || event.orgId === undefined || event.ctx.principal === undefined) return;
  await writer().append(
    {
      orgId: event.orgId,
      action: 'security.denied',
      resource: { type: 'route', id: event.routeKey },
      outcome: 'denied',
    },
    {
      userId: event.ctx.principal.userId,
      email: event.ctx.principal.email,
      sourceIp: event.ctx.sourceIp,
      userAgent: event.ctx.userAgent,
      requestId: event.ctx.requestId,
    },
  );
}
