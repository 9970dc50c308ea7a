import { createHmac } from 'node:crypto';
import {
  newSigningSecret,
  signatureHeader,
  verifySignature,
} from '../../../shared/domain/webhook-signature.ts';

const SECRET = newSigningSecret();
const BODY = Buffer.from('{"event":"job.erased","jobIds":["01J"]}', 'utf8');
const T = 1_800_000_000;

test('the header is t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>', () => {
  const expected = createHmac('sha256', SECRET)
    .update(`${T}.${BODY.toString('utf8')}`)
    .digest('hex');
  expect(signatureHeader(SECRET, T, BODY)).toBe(`t=${T},v1=${expected}`);
});

test.each([
  [
    'a valid signature within the tolerance is accepted',
    SECRET,
    signatureHeader(SECRET, T, BODY),
    BODY,
    T + 299,
    true,
  ],
  ['another secret is refused', newSigningSecret(), signatureHeader(SECRET, T, BODY), BODY, T, false],
  [
    'a changed body is refused',
    SECRET,
    signatureHeader(SECRET, T, BODY),
    Buffer.from(`${BODY.toString()} `),
    T,
    false,
  ],
  [
    'a timestamp older than the tolerance (a replay) is refused',
    SECRET,
    signatureHeader(SECRET, T, BODY),
    BODY,
    T + 301,
    false,
  ],
  [
    'a timestamp moved forward with the old MAC is refused',
    SECRET,
    signatureHeader(SECRET, T, BODY).replace(`t=${T}`, `t=${T + 10}`),
    BODY,
    T,
    false,
  ],
  ['a malformed header is refused', SECRET, 'v1=abc', BODY, T, false],
])('%s', (_name, secret, header, body, now, valid) => {
  expect(verifySignature(secret, header, body, now)).toBe(valid);
});

test('secrets are fresh and recognisable', () => {
  expect(SECRET).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
  expect(newSigningSecret()).not.toBe(SECRET);
});
