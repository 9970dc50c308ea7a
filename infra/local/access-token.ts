/**
 * Access tokens shaped like Cognito's as aws-jwt-verify checks them: RS256 with a `kid`, `iss`,
 * `aud`, `token_use: 'access'`, `iat`/`nbf`/`exp` and a unique `jti`. Shared by the local OIDC
 * issuer and the test helper that signs tokens inside jest workers, so both sign alike.
 */
import { createHash, createPublicKey, randomUUID, sign, type KeyObject } from 'node:crypto';

export const LOCAL_AUDIENCE = 'custos-local';
export const DEFAULT_TOKEN_LIFETIME_SECONDS = 3600;

export interface TokenSigner {
  readonly issuer: string;
  readonly audience: string;
  readonly kid: string;
  readonly privateKey: KeyObject;
}

export interface TokenClaims {
  sub: string;
  email: string;
  [claim: string]: unknown;
}

export interface TokenOptions {
  expiresInSeconds?: number;
  /** The signing time; tests move it to make tokens that are expired or not yet valid. */
  now?: Date;
}

function base64url(value: Buffer | string): string {
  return Buffer.from(value).toString('base64url');
}

/** The public half as a JWK, with the `kid`, `alg` and `use` aws-jwt-verify looks for. */
export function publicJwk(privateKey: KeyObject, kid: string): Record<string, string> {
  const { kty, n, e } = createPublicKey(privateKey).export({ format: 'jwk' });
  if (kty !== 'RSA' || n === undefined || e === undefined)
    throw new Error('The signing key must be an RSA key');
  return { kty, n, e, kid, alg: 'RS256', use: 'sig' };
}

/** The RFC 7638 thumbprint: a `kid` that follows from the key, so it survives restarts with it. */
export function keyId(privateKey: KeyObject): string {
  const { n, e } = createPublicKey(privateKey).export({ format: 'jwk' });
  return createHash('sha256')
    .update(JSON.stringify({ e, kty: 'RSA', n }))
    .digest('base64url');
}

/** Claims given by the caller win over the defaults, so tests can forge a wrong `iss` or `aud`. */
export function signAccessToken(
  signer: TokenSigner,
  claims: TokenClaims,
  options: TokenOptions = {},
): string {
  const issuedAt = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const payload = {
    iss: signer.issuer,
    aud: signer.audience,
    token_use: 'access',
    iat: issuedAt,
    nbf: issuedAt,
    exp: issuedAt + (options.expiresInSeconds ?? DEFAULT_TOKEN_LIFETIME_SECONDS),
    jti: randomUUID(),
    ...claims,
  };
  const header = { alg: 'RS256', typ: 'JWT', kid: signer.kid };
  const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`;
  const signature = sign('sha256', Buffer.from(signingInput), signer.privateKey);
  return `${signingInput}.${base64url(signature)}`;
}
