import type { FieldAccess, Permission } from './permissions.ts';

export type OrganizationStatus = 'active' | 'pending_deletion' | 'deleting';

export interface Organization {
  readonly orgId: string;
  readonly name: string;
  readonly status: OrganizationStatus;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly createdBy: string;
  /** Set while pending deletion: who asked and when. */
  readonly deletionRequestedAt?: string;
  readonly deletionRequestedBy?: string;
  /** Whether the public intake of data subject requests is open; absent means open (the default). */
  readonly requestIntake?: boolean;
}

export interface Membership {
  readonly orgId: string;
  readonly userId: string;
  readonly email: string;
  /** `owner`, `admin`, `member`, or a custom role's id. */
  readonly role: string;
  readonly addedAt: string;
  readonly addedBy: string;
}

export interface CustomRole {
  readonly orgId: string;
  readonly roleId: string;
  readonly name: string;
  readonly permissions: readonly Permission[];
  /** orchestrationId → fieldId → access. Fields not listed are writable. */
  readonly fieldPermissions: Readonly<Record<string, Readonly<Record<string, FieldAccess>>>>;
  readonly createdAt: string;
  readonly updatedAt: string;
}
