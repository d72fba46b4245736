import type { Clock, Database, JobHandler, ScheduleInput } from '../platform/index.ts';
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

/**
 * The usage module's background work, in the shape the server's background machinery takes
 * (`BackgroundContribution`): the day close just after midnight UTC (carry samples into the
 * new day, finalize yesterday) and the quota check every 15 minutes.
 */
export function usageBackground(deps: { database: Database; clock: Clock }): {
  handlers: Record<string, JobHandler>;
  schedules: ScheduleInput[];
} {
  return {
    handlers: usageJobHandlers(deps),
    schedules: [
      { name: usageCloseDaysJob, cron: '5 0 * * *', timezone: 'UTC', jobKind: usageCloseDaysJob },
      { name: usageQuotaCheckJob, cron: '*/15 * * * *', timezone: 'UTC', jobKind: usageQuotaCheckJob },
    ],
  };
}
