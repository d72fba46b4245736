// The platform module's public entry: configuration, logging, clock, ids, errors,
// database and (see jobs/) the durable job queue.
export { type Clock, ManualClock, systemClock } from './clock.ts';
export { type Config, type LogLevel, loadConfig } from './config.ts';
export {
  type Database,
  DatabaseUnavailableError,
  type DialectName,
  openDatabase,
  redactUrl,
} from './database/connect.ts';
export { isSchemaCurrent, MigrationError, migrateTo, migrateToLatest, migrationNames } from './database/migrate.ts';
export type { PlatformTables } from './database/tables.ts';
export {
  CofferError,
  ConfigError,
  ConflictError,
  ForbiddenError,
  NotFoundError,
  UnauthenticatedError,
  ValidationError,
} from './errors.ts';
export { newId } from './ids.ts';
export * from './jobs/index.ts';
export { createLogger, type Logger, redactedPaths } from './logger.ts';
export {
  decodeCursor,
  defaultPageSize,
  encodeCursor,
  maxPageSize,
  type Page,
  pageOf,
  pageQueryProperties,
  pageSize,
} from './paging.ts';
export type { AccessGuard, AuditEvent, AuditRecorder, Principal, RequestContext } from './request-context.ts';
