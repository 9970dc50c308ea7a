/**
 * Art. 19: when a job's data is rectified, erased or restricted, every extension that may hold it
 * (a share that was not refused before sending, ports/shares.ts) is told — through the notice
 * queue, one notice per (change, extension), naming the jobs and the field ids concerned, never a
 * value. The recipient notifier (functions/recipient-notifier) delivers them, signed, through the
 * same webhook client and address guard as shares.
 *
 * A withdrawn consent stops new shares, not these notices: the obligation is about data already
 * disclosed. So a notice goes to where the data went (the share record's URL), signed with the
 * last consent's secret, which withdrawal keeps; the vendor token goes along only while stored.
 * docs/decisions/0014-art-19-recipients.md gives the reasons; 0020 the outbox that makes a
 * change's notices as durable as the change, and the notices at organization deletion.
 */
import { IntegrityError, NotFoundError } from '../domain/errors.ts';
import { newId } from '../domain/ids.ts';
import { WebhookTargetRefused } from '../domain/ssrf-guard.ts';
import { findExtension, webhookUrlFor, type ExtensionDefinition } from '../extensions/catalog.ts';
import { logger } from '../logger.ts';
import { sha256Hex } from '../domain/sha256.ts';
import type { Clock } from '../ports/clock.ts';
import type { ExtensionStore } from '../ports/extensions.ts';
import type { Keys } from '../ports/keys.ts';
import type { NoticeBatch, NoticeEvent, NoticeQueue, RecipientNotice } from '../ports/notice-queue.ts';
import type { OrganizationRecord, OrganizationStore } from '../ports/organizations.ts';
import { mayHaveReceived, type ShareRecord, type ShareStore } from '../ports/shares.ts';
import type { Budget, DeletionProgress } from '../ports/tenant-sweeper.ts';
import type { Webhooks } from '../ports/webhooks.ts';
import { EXTENSION_TOKEN_FIELD, EXTENSION_TOKEN_PURPOSE, openSigningSecret } from './extensions.ts';
import { cryptoOf } from './org-access.ts';

/** A notice names at most this many jobs (an SQS message stays far below its 256 KB). */
const JOBS_PER_NOTICE = 100;

export interface RecipientDeps {
  readonly shares: ShareStore;
  readonly notices: NoticeQueue;
  readonly clock: Clock;
}

export interface JobsChange {
  readonly event: NoticeEvent;
  readonly orgId: string;
  readonly jobIds: readonly string[];
  /** The field ids changed (rectification); absent: every field the extension received is concerned. */
  readonly fields?: readonly string[];
}

/**
 * Plans the notices of a change, before it commits: they go into its transaction as an outbox
 * entry (NoticeBatch), so a crash after the commit cannot lose them (docs/decisions/0020).
 * The organization's marker (`firstShareAt`, on the item every decision reads already) says
 * whether any job was ever offered to an extension: an organization that never shared pays no call here. Otherwise one batched read tells which of
 * the changed jobs were ever shared, and only those jobs' share records are queried.
 */
export async function planNotices(
  deps: Pick<RecipientDeps, 'shares' | 'clock'>,
  org: Pick<OrganizationRecord, 'firstShareAt'>,
  change: JobsChange,
): Promise<NoticeBatch | undefined> {
  if (org.firstShareAt === undefined || change.jobIds.length === 0) return undefined;
  const shared = await deps.shares.sharedAmong(change.orgId, change.jobIds);
  if (shared.length === 0) return undefined;
  const { shares } = await deps.shares.ofJobs(change.orgId, shared);
  const at = deps.clock.now().toISOString();
  const notices = noticesOf(shares, change, at, newId);
  return notices.length === 0 ? undefined : { batchId: newId(), orgId: change.orgId, at, notices };
}

/**
 * One notice per extension that may hold data of the changed jobs (per JOBS_PER_NOTICE jobs),
 * naming the fields concerned among those it received. `noticeId` mints each notice's id.
 */
