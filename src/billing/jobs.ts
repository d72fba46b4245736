import type { Clock, Database, JobHandler, ScheduleInput } from '../platform/index.ts';
import { epochDayOf, formatDay } from '../usage/index.ts';
import { latestRunDay } from './calendar.ts';
import { listSellers } from './contract-store.ts';
import { billingDb } from './db.ts';
import { billingDayOf } from './profile-store.ts';
import { runBilling } from './run.ts';
import { findRunOf } from './run-store.ts';

/** Job kind of the daily check that runs every seller's billing when its billing day has come. */
export const billingDailyJob = 'billing.daily';

/** What one daily check did. */
export interface DueBillingResult {
  readonly runs: readonly { sellerBuId: string; runDate: string; runId: string; lineCount: number }[];
}

/**
 * For every seller with contracts: if its latest billing day up to today has no posted
 * run, runs it (a run missed while no server was up is caught up the next day). Nothing is
 * created for a seller with nothing due.
 */
export async function runDueBilling(database: Database, now: number): Promise<DueBillingResult> {
  const db = billingDb(database);
  const today = epochDayOf(now);
  const runs: { sellerBuId: string; runDate: string; runId: string; lineCount: number }[] = [];
  for (const sellerBuId of await listSellers(db)) {
    const runDay = latestRunDay(today, await billingDayOf(db, sellerBuId));
    if ((await findRunOf(db, sellerBuId, runDay))?.status === 'posted') continue;
    const run = await runBilling(database, { sellerBuId, runDay, now, trigger: 'schedule', skipEmpty: true });
    if (run) runs.push({ sellerBuId, runDate: formatDay(runDay), runId: run.id, lineCount: Number(run.line_count) });
  }
  return { runs };
}

/** Job handlers of the billing module, by kind, for the server's worker. */
export function billingJobHandlers(deps: { database: Database; clock: Clock }) {
  return {
    [billingDailyJob]: async () => runDueBilling(deps.database, deps.clock.now()),
  } as const;
}

/**
 * The billing module's background work, in the shape the server's background machinery
 * takes (`BackgroundContribution`): the daily check at 00:30 UTC, after the usage day close
 * at 00:05, so the last day of a period is final. Runs happen on each seller's billing day.
 */
export function billingBackground(deps: { database: Database; clock: Clock }): {
  handlers: Record<string, JobHandler>;
  schedules: ScheduleInput[];
} {
  return {
    handlers: billingJobHandlers(deps),
    schedules: [{ name: billingDailyJob, cron: '30 0 * * *', timezone: 'UTC', jobKind: billingDailyJob }],
  };
}
