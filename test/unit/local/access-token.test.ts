/** The shape and signature of local access tokens, checked with node:crypto alone (no network). */
import { createPrivateKey, createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { keyId, publicJwk, signAccessToken } from '../../../infra/local/access-token.ts';

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signer = {
  issuer: 'https://127.0.0.1:9443',
  audience: 'custos-local',
  kid: keyId(privateKey),
  privateKey,
};

function decode(token: string) {
  const [header, payload, signature] = token.split('.');
  const part = (value: string | undefined): Record<string, unknown> =>
    JSON.parse(Buffer.from(value ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
  return {
    header: part(header),
    payload: part(payload),
    signingInput: `${header}.${payload}`,
    signature: Buffer.from(signature ?? '', 'base64url'),
  };
}

test('signs RS256 with the key id, verifiable with the published JWK', () => {
  // Act
  const token = decode(signAccessToken(signer, { sub: 'u1', email: 'u1@example.test' }));
  // Assess
  expect(token.header).toEqual({ alg: 'RS256', typ: 'JWT', kid: signer.kid });
  const jwk = publicJwk(privateKey, signer.kid);
  expect(jwk).toMatchObject({ kty: 'RSA', kid: signer.kid, alg: 'RS256', use: 'sig' });
  const publicKey = createPublicKey({ key: jwk, format: 'jwk' });
  expect(verify('sha256', Buffer.from(token.signingInput), publicKey, token.signature)).toBe(true);
});

test('carries the claims aws-jwt-verify checks, valid for an hour by default', () => {
  // Prepare
  const now = new Date('2026-12-01T10:00:00Z');
  // Act
  const { payload } = decode(signAccessToken(signer, { sub: 'u1', email: 'u1@example.test' }, { now }));
  // Assess
  const issuedAt = now.getTime() / 1000;
  expect(payload).toEqual({
    iss: signer.issuer,
    aud: 'custos-local',
    token_use: 'access',
    sub: 'u1',
    email: 'u1@example.test',
    iat: issuedAt,
    nbf: issuedAt,
    exp: issuedAt + 3600,
    jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
  });
});

test('lets claims override the defaults and gives every token its own jti', () => {
  const first = decode(
    signAccessToken(
      signer,
      { sub: 'u1', email: 'e', aud: 'other', token_use: 'id' },
      { expiresInSeconds: 60 },
    ),
  ).payload;
  const second = decode(signAccessToken(signer, { sub: 'u1', email: 'e' })).payload;
  expect(first).toMatchObject({ aud: 'other', token_use: 'id' });
  expect(Number(first.exp) - Number(first.iat)).toBe(60);
  expect(first.jti).not.toBe(second.jti);
});

test('derives the key id from the key (RFC 7638), so a key reloaded from its PEM keeps it', () => {
  const reloaded = createPrivateKey(privateKey.export({ format: 'pem', type: 'pkcs8' }));
  const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  expect(keyId(reloaded)).toBe(keyId(privateKey));
  expect(keyId(privateKey)).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(keyId(other)).not.toBe(keyId(privateKey));
});
