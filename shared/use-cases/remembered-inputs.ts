/**
 * The inputs of the job-list decisions a warm instance made (organization, the caller's
 * membership and custom role, the orchestration), per organization, caller and orchestration, so
 * the next list of the same caller decides without reading them again. They are only ever a
 * guess: the answer decided on them is served only with the proof that they are unchanged,
 * committed with its audit append (jobs.ts `listJobs`). Bounded: the least recently used entry
 * goes first.
 */
import type { DecisionInputs } from '../ports/access-reads.ts';

export interface DecisionKey {
  readonly orgId: string;
  readonly userId: string;
  readonly orchestrationId: string;
}

const keyOf = ({ orgId, userId, orchestrationId }: DecisionKey): string =>
  JSON.stringify([orgId, userId, orchestrationId]);

export class RememberedInputs {
  private readonly entries = new Map<string, DecisionInputs>();

  /** `capacity`: decisions kept (each a few KB: the organization, membership, role and orchestration items). */
  constructor(private readonly capacity = 500) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new Error('The capacity must be a positive integer');
  }

  get(key: DecisionKey): DecisionInputs | undefined {
    const id = keyOf(key);
    const inputs = this.entries.get(id);
    if (inputs !== undefined) {
      // Map keeps insertion order: re-inserting makes this entry the most recently used.
      this.entries.delete(id);
      this.entries.set(id, inputs);
    }
    return inputs;
  }

  remember(key: DecisionKey, inputs: DecisionInputs): void {
    const id = keyOf(key);
    this.entries.delete(id);
    this.entries.set(id, inputs);
    if (this.entries.size > this.capacity) {
      const eldest = this.entries.keys().next();
      if (eldest.done !== true) this.entries.delete(eldest.value);
    }
  }

  forget(key: DecisionKey): void {
    this.entries.delete(keyOf(key));
  }
}