export function noticesOf(
  shares: readonly ShareRecord[],
  change: JobsChange,
  at: string,
  noticeId: (extensionId: string, part: number) => string,
): RecipientNotice[] {
  const changed = new Set(change.jobIds);
  const byExtension = new Map<string, { jobIds: Set<string>; fields: Set<string>; webhookUrl: string }>();
  for (const share of shares.filter(mayHaveReceived)) {
    if (share.webhookUrl === undefined || !changed.has(share.jobId)) continue;
    const concerned =
      change.fields === undefined ? share.fields : share.fields.filter((f) => change.fields!.includes(f));
    if (concerned.length === 0) continue;
    const entry = byExtension.get(share.extensionId) ?? {
      jobIds: new Set<string>(),
      fields: new Set<string>(),
      webhookUrl: share.webhookUrl,
    };
    entry.jobIds.add(share.jobId);
    for (const field of concerned) entry.fields.add(field);
    // The newest share's address (records come oldest first).
    entry.webhookUrl = share.webhookUrl;
    byExtension.set(share.extensionId, entry);
  }
  const notices: RecipientNotice[] = [];
  for (const [extensionId, entry] of byExtension) {
    const jobIds = [...entry.jobIds].sort();
    for (let start = 0; start < jobIds.length; start += JOBS_PER_NOTICE) {
      notices.push({
        noticeId: noticeId(extensionId, start / JOBS_PER_NOTICE),
        extensionId,
        event: change.event,
        orgId: change.orgId,
        jobIds: jobIds.slice(start, start + JOBS_PER_NOTICE),
        fields: [...entry.fields].sort(),
        at,
        webhookUrl: entry.webhookUrl,
      });
    }
  }
  return notices;
}

/** Records the notices as `pending` (what the listings show), queues them, then clears the outbox entry. */
async function queueBatch(deps: RecipientDeps, batch: NoticeBatch): Promise<void> {
  await deps.shares.recordNotices(batch.notices);
  await deps.notices.send(batch.notices);
  await deps.shares.clearBatch(batch);
}

/**
 * After the change committed: queues its planned notices. A failure is logged and never undoes
 * the change: the outbox entry stays, and the clean-up cycle queues it (queueLeftNotices).
 */
export async function dispatchNotices(deps: RecipientDeps, batch: NoticeBatch | undefined): Promise<void> {
  if (batch === undefined) return;
  try {
    await queueBatch(deps, batch);
  } catch (error) {
    logger.error('recipient notices not queued; the clean-up cycle queues them from the outbox', {
      // Hashed, as the organization's deletion logs name it.
      orgIdHash: sha256Hex(batch.orgId),
      notices: batch.notices.length,
      error: error instanceof Error ? error.name : 'unknown',
    });
  }
}

/**
 * The cycle takes outbox entries older than this: the change's own process queues its entry within
 * moments, and two processes queuing one entry would send its notices twice to SQS (the notifier
 * delivers each once when one was delivered already: recording a notice never resets `delivered`).
 */
export const OUTBOX_GRACE_SECONDS = 120;
const OUTBOX_PAGE = 25;

/**
 * The clean-up cycle's part: queues the notices of changes that committed but were never queued
 * (the process died after the commit, or SQS failed). An entry of an organization that is gone or
 * crypto-shredded is dropped: its erasure notified every recipient, and its partition must not be
 * written again.
 */
export async function queueLeftNotices(
  deps: RecipientDeps & { readonly orgs: Pick<OrganizationStore, 'get'> },
  budget: Budget,
): Promise<{ queued: number; dropped: number }> {
  const report = { queued: 0, dropped: 0 };
  const before = new Date(deps.clock.now().getTime() - OUTBOX_GRACE_SECONDS * 1000).toISOString();
  for (;;) {
    const left = await deps.shares.batchesBefore(before, OUTBOX_PAGE);
    for (const batch of left) {
      if (!budget.remaining()) return report;
      const org = await deps.orgs.get(batch.orgId);
      if (org === undefined || org.wrappedKeys.length === 0) {
        await deps.shares.clearBatch(batch);
        report.dropped += 1;
        continue;
      }
      await queueBatch(deps, batch);
      report.queued += 1;
    }
    if (left.length < OUTBOX_PAGE || !budget.remaining()) return report;
  }
}

/**
 * How long an organization's erasure waits for its erasure notices: the notice queue's retries
 * (5 receives, 60 s apart) and a margin. A vendor that never answers delays the erasure by this
 * at most; its notice ends in the dead-letter queue, which alarms.
 */
export const ERASURE_NOTICE_WAIT_SECONDS = 15 * 60;

/**
 * Organization deletion (Art. 19), while its keys and share records still exist: one `job.erased`
 * notice per extension (per JOBS_PER_NOTICE jobs) for every job it may hold, queued once
 * (`progress.counts.notices` says they were), and whether the erasure may go on — every notice
 * delivered, or the wait since the erasure started is over.
 */
