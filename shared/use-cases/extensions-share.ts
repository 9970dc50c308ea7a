/**
 * Sharing a job with an extension: only fields a current consent covers, and of those only the
 * ones the caller may read, are opened and sent to the vendor's webhook with the vendor's token as
 * bearer. A restricted job is refused (409 `/restricted`) by the same guard every processing path
 * uses; without a consent covering the job's fields the answer is 409 `/consent-required` and
 * nothing leaves.
 *
 * The share is audited before anything is sent (which fields, which vendor, the delivery id —
 * never values): if the event cannot be written, nothing is disclosed. The delivery's outcome
 * goes to the caller (`vendorStatus`) and to the structured log under the same delivery id.
 */
import { ConflictError, ConsentRequiredError, ForbiddenError, NotFoundError, UnavailableError } from '../domain/errors.ts';
import { newId } from '../domain/ids.ts';
import type { FieldValue } from '../domain/orchestration.ts';
import type { RequestContext } from '../domain/principal.ts';
import { parseWebhookUrl, WebhookTargetRefused } from '../domain/ssrf-guard.ts';
import { webhookUrlFor } from '../extensions/catalog.ts';
import { logger } from '../logger.ts';
import type { JobStore } from '../ports/jobs.ts';
import { WebhookUnreachable, type Webhooks } from '../ports/webhooks.ts';
import { openValues } from './job-fields.ts';
import { assertProcessable } from './jobs.ts';
import type { ReadAudit } from './records-context.ts';
import { auditActorOf, authorize, resolveScope } from './org-access.ts';
import { cryptoOf } from './org-access.ts';
import { EXTENSION_TOKEN_FIELD, EXTENSION_TOKEN_PURPOSE, extensionOf, type ExtensionDeps } from './extensions.ts';

export interface ShareDeps extends ExtensionDeps {
  readonly jobs: JobStore;
  readonly webhooks: Webhooks;
  readonly audit: ReadAudit;
}

export interface ShareResult {
  /** The field ids sent, sorted. */
  readonly shared: readonly string[];
  /** The vendor's final HTTP status (2xx: accepted; a 3xx is final, redirects are not followed). */
  readonly vendorStatus: number;
}

const refused = (error: WebhookTargetRefused): ConflictError => new ConflictError(`The extension's webhook address is not allowed: ${error.reason}`, 'webhook-refused');

/** Seconds a caller should wait before retrying a share whose vendor could not be reached. */
const UNREACHABLE_RETRY_AFTER_SECONDS = 60;

export async function shareJob(deps: ShareDeps, ctx: RequestContext, orgId: string, jobId: string, extensionId: string): Promise<ShareResult> {
  // Load and authorize as every job path does: 404 for what the caller cannot see, 403 without extensions.manage.
  const scope = await resolveScope(deps.orgs, ctx, orgId);
  const job = await deps.jobs.get(orgId, jobId);
  if (job === undefined) throw new NotFoundError('job');
  const orchestration = await deps.orchestrations.get(orgId, job.orchestrationId);
  if (orchestration === undefined) throw new NotFoundError('job');
  const mask = authorize(scope.actor, 'jobs.share', { kind: 'job', orchestration, job });
  assertProcessable(job, 'job.share', scope.actor);
  const extension = extensionOf(deps, extensionId);

  const connection = await deps.extensions.get(orgId, extensionId);
  const consent = connection?.consent;
  if (consent === undefined) throw new ConsentRequiredError('No current consent to share with this extension');
  const consented = new Set(consent.fields.filter((f) => f.orchestrationId === orchestration.orchestrationId).map((f) => f.fieldId));
  // Consented, still within the extension's categories (a field's type may have changed since), and readable by the caller.
  const covered = orchestration.fields.filter((f) => consented.has(f.id) && extension.dataCategories.includes(f.type));
  if (covered.length === 0) throw new ConsentRequiredError("No current consent covers this job's fields");
  const readable = covered.filter((f) => (mask[f.id] ?? 'hidden') !== 'hidden');
  if (readable.length === 0) throw new ForbiddenError('You may not read any of the consented fields of this job');
  const withValues = readable.filter((f) => job.fields[f.id] !== undefined);
  if (withValues.length === 0) throw new ConflictError('The job has no values in the consented fields', 'nothing-to-share');

  const url = webhookUrlFor(extension, consent.webhookUrl);
  if (url === undefined) throw new ConsentRequiredError("The consented webhook no longer matches the extension's catalog entry; consent again");
  if (connection?.sealedToken === undefined) throw new ConflictError('No token is stored for this extension', 'token-required');
  // The URL's own rules (https, no credentials) are checked before anything is audited or opened;
  // its addresses only once resolved, by the webhook client.
  try {
    parseWebhookUrl(url);
  } catch (error) {
    if (error instanceof WebhookTargetRefused) throw refused(error);
    throw error;
  }

  // Only the shared fields are opened: the mask handed to openValues names nothing else.
  const crypto = cryptoOf(deps, scope);
  const shareMask = Object.fromEntries(withValues.map((f) => [f.id, 'read' as const]));
  const { fields } = await openValues(crypto, jobId, orchestration, job.fields, shareMask);
  const token = await crypto.open(extensionId, EXTENSION_TOKEN_FIELD, connection.sealedToken, EXTENSION_TOKEN_PURPOSE);
  const shared = Object.keys(fields).sort();
  const deliveryId = newId();
  const sharedAt = deps.clock.now().toISOString();

  await deps.audit.append(
    {
      orgId,
      action: 'job.share',
      resource: { type: 'job', id: jobId },
      outcome: 'success',
      changes: { fields: shared },
      detail: { extensionId, vendor: extension.vendor, consentVersion: consent.version, deliveryId },
    },
    auditActorOf(ctx),
  );

  const payload: SharePayload = {
    event: 'job.shared',
    deliveryId,
    extensionId,
    orgId,
    jobId,
    orchestrationId: orchestration.orchestrationId,
    consentVersion: consent.version,
    sharedAt,
    fields,
  };
  try {
    const result = await deps.webhooks.deliver({ url, bearerToken: token, payload, deliveryId });
    logger.info('share delivered', { orgId, extensionId, deliveryId, vendorStatus: result.status, attempts: result.attempts });
    return { shared, vendorStatus: result.status };
  } catch (error) {
    if (error instanceof WebhookTargetRefused) {
      logger.warn('share refused by the webhook guard', { orgId, extensionId, deliveryId });
      throw refused(error);
    }
    if (error instanceof WebhookUnreachable) {
      logger.warn('share undelivered', { orgId, extensionId, deliveryId, attempts: error.attempts, failure: error.lastFailure });
      throw new UnavailableError(UNREACHABLE_RETRY_AFTER_SECONDS, false);
    }
    throw error;
  }
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
  readonly sharedAt: string;
  readonly fields: Readonly<Record<string, FieldValue>>;
}
