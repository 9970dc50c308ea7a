/**
 * Scoping a personal data breach (GDPR Art. 33) from the audit log: which events of a time window
 * disclosed personal data, and of what. Pure: the use case reads the window and resolves what the
 * disclosures point at (jobs, an export's orchestration, a subject's jobs).
 *
 * What counts as a disclosure is what the audit log records as one, with outcome `success`:
 *   job.read        a job read with fields decrypted (one job, or a list naming its jobIds)
 *   job.export      one job as a file
 *   job.share       one job sent to an extension
 *   export.download a download URL of an export handed out (the export names its orchestration)
 *   backup.download a backup's download URL handed out (the whole organization)
 *   subject.access  an access report about one subject (named by blind index)
 * Reads that decrypted nothing are not audited (API.md), so they cannot be scoped from the log.
 */
import { ValidationError } from './errors.ts';
import type { ListedEvent } from './audit-event.ts';

/** A window may span at most 90 days: a bounded read, and what a 72-hour notification needs. */
export const MAX_WINDOW_DAYS = 90;

export type DisclosureKind = 'read' | 'export' | 'share' | 'download' | 'access';

export type Disclosure =
  | { readonly target: 'jobs'; readonly kind: DisclosureKind; readonly jobIds: readonly string[] }
  | { readonly target: 'export'; readonly kind: 'download'; readonly exportId: string }
  | { readonly target: 'organization'; readonly kind: 'download' }
  | { readonly target: 'subject'; readonly kind: 'access'; readonly subjectIndex: string };

/** What `event` disclosed, or undefined when it disclosed no personal data. */
export function disclosureOf(event: ListedEvent): Disclosure | undefined {
  if (event.outcome !== 'success') return undefined;
  switch (event.action) {
    case 'job.read': {
      if (event.resource.type === 'job') return { target: 'jobs', kind: 'read', jobIds: [event.resource.id] };
      const listed = event.detail?.jobIds;
      return typeof listed === 'string' && listed !== ''
        ? { target: 'jobs', kind: 'read', jobIds: listed.split(',') }
        : undefined;
    }
    case 'job.export':
      return { target: 'jobs', kind: 'export', jobIds: [event.resource.id] };
    case 'job.share':
      return { target: 'jobs', kind: 'share', jobIds: [event.resource.id] };
    case 'export.download':
      return { target: 'export', kind: 'download', exportId: event.resource.id };
    case 'backup.download':
      return { target: 'organization', kind: 'download' };
    case 'subject.access':
      return { target: 'subject', kind: 'access', subjectIndex: event.resource.id };
    default:
      return undefined;
  }
}

export interface IncidentWindow {
  readonly from: string;
  readonly to: string;
}

/** The window in the stored form (ISO UTC with milliseconds); 400 unless from < to and it spans at most 90 days. */
export function incidentWindow(from: string, to: string): IncidentWindow {
  const start = Date.parse(from);
  const end = Date.parse(to);
  if (Number.isNaN(start) || Number.isNaN(end))
    throw new ValidationError('from and to must be ISO 8601 times', [
      { path: 'body.from', message: 'not a time' },
    ]);
  if (start >= end)
    throw new ValidationError('The window must end after it starts', [
      { path: 'body.to', message: 'not after from' },
    ]);
  if (end - start > MAX_WINDOW_DAYS * 24 * 60 * 60 * 1000) {
    throw new ValidationError(
      `A window spans at most ${MAX_WINDOW_DAYS} days; scope a longer incident window by window`,
      [{ path: 'body.to', message: `more than ${MAX_WINDOW_DAYS} days after from` }],
    );
  }
  return { from: new Date(start).toISOString(), to: new Date(end).toISOString() };
}
