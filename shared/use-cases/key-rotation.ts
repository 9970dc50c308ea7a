/**
 * Rotation of an organization's data key (owners only), and the sweep that retires old versions.
 *
 * Rotating appends a new data key version from KMS to the organization's list, with its audit
 * event, conditionally on the list's length (two concurrent rotations cannot both win). From that
 * commit on every seal uses the new version: each request builds its OrgCrypto from the
 * organization it has just read, so no function keeps sealing with the old one. Values sealed
 * before stay readable under their own version (org-crypto.ts) and are re-sealed lazily, when
 * they are next written. No downtime, no moment when some readers lack a key.
 *
 * `resealOrganization` is the sweep for when an old version must stop protecting data sooner
 * (a suspected exposure of a data key): it walks every job of the organization, page by page, and
 * re-seals encrypted values that name an older version, in batches that each commit with one
 * audit event. It is idempotent (a value already under the newest version is left alone), so a
 * crash or a lost race is finished by running it again. Old versions stay in the list: values
 * outside jobs (extension tokens until they are set again, backup passwords inside queued
 * messages) may still name them, and the first version keys the blind index (blind-index.ts).
 */
import { IntegrityError, NotFoundError } from '../domain/errors.ts';
import type { FieldValue } from '../domain/orchestration.ts';
import { OrgCrypto, newKeyVersion } from '../domain/org-crypto.ts';
import type { RequestContext } from '../domain/principal.ts';
import type { AuditActor } from '../ports/audit.ts';
import {
  JobBatchConflict,
  SUBJECT_BATCH_LIMIT,
  type JobBatchChange,
  type JobStore,
  type StoredJob,
} from '../ports/jobs.ts';
import type { Keys } from '../ports/keys.ts';
import type { OrchestrationRecord, OrchestrationStore } from '../ports/orchestrations.ts';
import type { OrganizationStore } from '../ports/organizations.ts';
import { cryptoOf, auditEntry, successDraft, authorize, resolveScope } from './org-access.ts';
import { pagesOf } from './pages.ts';

export interface KeyRotationDeps {
  readonly orgs: OrganizationStore;
  readonly keys: Keys;
}

export interface KeyRotationView {
  /** The new version, which seals from now on. */
  readonly keyId: string;
  /** How many versions the organization holds, the new one included. */
  readonly versions: number;
}

export async function rotateOrganizationKey(
  deps: KeyRotationDeps,
  ctx: RequestContext,
  orgId: string,
): Promise<KeyRotationView> {
  const { org, actor } = await resolveScope(deps.orgs, ctx, orgId);
  authorize(actor, 'keys.rotate');
  const wrapped = await newKeyVersion(deps.keys, orgId, org.wrappedKeys);
  const versions = org.wrappedKeys.length + 1;
  // The key id and the count only: the wrapped key itself never goes into the audit log.
  await deps.orgs.appendKey(
    orgId,
    org.wrappedKeys.length,
    wrapped,
    auditEntry(ctx, {
      orgId,
      action: 'org.key.rotate',
      resource: { type: 'org', id: orgId },
      changes: { fields: ['wrappedKeys'] },
      detail: { keyId: wrapped.keyId, versions },
    }),
  );
  return { keyId: wrapped.keyId, versions };
}

export interface ResealDeps {
  readonly orgs: OrganizationStore;
  readonly orchestrations: OrchestrationStore;
  readonly jobs: JobStore;
  readonly keys: Keys;
}

export interface ResealOptions {
  /** Who runs the sweep, for its audit events (an operator, not a member). */
  readonly actor: AuditActor;
  /** Jobs read per page. Default 100. */
  readonly pageSize?: number;
  /** Jobs written per transaction (each with one audit event). Default 25, at most SUBJECT_BATCH_LIMIT. */
  readonly batchSize?: number;
}

export interface ResealReport {
  /** The version values were re-sealed under. */
  readonly keyId: string;
  readonly jobsScanned: number;
  readonly jobsResealed: number;
  readonly valuesResealed: number;
  /** Jobs that changed under the sweep on every attempt: run it again. */
  readonly jobsSkipped: readonly string[];
  /** Jobs with a value that does not open (moved or altered ciphertext): left as they are, for investigation. */
  readonly jobsFailed: readonly string[];
}

const DEFAULT_PAGE_SIZE = 100;
const DEFAULT_BATCH_SIZE = 25;
const MAX_BATCH_ATTEMPTS = 3;

