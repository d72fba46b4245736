// Public entry of the protection module: the server side of the data plane (zones, vaults,
// data sources, enrolment, the agent protocol, blob index and snapshot catalog, schedules,
// jobs, retention and keyless prune, restores, raw consumption records, recovery keys).
import './guards.ts';
import './policy.ts';

export { runRebuildIndexCommand } from './admin-command.ts';
export { protectionBackground, protectionJobKinds, protectionTick, queueMaintenance } from './background.ts';
export { protectionErrorStatuses } from './errors.ts';
export { type ProtectionEvent, protectionEventSource } from './events.ts';
export { type BackupSchedule, defaultPolicy, type ProtectionPolicy, type RetentionRules } from './policy.ts';
export { type RebuildReport, rebuildIndexes, rebuildVaultIndex } from './rebuild.ts';
export { type MaintenanceReport, maintainVault } from './retention.ts';
export { registerProtectionRoutes } from './routes.ts';
export { createProtectionRuntime, defaultLimits, type ProtectionLimits, type ProtectionRuntime } from './runtime.ts';
export { configureProtection, type ProtectionOptions, type ProtectionServer, runtimeFor } from './server-deps.ts';
export { createDataSourceStatusProvider, type DataSourceBackupStatus } from './status-provider.ts';
export type { ProtectionTables } from './tables.ts';
