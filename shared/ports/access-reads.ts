/**
 * What an authorization decision over jobs needs, read in one round trip: the organization, the
 * caller's membership (and custom role), the job, its orchestration. Every item is read
 * consistently, so a membership removed or an access limit narrowed a moment ago already counts.
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

export interface AccessReads {
  /** The organization and what `request` names, in one batched read. */
  read(orgId: string, request: AccessReadRequest): Promise<AccessReadResult>;
}
