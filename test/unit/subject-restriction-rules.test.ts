/** The restriction rule and how subject requests split into transactions (no network). */
import type { Actor } from '../../shared/domain/authorization.ts';
import { RestrictedError } from '../../shared/domain/errors.ts';
import { SUBJECT_BATCH_LIMIT, type JobBatchChange, type StoredJob } from '../../shared/ports/jobs.ts';
import {
  assertProcessable,
  mayProcess,
  PROCESSING_OPERATIONS,
  type ProcessingOperation,
} from '../../shared/use-cases/restriction.ts';
import { batchesOf } from '../../shared/use-cases/subject-jobs.ts';

const actor = (role: string): Actor => ({
  membership: { orgId: 'o', userId: 'u', email: 'u@example.test', role, addedAt: '', addedBy: '' },
});
const restricted = { restriction: { reason: 'contested', at: '2026-01-01T00:00:00Z', by: 'u' } };
const operations = Object.keys(PROCESSING_OPERATIONS) as ProcessingOperation[];

test.each(operations)('%s: an unrestricted job is processable by anyone', (operation) => {
  expect(mayProcess({}, operation, actor('member'))).toBe(true);
});

test.each(operations.filter((op) => op !== 'job.export'))(
  '%s: a restricted job is refused, even for an owner',
  (operation) => {
    expect(() => assertProcessable(restricted, operation, actor('owner'))).toThrow(RestrictedError);
  },
);

test('exports: only owners may still include a restricted job', () => {
  expect(mayProcess(restricted, 'job.export', actor('owner'))).toBe(true);
  expect(mayProcess(restricted, 'job.export', actor('admin'))).toBe(false);
  expect(mayProcess(restricted, 'job.export')).toBe(false);
});

test('without an operation the rule is strict', () => {
  expect(() => assertProcessable(restricted)).toThrow(RestrictedError);
});

const job = (i: number, text = ''): StoredJob => ({
  orgId: 'o',
  jobId: `J${i}`,
  orchestrationId: 'x',
  ownerId: 'u',
  stage: 'new',
  fields: { note: text },
  version: 1,
  createdAt: '',
  updatedAt: '',
});
const replace = (i: number, text = ''): JobBatchChange => ({
  kind: 'replace',
  next: { ...job(i, text), version: 2 },
  allowRestricted: false,
});

test('batches hold at most SUBJECT_BATCH_LIMIT jobs, in order', () => {
  const changes = Array.from({ length: SUBJECT_BATCH_LIMIT * 2 + 3 }, (_, i) => replace(i));
  const batches = batchesOf(changes);
  expect(batches.map((b) => b.length)).toEqual([SUBJECT_BATCH_LIMIT, SUBJECT_BATCH_LIMIT, 3]);
  expect(batches.flat()).toEqual(changes);
});

test('large jobs split batches by size (a transaction carries at most 4 MB)', () => {
  const big = 'x'.repeat(390_000);
  const batches = batchesOf(Array.from({ length: 12 }, (_, i) => replace(i, big)));
  expect(batches.length).toBeGreaterThan(1);
  for (const batch of batches) expect(JSON.stringify(batch).length).toBeLessThan(4_000_000);
});

test('no changes, no batches', () => {
  expect(batchesOf([])).toEqual([]);
});
