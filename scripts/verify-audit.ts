/**
 * Offline verifier of an exported audit log (`GET /v1/orgs/{orgId}/audit/export?format=jsonl`):
 * re-walks the hash chain and checks every digest's signature with the public key alone — no AWS
 * credentials, no network. The same verification the service runs (shared/domain/audit-digest.ts).
 *
 *   npm run verify-audit -- --public-key key.pem --log log.jsonl [--retention-days 400]
 *
 * Prints one verdict line; exit code 0 when the log verifies, 1 when it does not, 2 on bad usage.
 * The file is read line by line (three passes: head, digests, events), so memory stays flat.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import {
  signatureMatches,
  verifyLog,
  type SignedDigest,
  type StoredEvent,
} from '../shared/domain/audit-digest.ts';
import type { AuditEvent } from '../shared/ports/audit.ts';

interface HeadLine {
  readonly type: 'head';
  readonly orgId: string;
  readonly seq: number;
  readonly hash: string | null;
}

class UsageError extends Error {}

async function* lines(path: string): AsyncGenerator<Record<string, unknown>> {
  const reader = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  let number = 0;
  for await (const line of reader) {
    number += 1;
    if (line.trim() === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      throw new UsageError(`line ${number} is not JSON`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new UsageError(`line ${number} is not a JSON object`);
    yield parsed as Record<string, unknown>;
  }
}

async function readHead(path: string): Promise<HeadLine> {
  for await (const line of lines(path)) {
    if (line.type === 'head' && typeof line.orgId === 'string') return line as unknown as HeadLine;
  }
  throw new UsageError('the log has no head line (is it a jsonl export of the audit log?)');
}

async function* digestsOf(path: string): AsyncGenerator<SignedDigest> {
  for await (const line of lines(path)) {
    if (line.type !== 'digest') continue;
    const { type: _type, ...digest } = line;
    yield digest as unknown as SignedDigest;
  }
}

async function* eventsOf(path: string): AsyncGenerator<StoredEvent> {
  for await (const line of lines(path)) {
    if (line.type !== 'event') continue;
    const { type: _type, storedAt, ...event } = line;
    yield {
      event: event as unknown as AuditEvent,
      storedAt: typeof storedAt === 'number' ? storedAt : Number.NaN,
    };
  }
}

export async function verifyExport(options: {
  publicKey: KeyObject;
  logPath: string;
  retentionDays: number;
  now?: Date;
}): Promise<{ valid: boolean; verdict: string }> {
  const head = await readHead(options.logPath);
  const result = await verifyLog({
    orgId: head.orgId,
    events: eventsOf(options.logPath),
    digests: digestsOf(options.logPath),
    head: async () => (head.seq === 0 || head.hash === null ? undefined : { seq: head.seq, hash: head.hash }),
    checkSignature: (digest) => signatureMatches(options.publicKey, digest),
    retentionDays: options.retentionDays,
    now: options.now ?? new Date(),
  });
  const verdict = result.valid
    ? `VALID: ${result.events} events and ${result.digests} signed digests verify (organization ${head.orgId}, head ${head.seq})`
    : `INVALID: broken at event ${result.firstBrokenAt} (${result.reason}); ${result.events} events and ${result.digests} digests verified before it (organization ${head.orgId})`;
  return { valid: result.valid, verdict };
}

async function main(argv: readonly string[]): Promise<number> {
  try {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        'public-key': { type: 'string' },
        log: { type: 'string' },
        'retention-days': { type: 'string', default: '400' },
      },
      strict: true,
    });
    if (values['public-key'] === undefined || values.log === undefined)
      throw new UsageError('usage: verify-audit --public-key key.pem --log log.jsonl [--retention-days 400]');
    const retentionDays = Number(values['retention-days']);
    if (!Number.isInteger(retentionDays) || retentionDays < 1)
      throw new UsageError('--retention-days must be a whole number, at least 1');
    let publicKey: KeyObject;
    try {
      publicKey = createPublicKey(readFileSync(values['public-key'], 'utf8'));
    } catch {
      throw new UsageError('the public key file is not a PEM public key');
    }
    const { valid, verdict } = await verifyExport({ publicKey, logPath: values.log, retentionDays });
    process.stdout.write(`${verdict}\n`);
    return valid ? 0 : 1;
  } catch (error) {
    const message =
      error instanceof UsageError || (error instanceof Error && 'code' in error)
        ? error.message
        : 'the log could not be read';
    process.stderr.write(`verify-audit: ${message}\n`);
    return 2;
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
