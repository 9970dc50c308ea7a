/**
 * The local issuer's tokens pass aws-jwt-verify exactly as the production auth path uses it:
 * JwtRsaVerifier fetching the JWKS over HTTPS, trusting the issuer's certificate through the
 * fetcher's `ca`. Also: the issuer the global setup started, and a restart that keeps tokens valid.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JwtRsaVerifier } from 'aws-jwt-verify';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';
import { SimpleFetcher } from 'aws-jwt-verify/https';
import { startOidcIssuer, type LocalIssuer } from '../../../infra/local/oidc-issuer.ts';
import { tokenFor } from '../../support/tokens.ts';

async function verifierFor(config: { issuer: string; audience: string; jwksUri: string }, caFile: string) {
  const ca = await readFile(caFile, 'utf8');
  return JwtRsaVerifier.create(
    { issuer: config.issuer, audience: config.audience, jwksUri: config.jwksUri },
    { jwksCache: new SimpleJwksCache({ fetcher: new SimpleFetcher({ defaultRequestOptions: { ca } }) }) },
  );
}

const user = { sub: 'user-oidc-test', email: 'oidc-test@example.test' };

describe('a local issuer', () => {
  let dataDir: string;
  let issuer: LocalIssuer;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'custos-oidc-test-'));
    issuer = await startOidcIssuer({ dataDir });
  });
  afterAll(async () => {
    await issuer.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  test('issues tokens that JwtRsaVerifier accepts over HTTPS, with the documented claims', async () => {
    // Prepare
    const verifier = await verifierFor(issuer, issuer.caFile);
    // Act
    const payload = await verifier.verify(issuer.issueToken(user));
    // Assess
    expect(payload).toMatchObject({
      iss: issuer.issuer,
      aud: 'custos-local',
      sub: user.sub,
      email: user.email,
      token_use: 'access',
    });
    expect(Number(payload.exp) - Number(payload.iat)).toBe(3600);
    expect(payload.nbf).toBe(payload.iat);
    expect(typeof payload.jti).toBe('string');
  });

  test('serves an OpenID configuration naming its JWKS', async () => {
    // Prepare
    const verifier = await verifierFor(issuer, issuer.caFile);
    await verifier.hydrate(); // fetches the JWKS through the same trusted fetcher
    const ca = await readFile(issuer.caFile, 'utf8');
    // Act
    const discovery = JSON.parse(
      Buffer.from(
        await new SimpleFetcher({ defaultRequestOptions: { ca } }).fetch(
          `${issuer.issuer}/.well-known/openid-configuration`,
        ),
      ).toString('utf8'),
    );
    // Assess
    expect(discovery).toMatchObject({
      issuer: issuer.issuer,
      jwks_uri: issuer.jwksUri,
      id_token_signing_alg_values_supported: ['RS256'],
    });
  });

  test('is not trusted without its certificate', async () => {
    const verifier = JwtRsaVerifier.create({
      issuer: issuer.issuer,
      audience: issuer.audience,
      jwksUri: issuer.jwksUri,
    });
    await expect(verifier.verify(issuer.issueToken(user))).rejects.toThrow(/certificate/i);
  });

  test.each([
    ['expired', () => issuer.issueToken(user, { expiresInSeconds: -60 }), /expired/i],
    ['for another audience', () => issuer.issueToken({ ...user, aud: 'someone-else' }), /audience/i],
    [
      'from another issuer',
      () => issuer.issueToken({ ...user, iss: 'https://elsewhere.example' }),
      /issuer/i,
    ],
  ])('rejects a token %s', async (_case, makeToken, reason) => {
    const verifier = await verifierFor(issuer, issuer.caFile);
    await expect(verifier.verify(makeToken())).rejects.toThrow(reason);
  });

  test('keeps its key across a restart on the same port, so issued tokens stay valid', async () => {
    // Prepare
    const restartDir = await mkdtemp(join(tmpdir(), 'custos-oidc-restart-'));
    const first = await startOidcIssuer({ dataDir: restartDir });
    const token = first.issueToken(user);
    const port = Number(new URL(first.issuer).port);
    await first.stop();
    try {
      // Act
      const second = await startOidcIssuer({ dataDir: restartDir, port });
      try {
        const payload = await (await verifierFor(second, second.caFile)).verify(token);
        // Assess
        expect(second.kid).toBe(first.kid);
        expect(payload.sub).toBe(user.sub);
      } finally {
        await second.stop();
      }
    } finally {
      await rm(restartDir, { recursive: true, force: true });
    }
  });
});

describe('the issuer of the test run', () => {
  test('accepts tokens that test/support/tokens.ts signs in the worker', async () => {
    // Prepare
    const config = {
      issuer: process.env.AUTH_ISSUER ?? '',
      audience: process.env.AUTH_AUDIENCE ?? '',
      jwksUri: process.env.AUTH_JWKS_URI ?? '',
    };
    const verifier = await verifierFor(config, process.env.AUTH_JWKS_CA_FILE ?? '');
    // Act
    const payload = await verifier.verify(tokenFor(user, { role: 'tester' }));
    // Assess
    expect(payload).toMatchObject({ sub: user.sub, email: user.email, token_use: 'access', role: 'tester' });
  });
});
