import type { Clock, Config, Database, Job, JobHandler, JobQueue, Logger, ScheduleInput } from '../platform/index.ts';
import { protectionDb } from './db.ts';
import { catchUp, failSilentJobs } from './jobs.ts';
import { maintainVault } from './retention.ts';
import type { ProtectionRuntime } from './runtime.ts';
import { type ProtectionOptions, runtimeFor } from './server-deps.ts';
import { findDataSource, listActiveDataSourceIds, listVaultIds } from './source-store.ts';

/** Job kinds of the data path. */
export const protectionJobKinds = {
  tick: 'protection.tick',
  maintenance: 'protection.maintenance',
  prune: 'protection.prune',
} as const;

/**
 * The minute tick: due schedule slots of every active data source become jobs, scheduled
 * jobs past their grace window are recorded missed, and running jobs whose agent went
 * silent are failed. Returns counts for the job's result.
 */
export async function protectionTick(
  rt: ProtectionRuntime,
): Promise<{ dataSources: number; silentJobsFailed: number }> {
  const db = protectionDb(rt.database);
  const ids = await listActiveDataSourceIds(db);
  for (const id of ids) {
    const source = await findDataSource(db, id);
    if (!source) continue;
    try {
      await catchUp(rt, source);
    } catch (error) {
      rt.log.error({ err: error, dataSource: id }, 'schedule catch-up failed');
    }
  }
  return { dataSources: ids.length, silentJobsFailed: await failSilentJobs(rt) };
}

/** Queues a maintenance pass for every vault (once per vault and day). */
export async function queueMaintenance(rt: ProtectionRuntime): Promise<{ vaults: number }> {
  const ids = await listVaultIds(protectionDb(rt.database));
  const day = Math.floor(rt.clock.now() / 86_400_000);
  for (const vaultId of ids) {
    await rt.queue.enqueue(
      protectionJobKinds.prune,
      { vaultId },
      { idempotencyKey: `protection.prune:${vaultId}:${day}` },
    );
  }
  return { vaults: ids.length };
}

/**
 * The data path's background work for the server: job handlers and recurring schedules
 * (the minute tick and the nightly maintenance of every vault).
 */
export function protectionBackground(
  deps: { database: Database; clock: Clock; log: Logger; queue: JobQueue; config: Config },
  options: ProtectionOptions = {},
): { handlers: Record<string, JobHandler>; schedules: ScheduleInput[] } {
  const rt = runtimeFor(deps, options);
  return {
    handlers: {
      [protectionJobKinds.tick]: async () => protectionTick(rt),
      [protectionJobKinds.maintenance]: async () => queueMaintenance(rt),
      [protectionJobKinds.prune]: async (job: Job) => maintainVault(rt, (job.payload as { vaultId: string }).vaultId),
    },
    schedules: [
      { name: protectionJobKinds.tick, cron: '* * * * *', timezone: 'UTC', jobKind: protectionJobKinds.tick },
      {
        name: protectionJobKinds.maintenance,
        cron: '41 2 * * *',
        timezone: 'UTC',
        jobKind: protectionJobKinds.maintenance,
      },
    ],
  };
}
