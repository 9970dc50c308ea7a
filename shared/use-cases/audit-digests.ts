/**
 * The scheduled digest run: for every organization whose chain advanced since its last digest,
 * signs a digest of the new head (see shared/domain/audit-digest.ts). Idempotent: a digest is
 * keyed by its head sequence and written only if absent, so overlapping runs write it once.
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

export async function writeDigests(deps: AuditDigestDeps, onFailure: (orgId: string, error: unknown) => void = () => {}): Promise<DigestRunSummary> {
  let organizations = 0;
  let written = 0;
  let failed = 0;
  for await (const head of deps.store.heads()) {
    organizations += 1;
    try {
      if ((await digestOrganization(deps, head.orgId, head)) !== undefined) written += 1;
    } catch (error) {
      // One organization's failure must not hold up the others; the next run retries it.
      failed += 1;
      onFailure(head.orgId, error);
    }
  }
  return { organizations, written, failed };
}
