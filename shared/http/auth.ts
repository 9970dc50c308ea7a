/**
 * Bearer-token authentication with aws-jwt-verify: RS256 only, the configured issuer and
 * audience, signature checked against the issuer's JWKS. The verifier is created once per cold
 * start (its JWKS cache then lives as long as the function).
 */
import { readFileSync } from 'node:fs';
import { JwtRsaVerifier } from 'aws-jwt-verify';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';
import { SimpleFetcher } from 'aws-jwt-verify/https';
import type { JwtPayload } from 'aws-jwt-verify/jwt-model';
import { env, type AuthConfig } from '../config.ts';
import { UnauthenticatedError } from '../domain/errors.ts';
import type { Principal } from '../domain/principal.ts';

export interface TokenVerifier {
  verify(token: string): Promise<JwtPayload>;
}

export function createTokenVerifier(config: AuthConfig = env.auth()): TokenVerifier {
  const fetcher = new SimpleFetcher(
    config.jwksCaFile === undefined
      ? undefined
      : { defaultRequestOptions: { ca: readFileSync(config.jwksCaFile) } },
  );
  const verifier = JwtRsaVerifier.create(
    {
      issuer: config.issuer,
      audience: config.audienceClaim === 'aud' ? config.audience : null,
      ...(config.jwksUri === undefined ? {} : { jwksUri: config.jwksUri }),
      customJwtCheck: ({ header, payload }) => {
        if (header.alg !== 'RS256') throw new Error('Only RS256 tokens are accepted');
        if (config.audienceClaim === 'client_id' && payload.client_id !== config.audience)
          throw new Error('Wrong client');
        if (config.tokenUse !== undefined && payload.token_use !== config.tokenUse)
          throw new Error('Wrong token use');
      },
    },
    { jwksCache: new SimpleJwksCache({ fetcher }) },
  );
  return { verify: (token) => verifier.verify(token) };
}

const BEARER = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/;

/** Reads and verifies the bearer token; any failure is a 401 that says nothing more. */
export async function authenticate(
  verifier: TokenVerifier,
  headers: Readonly<Record<string, string | undefined>>,
  query: Readonly<Record<string, string | undefined>>,
): Promise<Principal> {
  // Tokens in URLs end up in access logs and browser history: refuse them outright.
  if (query.access_token !== undefined || query.id_token !== undefined) {
    throw new UnauthenticatedError('Tokens are accepted only in the Authorization header');
  }
  const match = BEARER.exec(headers.authorization ?? '');
  if (match?.[1] === undefined) throw new UnauthenticatedError();
  let payload: JwtPayload;
  try {
    payload = await verifier.verify(match[1]);
  } catch {
    throw new UnauthenticatedError('The bearer token is not valid');
  }
  const userId = payload.sub;
  const email = payload.email;
  if (typeof userId !== 'string' || userId === '' || userId.length > 128)
    throw new UnauthenticatedError('The token names no user');
  return { userId, email: typeof email === 'string' ? email : '' };
}