/** The re-sealed job, or undefined when none of its values names an older version. */
async function resealed(
  crypto: OrgCrypto,
  orchestration: OrchestrationRecord,
  job: StoredJob,
): Promise<{ next: StoredJob; fields: string[] } | undefined> {
  const fields: Record<string, FieldValue> = { ...job.fields };
  const changed: string[] = [];
  for (const field of orchestration.fields) {
    const value = job.fields[field.id];
    // Only fields the definition encrypts: a plain text that happens to look sealed is not touched.
    if (!field.encrypted || !crypto.isSealed(value) || !crypto.needsResealing(value)) continue;
    fields[field.id] = await crypto.seal(job.jobId, field.id, await crypto.open(job.jobId, field.id, value));
    changed.push(field.id);
  }
  if (changed.length === 0) return undefined;
  // A new version (the stored item changed, and an If-Match on the old one must not overwrite it);
  // `updatedAt` stays, as the content did not change.
  return { next: { ...job, fields, version: job.version + 1 }, fields: changed };
}

/**
 * Re-seals every encrypted job value of the organization that names an older data key version.
 * Restricted jobs are re-sealed too: re-encryption changes no content and serves no purpose but
 * storage security, and skipping them would pin the old version to their data.
 */
export async function resealOrganization(
  deps: ResealDeps,
  orgId: string,
  options: ResealOptions,
): Promise<ResealReport> {
  const org = await deps.orgs.get(orgId);
  if (org === undefined || org.status !== 'active') throw new NotFoundError('organization');
  const newest = org.wrappedKeys.at(-1);
  if (newest === undefined) throw new IntegrityError('The organization has no data key');
  const crypto = cryptoOf(deps, { org });
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  const batchSize = Math.min(options.batchSize ?? DEFAULT_BATCH_SIZE, SUBJECT_BATCH_LIMIT);
  const counts = { jobsScanned: 0, jobsResealed: 0, valuesResealed: 0 };
  const skipped = new Set<string>();
  const failed = new Set<string>();

  /** Writes one batch; on a lost race re-reads its jobs from the table and tries again. */
  const commitBatch = async (
    orchestration: OrchestrationRecord,
    jobs: readonly StoredJob[],
  ): Promise<void> => {
    let pending = [...jobs];
    for (let attempt = 1; pending.length > 0; attempt += 1) {
      const changes: JobBatchChange[] = [];
      const jobIds: string[] = [];
      const fields = new Set<string>();
      let values = 0;
      for (const job of pending) {
        let change;
        try {
          change = await resealed(crypto, orchestration, job);
        } catch (error) {
          if (!(error instanceof IntegrityError)) throw error;
          failed.add(job.jobId);
          continue;
        }
        if (change === undefined) continue;
        changes.push({ kind: 'replace', next: change.next, allowRestricted: true });
        jobIds.push(job.jobId);
        for (const fieldId of change.fields) fields.add(fieldId);
        values += change.fields.length;
      }
      if (changes.length === 0) return;
      try {
        await deps.jobs.writeBatch(orgId, changes, {
          draft: successDraft({
            orgId,
            action: 'org.key.reseal',
            resource: { type: 'orchestration', id: orchestration.orchestrationId },
            changes: { fields: [...fields].sort() },
            detail: { keyId: newest.keyId, jobs: jobIds.length, jobIds: jobIds.join(',') },
          }),
          actor: options.actor,
        });
        counts.jobsResealed += jobIds.length;
        counts.valuesResealed += values;
        return;
      } catch (error) {
        if (!(error instanceof JobBatchConflict)) throw error;
        if (attempt >= MAX_BATCH_ATTEMPTS) {
          for (const jobId of jobIds) skipped.add(jobId);
          return;
        }
        // A job was written meanwhile (its write re-sealed what it touched): read the batch again.
        const fresh = await Promise.all(jobIds.map((jobId) => deps.jobs.get(orgId, jobId)));
        pending = fresh.filter((job): job is StoredJob => job !== undefined);
      }
    }
  };

  for (const orchestration of await deps.orchestrations.list(orgId)) {
    if (!orchestration.fields.some((field) => field.encrypted)) continue;
    for await (const jobs of pagesOf((after) =>
      deps.jobs.listByOrchestration(orgId, orchestration.orchestrationId, { limit: pageSize, ...after }),
    )) {
      counts.jobsScanned += jobs.length;
      for (let i = 0; i < jobs.length; i += batchSize)
        await commitBatch(orchestration, jobs.slice(i, i + batchSize));
    }
  }
  return { keyId: newest.keyId, ...counts, jobsSkipped: [...skipped], jobsFailed: [...failed] };
}
