/**
 * Field-encryption benchmark (measurements, not pass/fail):
 * - `kms_calls_per_10k`: KMS requests on the wire (counted by an SDK middleware) while one warm
 *   process opens 10,000 encrypted fields of one organization through OrgCrypto + KmsKeys, starting
 *   from a cold key cache, against the local KMS endpoint it starts itself. Goal: ≤ 1.
 * - `seal_open_ops_per_s` / `raw_aes_gcm_ops_per_s`: seal+open pairs per second of field-sealing
 *   and of bare node:crypto AES-256-GCM on the same plaintext, each the median of 5 runs;
 *   `seal_ratio` is the first over the second (1.0 = sealing costs nothing on top of AES-GCM).
 * Run alone with `npx tsx bench/kms.bench.ts`.
 */
import { KMSClient } from '@aws-sdk/client-kms';
import { createCipheriv, createDecipheriv, createSecretKey, randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FIELD_KEY_ALIAS, startKmsServer } from '../infra/local/kms-server.ts';
import { KmsKeys } from '../shared/adapters/aws/kms-keys.ts';
import { openValue, sealValue, type SealContext } from '../shared/domain/field-sealing.ts';
import { OrgCrypto, newKeyVersion } from '../shared/domain/org-crypto.ts';

const FIELD_READS = 10_000;
const THROUGHPUT_OPS = 20_000;
const RUNS = 5;
/** A typical encrypted field: an email address plus a little. */
const PLAINTEXT = 'jane.doe+orders@example.com, +44 20 7946 0958';

function countingClient(endpoint: string): { client: KMSClient; count: () => number } {
  // Dummy credentials: the local endpoint does not check SigV4 signatures.
  const client = new KMSClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  let calls = 0;
  client.middlewareStack.add(
    (next) => (args) => {
      calls += 1;
      return next(args);
    },
    // Once per request sent, retries included.
    { step: 'deserialize', name: 'countKmsCalls' },
  );
  return { client, count: () => calls };
}

async function kmsCallsPer10k(): Promise<number> {
  const server = await startKmsServer({ port: 0 });
  try {
    const writer = countingClient(server.url);
    const writerKeys = new KmsKeys(writer.client, FIELD_KEY_ALIAS);
    const wrappedKeys = [await newKeyVersion(writerKeys, 'bench-org', [])];
    const sealer = new OrgCrypto(writerKeys, 'bench-org', wrappedKeys);
    const sealed: string[] = [];
    for (let i = 0; i < FIELD_READS; i += 1) sealed.push(await sealer.seal(`job-${i}`, 'email', PLAINTEXT));

    // The reading function: its own client and a cold cache, as after a cold start.
    const reader = countingClient(server.url);
    const crypto = new OrgCrypto(new KmsKeys(reader.client, FIELD_KEY_ALIAS), 'bench-org', wrappedKeys);
    for (let i = 0; i < FIELD_READS; i += 1) await crypto.open(`job-${i}`, 'email', sealed[i]!);
    return reader.count();
  } finally {
    await server.close();
  }
}

function opsPerSecond(run: () => void): number {
  const started = process.hrtime.bigint();
  for (let i = 0; i < THROUGHPUT_OPS; i += 1) run();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return THROUGHPUT_OPS / seconds;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function throughput(): { sealing: number; raw: number } {
  const dataKey = randomBytes(32);
  const context: SealContext = { orgId: 'bench-org', recordId: 'job-1', fieldId: 'email' };
  const sealOpen = (): void => {
    if (openValue(dataKey, context, sealValue(dataKey, 'k1', context, PLAINTEXT)) !== PLAINTEXT)
      throw new Error('field sealing round trip failed');
  };
  // The baseline gets the same advantage sealing has (a KeyObject, not a Buffer imported per call).
  const rawKey = createSecretKey(dataKey);
  const rawOpen = (): void => {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', rawKey, iv);
    const ciphertext = Buffer.concat([cipher.update(PLAINTEXT, 'utf8'), cipher.final()]);
    const decipher = createDecipheriv('aes-256-gcm', rawKey, iv);
    decipher.setAuthTag(cipher.getAuthTag());
    if (Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8') !== PLAINTEXT)
      throw new Error('raw round trip failed');
  };
  // Warm both paths up (JIT, the memoised sub-key) before measuring.
  for (let i = 0; i < 2_000; i += 1) {
    sealOpen();
    rawOpen();
  }
  const sealing: number[] = [];
  const raw: number[] = [];
  // Interleaved, so drift in machine load hits both sides alike.
  for (let run = 0; run < RUNS; run += 1) {
    sealing.push(opsPerSecond(sealOpen));
    raw.push(opsPerSecond(rawOpen));
  }
  return { sealing: median(sealing), raw: median(raw) };
}

export async function runKmsBench(): Promise<Record<string, number>> {
  const kmsCalls = await kmsCallsPer10k();
  const { sealing, raw } = throughput();
  return {
    kms_calls_per_10k: kmsCalls,
    seal_open_ops_per_s: Math.round(sealing),
    raw_aes_gcm_ops_per_s: Math.round(raw),
    seal_ratio: Number((sealing / raw).toFixed(3)),
  };
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  console.log(JSON.stringify(await runKmsBench(), null, 2));
}
