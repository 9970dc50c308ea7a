/**
 * The signature every webhook Custos sends carries, as Stripe and GitHub sign theirs:
 *
 *   Custos-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body bytes>")>
 *
 * The timestamp is inside the MAC, so a vendor that refuses old timestamps also refuses replays;
 * the raw bytes are MACed (not a re-serialisation), so the vendor verifies before it parses.
 * The secret is per consent (extensions.ts): returned once, stored sealed, rotated by a new consent.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'custos-signature';
/** Prefix of a signing secret, so one found in a log or a repository is recognisable. */
const SECRET_PREFIX = 'whsec_';

/** A fresh signing secret: 32 random bytes. */
export function newSigningSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(32).toString('base64url')}`;
}

const mac = (secret: string, timestamp: number, body: Uint8Array): string =>
  createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');

/** The header value for `body` sent at `timestamp` (unix seconds). */
export function signatureHeader(secret: string, timestamp: number, body: Uint8Array): string {
  return `t=${timestamp},v1=${mac(secret, timestamp, body)}`;
}

/**
 * Whether `header` is a valid signature of `body` under `secret`, made within `toleranceSeconds`
 * of `nowSeconds`. Any `v1` entry may match (a vendor may be sent several during a rotation).
 */
export function verifySignature(
  secret: string,
  header: string,
  body: Uint8Array,
  nowSeconds: number,
  toleranceSeconds = 300,
): boolean {
  const parts = header.split(',').map((part) => part.split('=', 2) as [string, string | undefined]);
  const timestamp = Number(parts.find(([key]) => key === 't')?.[1]);
  if (!Number.isInteger(timestamp) || Math.abs(nowSeconds - timestamp) > toleranceSeconds) return false;
  const expected = Buffer.from(mac(secret, timestamp, body), 'hex');
  return parts
    .filter(([key, value]) => key === 'v1' && value !== undefined && /^[0-9a-f]{64}$/.test(value))
    .some(([, value]) => timingSafeEqual(expected, Buffer.from(value!, 'hex')));
}