export async function tellRecipientsOfErasure(
  deps: RecipientDeps,
  orgId: string,
  progress: Pick<DeletionProgress, 'counts' | 'startedAt'>,
): Promise<{ queued: number; settled: boolean }> {
  const shares: ShareRecord[] = [];
  for await (const page of deps.shares.sharesOfOrg(orgId)) shares.push(...page);
  const notices = noticesOf(
    shares,
    { event: 'job.erased', orgId, jobIds: shares.map((share) => share.jobId) },
    progress.startedAt,
    // The same ids on every run: a resumed erasure names the same notices, which the notifier sends once.
    (extensionId, part) => `org-erasure-${orgId}-${extensionId}-${part}`,
  );
  let queued = 0;
  if (notices.length > 0 && progress.counts.notices === undefined) {
    await deps.shares.recordNotices(notices);
    await deps.notices.send(notices);
    queued = notices.length;
  }
  const states = await Promise.all(notices.map((notice) => deps.shares.noticeState(notice)));
  const waited = deps.clock.now().getTime() - Date.parse(progress.startedAt);
  return {
    queued,
    settled: states.every((state) => state === 'delivered') || waited >= ERASURE_NOTICE_WAIT_SECONDS * 1000,
  };
}

export interface NoticeDeliveryDeps {
  readonly orgs: OrganizationStore;
  readonly extensions: ExtensionStore;
  readonly shares: ShareStore;
  readonly keys: Keys;
  readonly clock: Clock;
  readonly webhooks: Webhooks;
  readonly catalog: readonly ExtensionDefinition[];
}

/** What the vendor receives: no personal value, only what changed about which jobs. */
export interface NoticePayload {
  readonly event: NoticeEvent;
  readonly deliveryId: string;
  readonly extensionId: string;
  readonly orgId: string;
  readonly jobIds: readonly string[];
  readonly fields: readonly string[];
  readonly at: string;
}

/** A notice the vendor did not accept this time; the queue retries it, then dead-letters it. */
export class NoticeUndelivered extends Error {
  override readonly name = 'NoticeUndelivered';
}

/**
 * Delivers one notice, once: a notice already `delivered` (a redelivered message) is not sent
 * again. Throws NoticeUndelivered when the vendor did not accept it (the state says `failed`
 * until a retry succeeds). A target the address guard refuses is final: recorded `failed`, not retried.
 */
export async function deliverNotice(
  deps: NoticeDeliveryDeps,
  notice: RecipientNotice,
): Promise<'delivered' | 'already-delivered' | 'refused'> {
  if ((await deps.shares.noticeState(notice)) === 'delivered') return 'already-delivered';
  const org = await deps.orgs.get(notice.orgId);
  if (org === undefined) throw new NotFoundError('organization');
  const extension = findExtension(deps.catalog, notice.extensionId);
  const connection = await deps.extensions.get(notice.orgId, notice.extensionId);
  const url = extension === undefined ? undefined : webhookUrlFor(extension, notice.webhookUrl);
  if (url === undefined || connection?.sealedSigningSecret === undefined)
    throw new IntegrityError('The notice has no signed address to go to');
  const crypto = cryptoOf(deps, { org });
  const [signingSecret, bearerToken] = await Promise.all([
    openSigningSecret(crypto, notice.extensionId, connection.sealedSigningSecret),
    connection.sealedToken === undefined
      ? undefined
      : crypto.open(
          notice.extensionId,
          EXTENSION_TOKEN_FIELD,
          connection.sealedToken,
          EXTENSION_TOKEN_PURPOSE,
        ),
  ]);
  const payload: NoticePayload = {
    event: notice.event,
    deliveryId: notice.noticeId,
    extensionId: notice.extensionId,
    orgId: notice.orgId,
    jobIds: notice.jobIds,
    fields: notice.fields,
    at: notice.at,
  };
  const settle = (state: 'delivered' | 'failed') =>
    deps.shares.settleNotice(notice, state, deps.clock.now().toISOString());
  let status: number;
  try {
    ({ status } = await deps.webhooks.deliver({
      url,
      signingSecret,
      payload,
      deliveryId: notice.noticeId,
      ...(bearerToken === undefined ? {} : { bearerToken }),
    }));
  } catch (error) {
    if (error instanceof WebhookTargetRefused) {
      await settle('failed');
      return 'refused';
    }
    await settle('failed');
    throw new NoticeUndelivered(
      `The vendor could not be reached (${error instanceof Error ? error.name : 'unknown'})`,
    );
  }
  if (status >= 200 && status < 300) {
    await settle('delivered');
    return 'delivered';
  }
  await settle('failed');
  throw new NoticeUndelivered(`The vendor answered ${status}`);
}
