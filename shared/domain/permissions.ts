/** The permissions a custom role can carry (API.md, "Roles and permissions"). */
export const PERMISSIONS = [
  'org.update',
  'members.manage',
  'roles.manage',
  'orchestrations.manage',
  'jobs.read_all',
  'jobs.write_all',
  'jobs.delete',
  'jobs.export',
  'records.restrict',
  'records.hold',
  'subjects.access',
  'subjects.erase',
  'audit.read',
  'extensions.manage',
  'requests.manage',
] as const;

export type Permission = (typeof PERMISSIONS)[number];

export const BUILT_IN_ROLES = ['owner', 'admin', 'member'] as const;
export type BuiltInRole = (typeof BUILT_IN_ROLES)[number];

export function isBuiltInRole(role: string): role is BuiltInRole {
  return (BUILT_IN_ROLES as readonly string[]).includes(role);
}

/** What each built-in role may do. Owners can do everything; see authorization.ts for the rest. */
export const BUILT_IN_PERMISSIONS: Readonly<Record<BuiltInRole, ReadonlySet<Permission>>> = {
  owner: new Set(PERMISSIONS),
  admin: new Set(PERMISSIONS.filter((p) => p !== 'audit.read')),
  member: new Set<Permission>(),
};

export const FIELD_ACCESS = ['hidden', 'read', 'write'] as const;
export type FieldAccess = (typeof FIELD_ACCESS)[number];
