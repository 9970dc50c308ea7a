/**
 * ECDSA on NIST P-256 over a caller-supplied SHA-256 digest, for the local KMS endpoint's
 * `MessageType: DIGEST`. node:crypto always hashes what it signs (crypto.sign with a null algorithm
 * still hashes for EC keys), so signing a digest someone else computed needs the curve arithmetic
 * itself. Affine BigInt arithmetic: slow (milliseconds) and not constant-time, which is acceptable
 * for dev tooling and never used in the cloud, where AWS KMS signs.
 * RAW messages go through node:crypto instead; tests cross-check both paths.
 */
import { randomBytes } from 'node:crypto';

const P = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn;
const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const A = P - 3n;
const G: Point = {
  x: 0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296n,
  y: 0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5n,
};

interface Point {
  readonly x: bigint;
  readonly y: bigint;
}
/** `null` is the point at infinity. */
type CurvePoint = Point | null;

const mod = (a: bigint, m: bigint): bigint => ((a % m) + m) % m;

function invert(a: bigint, m: bigint): bigint {
  let [oldR, r] = [mod(a, m), m];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const q = oldR / r;
    [oldR, r] = [r, oldR - q * r];
    [oldS, s] = [s, oldS - q * s];
  }
  if (oldR !== 1n) throw new Error('Not invertible');
  return mod(oldS, m);
}

function add(p: CurvePoint, q: CurvePoint): CurvePoint {
  if (p === null) return q;
  if (q === null) return p;
  if (p.x === q.x) {
    if (mod(p.y + q.y, P) === 0n) return null;
    const lambda = mod(3n * p.x * p.x + A, P) * invert(2n * p.y, P);
    return fromLambda(mod(lambda, P), p, q);
  }
  const lambda = mod(q.y - p.y, P) * invert(q.x - p.x, P);
  return fromLambda(mod(lambda, P), p, q);
}

function fromLambda(lambda: bigint, p: Point, q: Point): Point {
  const x = mod(lambda * lambda - p.x - q.x, P);
  return { x, y: mod(lambda * (p.x - x) - p.y, P) };
}

function multiply(k: bigint, point: Point): CurvePoint {
  let result: CurvePoint = null;
  let addend: CurvePoint = point;
  for (let n = k; n > 0n; n >>= 1n) {
    if (n & 1n) result = add(result, addend);
    addend = add(addend, addend);
  }
  return result;
}

const toBigInt = (bytes: Uint8Array): bigint => (bytes.length === 0 ? 0n : BigInt(`0x${Buffer.from(bytes).toString('hex')}`));

function derInteger(value: bigint): Buffer {
  let hex = value.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  let bytes = Buffer.from(hex, 'hex');
  // DER integers are signed: a leading byte ≥ 0x80 needs a zero in front to stay positive.
  if (bytes[0]! >= 0x80) bytes = Buffer.concat([Buffer.of(0), bytes]);
  return Buffer.concat([Buffer.of(0x02, bytes.length), bytes]);
}

/** `SEQUENCE { INTEGER r, INTEGER s }`, the signature encoding AWS KMS returns. */
export function encodeDerSignature(r: bigint, s: bigint): Buffer {
  const body = Buffer.concat([derInteger(r), derInteger(s)]);
  return Buffer.concat([Buffer.of(0x30, body.length), body]);
}

/** The (r, s) of a DER signature, or undefined if it is not one (P-256 signatures are < 128 bytes). */
export function decodeDerSignature(der: Uint8Array): { r: bigint; s: bigint } | undefined {
  if (der.length < 8 || der[0] !== 0x30 || der[1] !== der.length - 2) return undefined;
  const values: bigint[] = [];
  let offset = 2;
  for (let i = 0; i < 2; i += 1) {
    const length = der[offset + 1];
    if (der[offset] !== 0x02 || length === undefined || length === 0 || offset + 2 + length > der.length) return undefined;
    values.push(toBigInt(der.subarray(offset + 2, offset + 2 + length)));
    offset += 2 + length;
  }
  if (offset !== der.length) return undefined;
  return { r: values[0]!, s: values[1]! };
}

function randomScalar(): bigint {
  for (;;) {
    const k = toBigInt(randomBytes(32));
    if (k > 0n && k < N) return k;
  }
}

/** Signs a 32-byte digest with the private scalar `d` (JWK `d`, big-endian). */
export function signDigest(d: Uint8Array, digest: Uint8Array): Buffer {
  const e = toBigInt(digest);
  const secret = toBigInt(d);
  for (;;) {
    const k = randomScalar();
    const point = multiply(k, G);
    if (point === null) continue;
    const r = mod(point.x, N);
    if (r === 0n) continue;
    const s = mod(invert(k, N) * (e + r * secret), N);
    if (s === 0n) continue;
    return encodeDerSignature(r, s);
  }
}

/** Verifies a DER signature over a 32-byte digest with the public point (JWK `x`, `y`). */
export function verifyDigest(publicKey: { x: Uint8Array; y: Uint8Array }, digest: Uint8Array, signature: Uint8Array): boolean {
  const decoded = decodeDerSignature(signature);
  if (decoded === undefined) return false;
  const { r, s } = decoded;
  if (r <= 0n || r >= N || s <= 0n || s >= N) return false;
  const w = invert(s, N);
  const q = { x: toBigInt(publicKey.x), y: toBigInt(publicKey.y) };
  const point = add(multiply(mod(toBigInt(digest) * w, N), G), multiply(mod(r * w, N), q));
  return point !== null && mod(point.x, N) === r;
}
