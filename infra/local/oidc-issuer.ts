/**
 * A local OpenID Connect issuer, so aws-jwt-verify checks local tokens exactly as it checks
 * Cognito's: over HTTPS (the library fetches JWKS over https only), with a self-signed
 * certificate that callers trust through `caFile`. The RS256 signing key and the certificate are
 * kept in the data directory: a restart on the same port keeps issued tokens valid.
 */
import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import {
  keyId,
  LOCAL_AUDIENCE,
  publicJwk,
  signAccessToken,
  type TokenClaims,
  type TokenOptions,
} from './access-token.ts';
import { portError } from './free-port.ts';
import { fileOrUndefined, loadOrCreateCertificate } from './local-certificate.ts';

export interface LocalIssuer {
  /** `https://<host>:<port>`, the `iss` of every token. */
  issuer: string;
  jwksUri: string;
  /** PEM of the self-signed certificate the issuer serves; trust it for the JWKS fetch. */
  caFile: string;
  audience: string;
  kid: string;
  privateKey: KeyObject;
  issueToken(claims: TokenClaims, options?: { expiresInSeconds?: number }): string;
  stop(): Promise<void>;
}

const SERVICE = 'the local OIDC issuer';

async function loadOrCreateSigningKey(dir: string): Promise<KeyObject> {
  const path = join(dir, 'signing-key.pem');
  const existing = await fileOrUndefined(path);
  if (existing !== undefined) return createPrivateKey(existing);
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  await writeFile(path, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
  return privateKey;
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', (error) => reject(portError(error, port, SERVICE)));
    server.listen(port, host, () => {
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : port);
    });
  });
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'max-age=300' });
  response.end(JSON.stringify(body));
}

export async function startOidcIssuer(options: {
  dataDir: string;
  host?: string;
  port?: number;
}): Promise<LocalIssuer> {
  const host = options.host ?? '127.0.0.1';
  // A wildcard bind address is not a name clients can reach; name the loopback instead.
  const publicHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const dir = join(options.dataDir, 'oidc');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const [privateKey, tls] = await Promise.all([
    loadOrCreateSigningKey(dir),
    loadOrCreateCertificate(dir, publicHost, 'local OIDC issuer'),
  ]);
  const kid = keyId(privateKey);
  const jwks = { keys: [publicJwk(privateKey, kid)] };

  let discovery: Record<string, unknown> = {};
  const server = createServer(
    { key: tls.key, cert: tls.cert },
    (request: IncomingMessage, response: ServerResponse) => {
      const path = new URL(request.url ?? '/', 'https://issuer').pathname;
      if (request.method !== 'GET' && request.method !== 'HEAD')
        return sendJson(response, 405, { message: 'Method not allowed' });
      if (path === '/.well-known/openid-configuration') return sendJson(response, 200, discovery);
      if (path === '/.well-known/jwks.json') return sendJson(response, 200, jwks);
      return sendJson(response, 404, { message: 'Not found' });
    },
  );
  const port = await listen(server, options.port ?? 0, host);

  const issuer = `https://${publicHost.includes(':') ? `[${publicHost}]` : publicHost}:${port}`;
  const jwksUri = `${issuer}/.well-known/jwks.json`;
  discovery = {
    issuer,
    jwks_uri: jwksUri,
    response_types_supported: ['token'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
    claims_supported: ['sub', 'email', 'iss', 'aud', 'exp', 'iat', 'nbf', 'jti', 'token_use'],
  };
  const signer = { issuer, audience: LOCAL_AUDIENCE, kid, privateKey };

  return {
    issuer,
    jwksUri,
    caFile: tls.certFile,
    audience: LOCAL_AUDIENCE,
    kid,
    privateKey,
    issueToken: (claims: TokenClaims, tokenOptions?: TokenOptions) =>
      signAccessToken(signer, claims, tokenOptions),
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
