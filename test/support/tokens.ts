/**
 * Bearer tokens for tests, signed in the worker with the local issuer's key (handed over by the
 * global setup), exactly as the issuer signs them: the API under test verifies them against the
 * issuer's JWKS over HTTPS like Cognito tokens in AWS.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { signAccessToken, type TokenOptions } from '../../infra/local/access-token.ts';
import { TEST_ENV, testEnv } from './test-stack.ts';

let signingKey: KeyObject | undefined;

/**
 * A valid access token for `user`. `overrides` replace or add claims (a foreign `iss`, a past
 * `exp`, extra claims); `options` move the signing time or the lifetime.
 */
export function tokenFor(
  user: { sub: string; email: string },
  overrides: Record<string, unknown> = {},
  options: TokenOptions = {},
): string {
  signingKey ??= createPrivateKey(testEnv(TEST_ENV.privateKeyPem));
  const signer = {
    issuer: testEnv('AUTH_ISSUER'),
    audience: testEnv('AUTH_AUDIENCE'),
    kid: testEnv(TEST_ENV.kid),
    privateKey: signingKey,
  };
  return signAccessToken(signer, { ...user, ...overrides }, options);
}

/** The `Authorization` header value for `user`. */
export function bearer(user: { sub: string; email: string }, overrides?: Record<string, unknown>): string {
  return `Bearer ${tokenFor(user, overrides)}`;
}
