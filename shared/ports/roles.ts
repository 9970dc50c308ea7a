/** Custom roles of an organization (built-in roles are not stored). */
import type { CustomRole } from '../domain/organization.ts';
import type { AuditEntry } from './audit.ts';

export interface RoleStore {
  list(orgId: string): Promise<CustomRole[]>;
  get(orgId: string, roleId: string): Promise<CustomRole | undefined>;
  create(role: CustomRole, audit: AuditEntry): Promise<void>;
  /** Replaces the role if it still carries `expectedUpdatedAt` (ConflictError otherwise, NotFoundError if gone). */
  update(role: CustomRole, expectedUpdatedAt: string, audit: AuditEntry): Promise<void>;
  /** NotFoundError when the role is gone. Whether members still hold it is the caller's check. */
  delete(orgId: string, roleId: string, audit: AuditEntry): Promise<void>;
}
