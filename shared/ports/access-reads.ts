/**
 * What an authorization decision over jobs needs, read in one round trip: the organization, the
 * caller's membership (and custom role), the job, its orchestration. Every item is read
 * consistently, so a membership removed or an access limit narrowed a moment ago already counts.
 * A decision made on items read by an earlier request is served only with the proof that they
 * are unchanged (`unchangedSince`), committed atomically with the answer's audit append.
 */
import type { CustomRole, Membership } from '../domain/organization.ts';
import type { StoredJob } from './jobs.ts';
import type { OrchestrationRecord } from './orchestrations.ts';
import type { OrganizationRecord } from './organizations.ts';

/** The items to read besides the organization; each one asked for is absent from the answer when it does not exist. */
export interface AccessReadRequest {
  readonly userId?: string;
  readonly jobId?: string;
  readonly orchestrationId?: string;
  readonly roleId?: string;
}

export interface AccessReadResult {
  readonly org: OrganizationRecord | undefined;
  readonly membership?: Membership;
  readonly job?: StoredJob;
  readonly orchestration?: OrchestrationRecord;
  readonly customRole?: CustomRole;
}

/** The items a decision over an orchestration's jobs was made on, as they were read. */
export interface DecisionInputs {
  readonly org: OrganizationRecord;
  readonly membership: Membership;
  /** The custom role the membership names; absent for a built-in role, or when the role was not found. */
  readonly customRole?: CustomRole;
  readonly orchestration: OrchestrationRecord;
}

declare const unchangedBrand: unique symbol;
/**
 * That an item a decision read is still as it was in everything a decision uses (a membership's
 * role, a custom role's permissions, an orchestration's revision, an organization's status and
 * keys), or still missing. Opaque to the use cases: built by `AccessReads.unchangedSince`, checked
 * by the audit append that serves the answer (`GuardedAudit` in use-cases/records-context.ts).
 */
export type Unchanged = { readonly [unchangedBrand]: true };

/** An input of a decision changed since it was read: the answer made on it must be thrown away. */
export class InputsChanged extends Error {
  constructor() {
    super('An input of the decision changed since it was read');
  }
}

export interface AccessReads {
  /** The organization and what `request` names, in one batched read. */
  read(orgId: string, request: AccessReadRequest): Promise<AccessReadResult>;
  /** One condition per input (a custom role the membership names but that was not found: still missing). */
  unchangedSince(inputs: DecisionInputs): readonly Unchanged[];
}
