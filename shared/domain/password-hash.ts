/**
 * Slow, salted hashes of backup passwords, so a stolen link record does not give the password
 * that opens the ZIP. scrypt (RFC 7914) from node:crypto: memory-hard, no native add-on.
 * Encoded self-describing, `scrypt$ln=15,r=8,p=1$<salt>$<hash>` (base64url), so the cost can be
 * raised later without breaking stored hashes. The password itself is never logged nor stored,
 * and it is hashed exactly as typed (no Unicode normalization): the same string opens the ZIP.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const SCHEME = 'scrypt';
const DEFAULT_LOG2_N = 15;
const BLOCK_SIZE = 8;
const PARALLELISM = 1;
const SALT_BYTES = 16;
const KEY_BYTES = 32;
/** Refuses stored parameters that would make one verification eat the machine (a tampered record). */
const MAX_LOG2_N = 20;
const ENCODED = /^scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9_-]{16,})\$([A-Za-z0-9_-]{32,})$/;

function derive(
  password: string,
  salt: Buffer,
  log2N: number,
  r: number,
  p: number,
  length: number,
): Promise<Buffer> {
  const N = 2 ** log2N;
  // scrypt needs 128·N·r bytes; Node's default ceiling (32 MiB) is exactly that for N=2^15, r=8.
  const options: ScryptOptions = { N, r, p, maxmem: 2 * 128 * N * r };
  return new Promise((resolve, reject) => {
    scrypt(password, salt, length, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

export async function hashPassword(password: string, log2N: number = DEFAULT_LOG2_N): Promise<string> {
  if (password.length === 0) throw new Error('Cannot hash an empty password');
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, log2N, BLOCK_SIZE, PARALLELISM, KEY_BYTES);
  return `${SCHEME}$ln=${log2N},r=${BLOCK_SIZE},p=${PARALLELISM}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

/** True when `password` is the one `encoded` was made from; compares in constant time. */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const match = ENCODED.exec(encoded);
  if (!match) return false;
  const [, ln, r, p, salt, hash] = match;
  const log2N = Number(ln);
  const blockSize = Number(r);
  const parallelism = Number(p);
  if (
    log2N < 10 ||
    log2N > MAX_LOG2_N ||
    blockSize < 1 ||
    blockSize > 16 ||
    parallelism < 1 ||
    parallelism > 4
  )
    return false;
  const expected = Buffer.from(hash ?? '', 'base64url');
  const actual = await derive(
    password,
    Buffer.from(salt ?? '', 'base64url'),
    log2N,
    blockSize,
    parallelism,
    expected.length,
  );
  return timingSafeEqual(actual, expected);
}
