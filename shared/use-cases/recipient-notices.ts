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
 * docs/decisions/0014-art-19-recipients.md gives the reasons and the order of work at deletion.
 */
import { IntegrityError, NotFoundError } from '../domain/errors.ts';
import { newId } from '../domain/ids.ts';
import { OrgCrypto } from '../domain/org-crypto.ts';
import { WebhookTargetRefused } from '../domain/ssrf-guard.ts';
import { findExtension, webhookUrlFor, type ExtensionDefinition } from '../extensions/catalog.ts';
import { logger } from '../logger.ts';
import type { Clock } from '../ports/clock.ts';
import type { ExtensionStore } from '../ports/extensions.ts';
import type { Keys } from '../ports/keys.ts';
import type { NoticeEvent, NoticeQueue, RecipientNotice } from '../ports/notice-queue.ts';
import type { OrganizationStore } from '../ports/organizations.ts';
import { mayHaveReceived, type ShareStore } from '../ports/shares.ts';
import type { Webhooks } from '../ports/webhooks.ts';
import { EXTENSION_TOKEN_FIELD, EXTENSION_TOKEN_PURPOSE, openSigningSecret } from './extensions.ts';

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
 * Queues a notice to each extension that may hold data of the changed jobs. Called after the
 * change is committed; a failure to queue is logged, never undoes the change (its `pending`
 * records show what was not sent).
 */
export async function notifyRecipients(deps: RecipientDeps, change: JobsChange): Promise<void> {
  if (change.jobIds.length === 0) return;
  try {
    const { shares } = await deps.shares.ofJobs(change.orgId, change.jobIds);
    const byExtension = new Map<string, { jobIds: Set<string>; fields: Set<string>; webhookUrl: string }>();
    for (const share of shares.filter(mayHaveReceived)) {
      if (share.webhookUrl === undefined) continue;
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
    const at = deps.clock.now().toISOString();
    const notices: RecipientNotice[] = [];
    for (const [extensionId, entry] of byExtension) {
      const jobIds = [...entry.jobIds].sort();
      for (let start = 0; start < jobIds.length; start += JOBS_PER_NOTICE) {
        notices.push({
          noticeId: newId(),
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
    if (notices.length === 0) return;
    await deps.shares.recordNotices(notices);
    await deps.notices.send(notices);
  } catch (error) {
    logger.error('recipient notices not queued', {
      orgId: change.orgId,
      event: change.event,
      jobs: change.jobIds.length,
      error: error instanceof Error ? error.name : 'unknown',
    });
  }
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
  const crypto = new OrgCrypto(deps.keys, org.orgId, org.wrappedKeys);
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
