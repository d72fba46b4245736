// Public entry of the identity module: users, roles, privileges, sign-in, API keys,
// access decisions and the audit log.
import './deletion-guard.ts';

export { createAccessGuard } from './access.ts';
export { type AuditActor, actorOf, appendAudit, createAuditRecorder, systemActor, verifyAuditChain } from './audit.ts';
export { type Authenticated, type AuthenticationResult, authenticate, type SessionStage } from './authenticate.ts';
export { type BootstrapResult, bootstrapInstallation } from './bootstrap.ts';
export { type BuiltinRole, builtinRoleId, builtinRoles } from './builtin-roles.ts';
export {
  clearedSessionCookies,
  csrfCookieName,
  csrfHeaderName,
  parseCookies,
  sessionCookieName,
} from './cookies.ts';
export { CsrfError, identityErrorStatuses, SessionRestrictedError } from './errors.ts';
export { createMoveImpactProvider } from './move-impact.ts';
export {
  generatePassword,
  hashPassword,
  type PasswordHashing,
  productionHashing,
  testHashing,
  verifyPassword,
} from './passwords.ts';
export { isPrivilege, type Privilege, privileges } from './privileges.ts';
export { registerIdentityRoutes } from './routes.ts';
export { createIdentityRuntime, type IdentityOptions, type IdentityRuntime } from './runtime.ts';
export { createSecretBox, loadOrCreateSecretKey } from './secret-box.ts';
export type { IdentityTables, RoleTable, UserStatus, UserTable } from './tables.ts';
export { sameDigest, sha256Hex } from './tokens.ts';
export { identityBackground, purgeExpiredCredentials } from './upkeep.ts';
