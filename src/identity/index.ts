// Public entry of the identity module: users, roles, privileges, sign-in, access decisions.
export { type BootstrapResult, bootstrapInstallation } from './bootstrap.ts';
export { type BuiltinRole, builtinRoleId, builtinRoles } from './builtin-roles.ts';
export { generatePassword, hashPassword, verifyPassword } from './passwords.ts';
export { isPrivilege, type Privilege, privileges } from './privileges.ts';
export type { IdentityTables, RoleTable, UserStatus, UserTable } from './tables.ts';
