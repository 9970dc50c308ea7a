/**
 * Outbound webhooks to extension vendors. The adapter resolves and vets the target (see
 * shared/domain/ssrf-guard.ts), connects only to vetted addresses over HTTPS, follows no
 * redirect, bounds time and retries, signs every attempt, and never puts the bearer token or the
 * signing secret in an error or a log.
 */
export interface WebhookDelivery {
  readonly url: string;
  /** Sent as `Authorization: Bearer <token>` when given (a withdrawn consent's token is deleted). */
  readonly bearerToken?: string;
  /** Signs every attempt (`Custos-Signature`, shared/domain/webhook-signature.ts). */
  readonly signingSecret: string;
  /** JSON body. */
  readonly payload: unknown;
  /** Sent as `Idempotency-Key`, the same on every retry, so the vendor can drop duplicates. */
  readonly deliveryId: string;
}

export interface WebhookResult {
  /** The vendor's final HTTP status (a 3xx is final: redirects are not followed). */
  readonly status: number;
  readonly attempts: number;
}

export interface Webhooks {
  /**
   * Delivers, retrying network errors and 5xx/429 answers a bounded number of times.
   * Throws WebhookTargetRefused (shared/domain/ssrf-guard.ts) for a target it will not contact,
   * and WebhookUnreachable when every attempt failed without a final answer.
   */
  deliver(delivery: WebhookDelivery): Promise<WebhookResult>;
}

export class WebhookUnreachable extends Error {
  constructor(
    readonly attempts: number,
    /** The last failure: an error code (`ETIMEDOUT`, `ECONNREFUSED`, `timeout`) or an HTTP status. */
    readonly lastFailure: string,
  ) {
    super(`Webhook unreachable after ${attempts} attempts (${lastFailure})`);
  }
}
