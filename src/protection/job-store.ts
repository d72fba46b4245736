import { type Selectable, sql } from 'kysely';
import { chunked, insertBatch, type ProtectionDb } from './db.ts';
import type { JobStatus, JobTable, RestoreGroupTable } from './tables.ts';

/** Queries of agent jobs, schedule state and restore groups. */

export type JobRow = Selectable<JobTable>;

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

/**
 * For each of `dataSourceIds`, its latest finished backup (success, warning, failed or missed)
 * and its latest good one (success or warning), finished at or before `at`; ties go to the
 * larger id. One query per batch of sources, not one per source: listings and reports read a
 * whole page or subtree at once.
 */
export async function latestBackups(
  db: ProtectionDb,
  dataSourceIds: readonly string[],
  at: number,
): Promise<{ last: Map<string, JobRow>; good: Map<string, JobRow> }> {
  const last = new Map<string, JobRow>();
  const good = new Map<string, JobRow>();
  for (const batch of chunked(dataSourceIds, insertBatch)) {
    const ids = sql.join(batch.map((id) => sql`${id}`));
    const rows = await sql<JobRow & { position: number | string; good_position: number | string }>`
      select * from (
        select j.*,
          row_number() over (partition by data_source_id order by finished_at desc, id desc) as position,
          row_number() over (
            partition by data_source_id, case when status in ('success', 'warning') then 1 else 0 end
            order by finished_at desc, id desc
          ) as good_position
        from protection_jobs j
        where data_source_id in (${ids}) and kind = 'backup'
          and status in ('success', 'warning', 'failed', 'missed') and finished_at <= ${at}
      ) ranked
      where position = 1 or (good_position = 1 and status in ('success', 'warning'))`.execute(db);
    for (const { position, good_position: goodPosition, ...job } of rows.rows) {
      if (Number(position) === 1) last.set(job.data_source_id, job);
      if (Number(goodPosition) === 1 && (job.status === 'success' || job.status === 'warning')) {
        good.set(job.data_source_id, job);
      }
    }
  }
  return { last, good };
}
