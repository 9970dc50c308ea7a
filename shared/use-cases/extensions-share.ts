/**
 * Sharing a job with an extension: only fields a current consent covers, and of those only the
 * ones the caller may read, are opened and sent to the vendor's webhook, signed with the consent's
 * secret (`Custos-Signature`) and with the vendor's token as bearer. A restricted job is refused
 * (409 `/restricted`) by the same guard every processing path uses; without a consent covering the
 * job's fields the answer is 409 `/consent-required` and nothing leaves.
 *
 * Every attempt leaves a share record (ports/shares.ts) whose audit event tells what happened:
 * `success` only when the vendor accepted the data, `denied` when nothing was sent (consent,
 * restriction, token, the address guard), `failure` when the vendor never accepted it. Before
 * anything is sent a `pending` record is written, so a disclosure is on record (and its recipient
 * is notified of later changes) even if the outcome cannot be written afterwards; the outcome and
 * its event then land together (docs/decisions/0014-art-19-recipients.md).
 */
import { ConflictError, ConsentRequiredError, ForbiddenError, UnavailableError } from '../domain/errors.ts';
import { newId } from '../domain/ids.ts';
import type { FieldMask } from '../domain/authorization.ts';
import type { FieldDefinition, FieldValue, Job } from '../domain/orchestration.ts';
import type { RequestContext } from '../domain/principal.ts';
import { parseWebhookUrl, WebhookTargetRefused } from '../domain/ssrf-guard.ts';
import { webhookUrlFor, type ExtensionDefinition } from '../extensions/catalog.ts';
import { logger } from '../logger.ts';
import type { Consent, ExtensionConnection } from '../ports/extensions.ts';
import type { JobStore } from '../ports/jobs.ts';
import type { OrchestrationRecord } from '../ports/orchestrations.ts';
import type { ShareRecord, ShareStore } from '../ports/shares.ts';
import { WebhookUnreachable, type Webhooks } from '../ports/webhooks.ts';
import { openValues } from './job-fields.ts';
import { assertProcessable } from './jobs.ts';
import { auditEntry, cryptoOf } from './org-access.ts';
import { authorizedJob } from './job-access.ts';
import {
  EXTENSION_TOKEN_FIELD,
  EXTENSION_TOKEN_PURPOSE,
  extensionOf,
  openSigningSecret,
  type ExtensionDeps,
} from './extensions.ts';

export interface ShareDeps extends ExtensionDeps {
  readonly jobs: JobStore;
  readonly webhooks: Webhooks;
  readonly shares: ShareStore;
}

export interface ShareResult {
  /** The field ids sent, sorted. */
  readonly shared: readonly string[];
  /** The vendor's final HTTP status (2xx: accepted; a 3xx is final, redirects are not followed). */
  readonly vendorStatus: number;
}

const refused = (error: WebhookTargetRefused): ConflictError =>
  new ConflictError(`The extension's webhook address is not allowed: ${error.reason}`, 'webhook-refused');

/** Seconds a caller should wait before retrying a share whose vendor could not be reached. */
const UNREACHABLE_RETRY_AFTER_SECONDS = 60;

const isAccepted = (status: number): boolean => status >= 200 && status < 300;

