/** Organizations, their members and custom roles. */
import type { CustomRole, Membership, Organization } from '../domain/organization.ts';
import type { WrappedDataKey } from './keys.ts';
import type { AuditEntry } from './audit.ts';

export interface OrganizationRecord extends Organization {
  /** The organization's data keys, wrapped by KMS; newest last. Deleting them crypto-shreds the organization. */
  readonly wrappedKeys: readonly WrappedDataKey[];
  readonly ownerCount: number;
  /** When a job was first offered to an extension (set with that share's record, never removed): no recipients before it (Art. 19). */
  readonly firstShareAt?: string;
}

export interface OrganizationChange {
  readonly name: string;
  readonly requestIntake?: boolean | undefined;
}

/** The organization and the caller's membership, read together. */
export interface OrgAndMembership {
  readonly org: OrganizationRecord | undefined;
  readonly membership: Membership | undefined;
}

export interface OrganizationStore {
  create(org: OrganizationRecord, owner: Membership, audit: AuditEntry): Promise<void>;
  get(orgId: string): Promise<OrganizationRecord | undefined>;
  /** Several organizations by id (missing ones are absent from the map). */
  getMany(orgIds: readonly string[]): Promise<Map<string, OrganizationRecord>>;
  getWithMembership(orgId: string, userId: string): Promise<OrgAndMembership>;
  /** Rectifies the details of an active organization: its name, whether request intake is open. */
  update(
    orgId: string,
    change: OrganizationChange,
    at: string,
    audit: AuditEntry,
  ): Promise<OrganizationRecord>;
  /**
   * Appends a data key version to an active organization's list, with its audit event, if the
   * list still holds `expectedCount` versions: of two concurrent rotations only one wins
   * (ConflictError for the other, NotFoundError when the organization is not active).
   */
  appendKey(orgId: string, expectedCount: number, wrapped: WrappedDataKey, audit: AuditEntry): Promise<void>;

  /**
   * Closes an active organization for deletion: status `pending_deletion`, who and when, and its
   * pending-deletion marker (found by the clean-up cycle even without a queue message), with the
   * audit event, in one transaction. NotFound when it is not active.
   */
  requestDeletion(orgId: string, requestedBy: string, at: string, audit: AuditEntry): Promise<void>;
  /** Back to active while still pending; Conflict once a clean-up cycle has started on it. */
  cancelDeletion(orgId: string, at: string, audit: AuditEntry): Promise<OrganizationRecord>;

  listMembers(orgId: string): Promise<Membership[]>;
  getMember(orgId: string, userId: string): Promise<Membership | undefined>;
  /** Conflict when the user is already a member. */
  addMember(member: Membership, audit: AuditEntry): Promise<void>;
  /** Conflict when the change would leave the organization without an owner. */
  changeRole(orgId: string, userId: string, from: string, to: string, audit: AuditEntry): Promise<Membership>;
  /** Conflict when the member is the last owner. */
  removeMember(member: Membership, audit: AuditEntry): Promise<void>;
  /**
   * Removes the user's own membership whatever the organization's status (account deletion),
   * keeping the last-owner rule: Conflict when the member is its last owner.
   */
  leave(member: Membership, audit: AuditEntry): Promise<void>;
  /** Every membership of a user, across organizations. */
  membershipsOf(userId: string): Promise<Membership[]>;

  getRole(orgId: string, roleId: string): Promise<CustomRole | undefined>;
}
