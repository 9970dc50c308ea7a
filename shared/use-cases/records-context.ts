/** What every use case over an organization's jobs works with: one type, extended where a use case needs more. */
import type { Unchanged } from '../ports/access-reads.ts';
import type { AuditActor, AuditDraft, AuditEntry } from '../ports/audit.ts';
import type { Clock } from '../ports/clock.ts';
import type { JobStore } from '../ports/jobs.ts';
import type { Keys } from '../ports/keys.ts';
import type { OrchestrationStore } from '../ports/orchestrations.ts';
import type { OrganizationStore } from '../ports/organizations.ts';

/** Appends audit events that go with no change (reads that decrypted fields). */
export interface ReadAudit {
  append(draft: AuditDraft, actor: AuditActor): Promise<unknown>;
}

/**
 * The read audit of an answer decided on inputs an earlier request read (jobs.ts, a warm list):
 * its event, if the answer discloses anything, lands only together with the proof that those
 * inputs are unchanged; without an event the proof is committed alone. InputsChanged (nothing
 * written) when one changed: the answer must then be thrown away.
 */
export interface GuardedAudit extends ReadAudit {
  appendIfUnchanged(unchanged: readonly Unchanged[], entry?: AuditEntry): Promise<void>;
}

/** The records, the keys, the clock and the audit log (built by `services.jobDeps`). */
export interface RecordsContext {
  readonly orgs: OrganizationStore;
  readonly orchestrations: OrchestrationStore;
  readonly jobs: JobStore;
  readonly keys: Keys;
  readonly clock: Clock;
  readonly audit: ReadAudit;
}