export async function shareJob(
  deps: ShareDeps,
  ctx: RequestContext,
  orgId: string,
  jobId: string,
  extensionId: string,
): Promise<ShareResult> {
  // Load and authorize as every job path does: 404 for what the caller cannot see, 403 without extensions.manage.
  const { scope, job, orchestration, mask } = await authorizedJob(deps, ctx, orgId, jobId, 'jobs.share');
  const extension = extensionOf(deps, extensionId);
  const connection = await deps.extensions.get(orgId, extensionId);
  const base = { shareId: newId(), orgId, jobId, extensionId, at: deps.clock.now().toISOString() };
  const settle = (record: ShareRecord): Promise<void> =>
    deps.shares.settle(
      record,
      auditEntry(
        ctx,
        {
          orgId,
          action: 'job.share',
          resource: { type: 'job', id: jobId },
          changes: { fields: record.fields },
          detail: {
            extensionId,
            vendor: extension.vendor,
            deliveryId: record.shareId,
            result: record.outcome,
            ...(record.consentVersion === undefined ? {} : { consentVersion: record.consentVersion }),
            ...(record.reason === undefined ? {} : { reason: record.reason }),
            ...(record.vendorStatus === undefined ? {} : { vendorStatus: record.vendorStatus }),
          },
        },
        record.outcome === 'delivered' ? 'success' : record.outcome === 'refused' ? 'denied' : 'failure',
      ),
    );

  // Refusals are recorded as such (nothing was sent), then answered.
  let checked: CheckedShare;
  try {
    assertProcessable(job, 'job.share', scope.actor);
    checked = checkShare(connection, orchestration, extension, mask, job.fields);
  } catch (error) {
    const consentVersion = connection?.consent?.version;
    if (error instanceof ConflictError)
      await settle({
        ...base,
        fields: [],
        outcome: 'refused',
        reason: error.type,
        ...(consentVersion === undefined ? {} : { consentVersion }),
      });
    throw error;
  }
  const { consent, withValues, url, sealedToken, sealedSigningSecret } = checked;

  // Only the shared fields are opened: the mask handed to openValues names nothing else.
  const crypto = cryptoOf(deps, scope);
  const shareMask = Object.fromEntries(withValues.map((f) => [f.id, 'read' as const]));
  const { fields } = await openValues(crypto, jobId, orchestration, job.fields, shareMask);
  const [token, signingSecret] = await Promise.all([
    crypto.open(extensionId, EXTENSION_TOKEN_FIELD, sealedToken, EXTENSION_TOKEN_PURPOSE),
    openSigningSecret(crypto, extensionId, sealedSigningSecret),
  ]);
  const shared = Object.keys(fields).sort();
  const pending: ShareRecord = {
    ...base,
    fields: shared,
    outcome: 'pending',
    consentVersion: consent.version,
    webhookUrl: url,
  };
  await deps.shares.begin(pending);

  const payload: SharePayload = {
    event: 'job.shared',
    deliveryId: base.shareId,
    extensionId,
    orgId,
    jobId,
    orchestrationId: orchestration.orchestrationId,
    consentVersion: consent.version,
    at: base.at,
    sharedAt: base.at,
    fields,
  };
  const deliveryId = base.shareId;
  try {
    const result = await deps.webhooks.deliver({
      url,
      bearerToken: token,
      signingSecret,
      payload,
      deliveryId,
    });
    logger.info('share delivered', {
      orgId,
      extensionId,
      deliveryId,
      vendorStatus: result.status,
      attempts: result.attempts,
    });
    await settle({
      ...pending,
      outcome: isAccepted(result.status) ? 'delivered' : 'failed',
      vendorStatus: result.status,
    });
    return { shared, vendorStatus: result.status };
  } catch (error) {
    if (error instanceof WebhookTargetRefused) {
      logger.warn('share refused by the webhook guard', { orgId, extensionId, deliveryId });
      await settle({ ...pending, outcome: 'refused', reason: 'webhook-refused' });
      throw refused(error);
    }
    if (error instanceof WebhookUnreachable) {
      logger.warn('share undelivered', {
        orgId,
        extensionId,
        deliveryId,
        attempts: error.attempts,
        failure: error.lastFailure,
      });
      await settle({ ...pending, outcome: 'failed', reason: error.lastFailure });
      throw new UnavailableError(UNREACHABLE_RETRY_AFTER_SECONDS, false);
    }
    throw error;
  }
}

interface CheckedShare {
  readonly consent: Consent;
  readonly withValues: readonly FieldDefinition[];
  readonly url: string;
  readonly sealedToken: string;
  readonly sealedSigningSecret: string;
}

/** What may be shared, or the 409 (or 403) that says why nothing may. */
function checkShare(
  connection: ExtensionConnection | undefined,
  orchestration: OrchestrationRecord,
  extension: ExtensionDefinition,
  mask: FieldMask,
  values: Job['fields'],
): CheckedShare {
  const consent = connection?.consent;
  if (consent === undefined)
    throw new ConsentRequiredError('No current consent to share with this extension');
  const consented = new Set(
    consent.fields.filter((f) => f.orchestrationId === orchestration.orchestrationId).map((f) => f.fieldId),
  );
  // Consented, still within the extension's categories (a field's type may have changed since), and readable by the caller.
  const covered = orchestration.fields.filter(
    (f) => consented.has(f.id) && extension.dataCategories.includes(f.type),
  );
  if (covered.length === 0) throw new ConsentRequiredError("No current consent covers this job's fields");
  const readable = covered.filter((f) => (mask[f.id] ?? 'hidden') !== 'hidden');
  if (readable.length === 0)
    throw new ForbiddenError('You may not read any of the consented fields of this job');
  const withValues = readable.filter((f) => values[f.id] !== undefined);
  if (withValues.length === 0)
    throw new ConflictError('The job has no values in the consented fields', 'nothing-to-share');
  const url = webhookUrlFor(extension, consent.webhookUrl);
  if (url === undefined)
    throw new ConsentRequiredError(
      "The consented webhook no longer matches the extension's catalog entry; consent again",
    );
  const { sealedToken, sealedSigningSecret } = connection ?? {};
  if (sealedToken === undefined)
    throw new ConflictError('No token is stored for this extension', 'token-required');
  // Consents given before webhooks were signed have no secret: a new consent issues one.
  if (sealedSigningSecret === undefined)
    throw new ConsentRequiredError(
      'This consent predates signed webhooks; consent again to receive a signing secret',
    );
  // The URL's own rules (https, no credentials) are checked before anything is opened; its
  // addresses only once resolved, by the webhook client.
  try {
    parseWebhookUrl(url);
  } catch (error) {
    if (error instanceof WebhookTargetRefused) throw refused(error);
    throw error;
  }
  return { consent, withValues, url, sealedToken, sealedSigningSecret };
}

/** What the vendor receives: identifiers, the consent version it rests on, and the shared values. */
export interface SharePayload {
  readonly event: 'job.shared';
  readonly deliveryId: string;
  readonly extensionId: string;
  readonly orgId: string;
  readonly jobId: string;
  readonly orchestrationId: string;
  readonly consentVersion: number;
  readonly at: string;
  /** The same as `at`; kept for vendors that read it before `at` was added. */
  readonly sharedAt: string;
  readonly fields: Readonly<Record<string, FieldValue>>;
}
