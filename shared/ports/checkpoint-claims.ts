/**
 * The right to sign an organization's next checkpoint, taken before KMS is asked (docs/decisions/0021):
 * two requests for the same interval, even in parallel on different instances, cannot both sign.
 */
export interface CheckpointClaims {
  /**
   * Takes `orgId`'s claim at `at` unless it was taken less than `intervalMs` before; undefined when
   * it was. A claim whose signature never came (a crash after the claim) lapses after `intervalMs`.
   */
  claim(orgId: string, at: Date, intervalMs: number): Promise<CheckpointClaim | undefined>;
}

/**
 * A claim as taken: what identifies its holder. The checkpoint is written only while the claim
 * is still this one (AuditChainStore.putDigest), so a holder whose claim lapsed while it signed,
 * and was taken by another, cannot fork the checkpoints.
 */
export interface CheckpointClaim {
  readonly claimedAt: number;
}
