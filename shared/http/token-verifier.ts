/**
 * The bearer-token verifier (aws-jwt-verify): RS256 only, the configured issuer and audience,
 * signature checked against the issuer's JWKS. Each function with a token route creates it once per
 * cold start in its handler module and hands it to `apiHandler` (its JWKS cache then lives as long
 * as the function); a module of its own so the public-only functions (the link pages, the OpenAPI
 * document), which never import it, carry none of aws-jwt-verify.
 */
import { readFileSync } from 'node:fs';
import { JwtRsaVerifier } from 'aws-jwt-verify';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';
import { SimpleFetcher } from 'aws-jwt-verify/https';
import { env, type AuthConfig } from '../config.ts';
import type { TokenVerifier } from './auth.ts';

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
