/**
 * The scheduled digest run: for every organization whose chain advanced since its last digest,
 * signs a digest of the new head (see shared/domain/audit-digest.ts). It finds them by the
 * marker the sequencer leaves (a Query), never by scanning the audit table. Idempotent: a digest
 * is keyed by its head sequence and written only if absent, so overlapping runs write it once.
 */
import { digestMessage, nextDigestBody, type SignedDigest } from '../domain/audit-digest.ts';
import type { AuditChainStore, DigestSigner } from '../ports/audit.ts';
import type { Clock } from '../ports/clock.ts';

export interface AuditDigestDeps {
  readonly store: AuditChainStore;
  readonly signer: DigestSigner;
  readonly clock: Clock;
}

export interface DigestRunSummary {
  readonly organizations: number;
  readonly written: number;
  readonly failed: number;
}

/** Signs the digest of one organization's current head; undefined when nothing is new. */
export async function digestOrganization(deps: AuditDigestDeps, orgId: string, head: { seq: number; hash: string; at: string }): Promise<SignedDigest | undefined> {
  const previous = await deps.store.latestDigest(orgId);
  const fromSeq = (previous?.headSeq ?? 0) + 1;
  if (head.seq < fromSeq) return undefined;
  const fromAt = (await deps.store.event(orgId, fromSeq))?.at ?? null;
  const body = nextDigestBody(orgId, previous, head, fromAt, deps.clock.now());
  if (body === undefined) return undefined;
  const message = digestMessage(body);
  const { signature, keyId } = await deps.signer.sign(message);
  const digest: SignedDigest = { ...body, digestHash: message.toString('hex'), signature, keyId, signingAlgorithm: 'ECDSA_SHA_256' };
  return (await deps.store.putDigest(digest)) ? digest : undefined;
}

/**
 * The sequencer's checkpoint: signs the organization's head unless its last digest is younger
 * than `intervalMs`, so KMS signs at most once per organization per interval however busy it is.
 */
export async function checkpointIfDue(deps: AuditDigestDeps, orgId: string, intervalMs: number): Promise<SignedDigest | undefined> {
  const latest = await deps.store.latestDigest(orgId);
  if (latest !== undefined && deps.clock.now().getTime() - Date.parse(latest.createdAt) < intervalMs) return undefined;
  const head = await deps.store.head(orgId);
  if (head === undefined) return undefined;
  const digest = await digestOrganization(deps, orgId, head);
  if (digest !== undefined) await deps.store.markDigested(orgId, digest.headSeq);
  return digest;
}

export interface DigestRunHooks {
  /** One organization's failure; the run goes on with the others. */
  readonly onFailure?: (orgId: string, error: unknown) => void;
  /** A digest this run wrote. */
  readonly onDigested?: (digest: SignedDigest) => void;
}

export async function writeDigests(deps: AuditDigestDeps, hooks: DigestRunHooks = {}): Promise<DigestRunSummary> {
  let organizations = 0;
  let written = 0;
  let failed = 0;
  for await (const orgId of deps.store.undigested()) {
    organizations += 1;
    try {
      const head = await deps.store.head(orgId);
      const digest = head === undefined ? undefined : await digestOrganization(deps, orgId, head);
      if (digest !== undefined) {
        written += 1;
        hooks.onDigested?.(digest);
      }
      // Cleared only up to what is now signed: a chain that moved on keeps its marker.
      const signed = head === undefined ? Number.MAX_SAFE_INTEGER : ((await deps.store.latestDigest(orgId))?.headSeq ?? 0);
      await deps.store.markDigested(orgId, signed);
    } catch (error) {
      // One organization's failure must not hold up the others; the next run retries it.
      failed += 1;
      hooks.onFailure?.(orgId, error);
    }
  }
  return { organizations, written, failed };
}
