import type { Clock, Database } from '../platform/index.ts';
import { closeDays } from './day-store.ts';
import { refreshQuotaStates } from './quota.ts';

/** Job kinds of the usage module. */
export const usageCloseDaysJob = 'usage.close-days';
export const usageQuotaCheckJob = 'usage.quota-check';

/** Job handlers of the usage module, by kind, for the server's worker. */
export function usageJobHandlers(deps: { database: Database; clock: Clock }) {
  return {
    [usageCloseDaysJob]: async () => {
      const result = await closeDays(deps.database, deps.clock.now());
      return { carried: result.carried, finalized: result.finalized.length };
    },
    [usageQuotaCheckJob]: async () => {
      const changes = await refreshQuotaStates(deps.database, deps.clock.now());
      return { changes: changes.length };
    },
  } as const;
}

/** The part of the platform scheduler usage needs. */
export interface ScheduleDeclarer {
  upsertSchedule(input: {
    name: string;
    cron: string;
    timezone?: string;
    jobKind: string;
    payload?: unknown;
  }): Promise<unknown>;
}

/**
 * Declares the usage schedules: the day close just after midnight UTC (carry samples into
 * the new day, finalize yesterday), and the quota check every 15 minutes.
 */
export async function declareUsageSchedules(scheduler: ScheduleDeclarer): Promise<void> {
  await scheduler.upsertSchedule({
    name: usageCloseDaysJob,
    cron: '5 0 * * *',
    timezone: 'UTC',
    jobKind: usageCloseDaysJob,
  });
  await scheduler.upsertSchedule({
    name: usageQuotaCheckJob,
    cron: '*/15 * * * *',
    timezone: 'UTC',
    jobKind: usageQuotaCheckJob,
  });
}
