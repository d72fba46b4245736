// Public entry of the usage module: consumption samples, subtree roll-ups, history, quotas.
export { type ChildUsage, type ChildUsageSort, childrenUsage, childUsageSorts } from './children-store.ts';
export { type CloseDaysResult, carryForward, closeDays, finalizeDay } from './day-store.ts';
export { calendarOf, daysInMonth, epochDay, epochDayOf, formatDay, msPerDay, parseDay } from './days.ts';
export { QuotaExceededError } from './errors.ts';
export { addFigures, type UsageFigures, zeroFigures } from './figures.ts';
export { usageBackground, usageCloseDaysJob, usageJobHandlers, usageQuotaCheckJob } from './jobs.ts';
export {
  assertBackupAllowed,
  classifyQuota,
  markUsageEventsDelivered,
  pendingUsageEvents,
  type QuotaChange,
  type QuotaStatus,
  quotaState,
  refreshQuotaStates,
  type UsageEvent,
} from './quota.ts';
export {
  type Reconciliation,
  reconcileUsage,
  recordZoneMeasurement,
  type UnassignedDataSource,
  type ZoneMeasurement,
  type ZoneReconciliation,
} from './reconciliation-store.ts';
export {
  type DailyUsage,
  maxHistoryDays,
  subtreeUsageHistory,
  subtreeUsageNow,
  subtreeUsageOnDay,
} from './rollup-store.ts';
export { registerUsageRoutes } from './routes.ts';
export { type ConsumptionSample, recordConsumption, retireDataSource } from './sample-store.ts';
export type { QuotaStateName, UsageTables } from './tables.ts';
