import type { Selectable } from 'kysely';
import { chunked, insertBatch, type ProtectionDb } from './db.ts';
import type { JobStatus, JobTable, RestoreGroupTable } from './tables.ts';

/** Queries of agent jobs, schedule state and restore groups. */

export type JobRow = Selectable<JobTable>;

export const finalStatuses: readonly JobStatus[] = ['success', 'warning', 'failed', 'missed', 'cancelled'];

export async function insertJob(db: ProtectionDb, row: JobTable): Promise<boolean> {
  const result = await db
    .insertInto('protection_jobs')
    .values(row)
    .onConflict((oc) => oc.columns(['data_source_id', 'schedule_name', 'scheduled_for']).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
}

export async function findJob(db: ProtectionDb, id: string): Promise<JobRow | undefined> {
  return db.selectFrom('protection_jobs').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Jobs of a data source, newest first. */
export async function listJobs(
  db: ProtectionDb,
  dataSourceId: string,
  options: { status?: JobStatus; kind?: JobTable['kind']; limit: number; before?: string },
): Promise<JobRow[]> {
  let query = db.selectFrom('protection_jobs').selectAll().where('data_source_id', '=', dataSourceId);
  if (options.status) query = query.where('status', '=', options.status);
  if (options.kind) query = query.where('kind', '=', options.kind);
  if (options.before) query = query.where('id', '<', options.before);
  return query.orderBy('id', 'desc').limit(options.limit).execute();
}

export async function jobsOfGroup(db: ProtectionDb, groupId: string): Promise<JobRow[]> {
  return db.selectFrom('protection_jobs').selectAll().where('group_id', '=', groupId).orderBy('id').execute();
}

/** Queued jobs of the data source's agent whose time has come, oldest first. */
export async function dueJobs(db: ProtectionDb, dataSourceId: string, now: number): Promise<JobRow[]> {
  return db
    .selectFrom('protection_jobs')
    .selectAll()
    .where('data_source_id', '=', dataSourceId)
    .where('status', '=', 'queued')
    .where((eb) => eb.or([eb('scheduled_for', 'is', null), eb('scheduled_for', '<=', now)]))
    .orderBy('created_at')
    .execute();
}

export async function jobsInStatus(db: ProtectionDb, dataSourceId: string, status: JobStatus): Promise<JobRow[]> {
  return db
    .selectFrom('protection_jobs')
    .selectAll()
    .where('data_source_id', '=', dataSourceId)
    .where('status', '=', status)
    .execute();
}

/** Moves a job from one status to another; false when it was no longer in `from`. */
export async function transitionJob(
  db: ProtectionDb,
  id: string,
  from: JobStatus | readonly JobStatus[],
  patch: Partial<Omit<JobTable, 'id'>>,
): Promise<boolean> {
  const result = await db
    .updateTable('protection_jobs')
    .set(patch)
    .where('id', '=', id)
    .where('status', 'in', typeof from === 'string' ? [from] : [...from])
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function updateJob(db: ProtectionDb, id: string, patch: Partial<Omit<JobTable, 'id'>>): Promise<void> {
  await db.updateTable('protection_jobs').set(patch).where('id', '=', id).execute();
}

/** Scheduled jobs still queued (of one data source, or of all); the caller decides which are overdue. */
export async function overdueScheduledJobs(db: ProtectionDb, dataSourceId: string | null): Promise<JobRow[]> {
  let query = db
    .selectFrom('protection_jobs')
    .selectAll()
    .where('status', '=', 'queued')
    .where('trigger', '=', 'schedule');
  if (dataSourceId) query = query.where('data_source_id', '=', dataSourceId);
  return query.execute();
}

/** Running jobs whose agent has been silent since before `silentSince`. */
export async function staleRunningJobs(db: ProtectionDb, silentSince: number): Promise<JobRow[]> {
  return db
    .selectFrom('protection_jobs')
    .selectAll()
    .where('status', '=', 'running')
    .where('heartbeat_at', '<', silentSince)
    .execute();
}

/** Restore jobs that may read `vaultId` for this data source's agent. */
export async function restoreJobsReading(db: ProtectionDb, dataSourceId: string, vaultId: string): Promise<JobRow[]> {
  return db
    .selectFrom('protection_jobs')
    .selectAll()
    .where('data_source_id', '=', dataSourceId)
    .where('vault_id', '=', vaultId)
    .where('kind', '=', 'restore')
    .where('status', 'in', ['queued', 'running'])
    .execute();
}

export async function getScheduleState(db: ProtectionDb, dataSourceId: string): Promise<Map<string, number>> {
  const rows = await db
    .selectFrom('protection_schedule_state')
    .selectAll()
    .where('data_source_id', '=', dataSourceId)
    .execute();
  return new Map(rows.map((row) => [row.schedule_name, row.last_slot]));
}

export async function setScheduleState(
  db: ProtectionDb,
  dataSourceId: string,
  scheduleName: string,
  lastSlot: number,
): Promise<void> {
  await db
    .insertInto('protection_schedule_state')
    .values({ data_source_id: dataSourceId, schedule_name: scheduleName, last_slot: lastSlot })
    .onConflict((oc) => oc.columns(['data_source_id', 'schedule_name']).doUpdateSet({ last_slot: lastSlot }))
    .execute();
}

export async function insertRestoreGroup(db: ProtectionDb, row: RestoreGroupTable): Promise<void> {
  await db.insertInto('protection_restore_groups').values(row).execute();
}

export async function findRestoreGroup(
  db: ProtectionDb,
  id: string,
): Promise<Selectable<RestoreGroupTable> | undefined> {
  return db.selectFrom('protection_restore_groups').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The most recent finished backup job of a data source (any outcome). */
export async function lastFinishedBackup(db: ProtectionDb, dataSourceId: string): Promise<JobRow | undefined> {
  return db
    .selectFrom('protection_jobs')
    .selectAll()
    .where('data_source_id', '=', dataSourceId)
    .where('kind', '=', 'backup')
    .where('status', 'in', ['success', 'warning', 'failed', 'missed'])
    .orderBy('finished_at', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/**
 * For each of `dataSourceIds`, its latest backup with one of `statuses` finished at or before
 * `at` (ties: the larger id): one query per batch of sources, not one per source.
 */
export async function lastBackupsIn(
  db: ProtectionDb,
  dataSourceIds: readonly string[],
  statuses: readonly JobStatus[],
  at: number,
): Promise<Map<string, JobRow>> {
  const latest = new Map<string, JobRow>();
  for (const batch of chunked(dataSourceIds, insertBatch)) {
    const rows = await db
      .selectFrom((eb) =>
        eb
          .selectFrom('protection_jobs')
          .selectAll()
          .select((inner) =>
            inner.fn
              .agg<number>('row_number')
              .over((over) => over.partitionBy('data_source_id').orderBy('finished_at', 'desc').orderBy('id', 'desc'))
              .as('position'),
          )
          .where('data_source_id', 'in', batch)
          .where('kind', '=', 'backup')
          .where('status', 'in', [...statuses])
          .where('finished_at', '<=', at)
          .as('ranked'),
      )
      .selectAll()
      .where('position', '=', 1)
      .execute();
    for (const { position: _position, ...job } of rows) latest.set(job.data_source_id, job);
  }
  return latest;
}
