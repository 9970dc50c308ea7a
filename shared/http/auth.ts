/**
 * Bearer-token authentication: the token read from the Authorization header only, and checked by
 * the function's verifier (token-verifier.ts, aws-jwt-verify), which the handler injects.
 */
import type { JwtPayload } from 'aws-jwt-verify/jwt-model';
import { UnauthenticatedError } from '../domain/errors.ts';
import type { Principal } from '../domain/principal.ts';

export interface TokenVerifier {
  verify(token: string): Promise<JwtPayload>;
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
