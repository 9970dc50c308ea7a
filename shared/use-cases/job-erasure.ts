/**
 * What erasing one job means, for every path that erases on the organization's behalf: a data
 * subject's request (subject-erasure.ts) and retention (retention.ts) plan the same change.
 *
 * `delete` removes the job. `anonymize` keeps it for statistics without anything personal: every
 * field marked `personal` (or the subject) is removed, encrypted or not, so not even its
 * ciphertext remains, and so is any value of a field no longer defined; the blind index goes too,
 * so the job no longer belongs to anyone, and the restriction with the data it protected. The job
 * is marked anonymized, which takes it out of the retention index.
 */
import type { FieldValue, Orchestration } from '../domain/orchestration.ts';
import type { JobBatchChange, StoredJob } from '../ports/jobs.ts';

export type ErasureMode = 'delete' | 'anonymize';

export function erasureChange(
  orchestration: Pick<Orchestration, 'fields'>,
  job: StoredJob,
  mode: ErasureMode,
  now: Date,
): JobBatchChange {
  if (mode === 'delete') return { kind: 'delete', job };
  const personal = new Set(orchestration.fields.filter((f) => f.personal || f.subject).map((f) => f.id));
  const known = new Set(orchestration.fields.map((f) => f.id));
  const fields: Record<string, FieldValue> = {};
  for (const [fieldId, value] of Object.entries(job.fields))
    if (known.has(fieldId) && !personal.has(fieldId)) fields[fieldId] = value;
  const { subjectIndex: _index, restriction: _restriction, ...rest } = job;
  const at = now.toISOString();
  const next: StoredJob = { ...rest, fields, anonymizedAt: at, version: job.version + 1, updatedAt: at };
  return { kind: 'replace', next, allowRestricted: true };
}
