import type { Selectable } from 'kysely';
import { chunked, insertBatch, type ProtectionDb } from './db.ts';
import type { DailyUsageTable, SnapshotUsageTable } from './tables.ts';

export type DailyUsageRow = Selectable<DailyUsageTable>;

export async function insertSnapshotUsage(db: ProtectionDb, row: SnapshotUsageTable): Promise<void> {
  await db
    .insertInto('protection_snapshot_usage')
    .values(row)
    .onConflict((oc) => oc.columns(['vault_id', 'snapshot_id']).doNothing())
    .execute();
}

/** Adds one backup's figures to the data source's day (levels replace, flows add up). */
export async function addDailyUsage(
  db: ProtectionDb,
  row: Omit<DailyUsageTable, 'backups'>,
  backups: number,
): Promise<void> {
  await db
    .insertInto('protection_daily_usage')
    .values({ ...row, backups })
    .onConflict((oc) =>
      oc.columns(['data_source_id', 'day']).doUpdateSet((eb) => ({
        protected_bytes: row.protected_bytes,
        stored_bytes: row.stored_bytes,
        file_count: row.file_count,
        bytes_added: eb('protection_daily_usage.bytes_added', '+', row.bytes_added),
        bytes_transferred: eb('protection_daily_usage.bytes_transferred', '+', row.bytes_transferred),
        duration_ms: eb('protection_daily_usage.duration_ms', '+', row.duration_ms),
        backups: eb('protection_daily_usage.backups', '+', backups),
        updated_at: row.updated_at,
      })),
    )
    .execute();
}

export async function findDailyUsage(
  db: ProtectionDb,
  dataSourceId: string,
  day: number,
): Promise<DailyUsageRow | undefined> {
  return db
    .selectFrom('protection_daily_usage')
    .selectAll()
    .where('data_source_id', '=', dataSourceId)
    .where('day', '=', day)
    .executeTakeFirst();
}

export async function dailyUsageRange(
  db: ProtectionDb,
  dataSourceId: string,
  fromDay: number,
  toDay: number,
): Promise<DailyUsageRow[]> {
  return db
    .selectFrom('protection_daily_usage')
    .selectAll()
    .where('data_source_id', '=', dataSourceId)
    .where('day', '>=', fromDay)
    .where('day', '<=', toDay)
    .orderBy('day')
    .execute();
}

export async function snapshotUsageOf(
  db: ProtectionDb,
  dataSourceId: string,
  fromMs: number,
  toMs: number,
): Promise<Selectable<SnapshotUsageTable>[]> {
  return db
    .selectFrom('protection_snapshot_usage')
    .selectAll()
    .where('data_source_id', '=', dataSourceId)
    .where('recorded_at', '>=', fromMs)
    .where('recorded_at', '<', toMs)
    .orderBy('recorded_at')
    .execute();
}

/** The latest snapshot usage record of a data source (its current protected size and file count). */
export async function latestSnapshotUsage(
  db: ProtectionDb,
  dataSourceId: string,
): Promise<Selectable<SnapshotUsageTable> | undefined> {
  return db
    .selectFrom('protection_snapshot_usage')
    .selectAll()
    .where('data_source_id', '=', dataSourceId)
    .orderBy('recorded_at', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/** For each of `dataSourceIds`, its latest snapshot record: one query per batch of sources. */
export async function latestSnapshotUsages(
  db: ProtectionDb,
  dataSourceIds: readonly string[],
): Promise<Map<string, Selectable<SnapshotUsageTable>>> {
  const latest = new Map<string, Selectable<SnapshotUsageTable>>();
  for (const batch of chunked(dataSourceIds, insertBatch)) {
    const rows = await db
      .selectFrom((eb) =>
        eb
          .selectFrom('protection_snapshot_usage')
          .selectAll()
          .select((inner) =>
            inner.fn
              .agg<number>('row_number')
              .over((over) =>
                over.partitionBy('data_source_id').orderBy('recorded_at', 'desc').orderBy('snapshot_id', 'desc'),
              )
              .as('position'),
          )
          .where('data_source_id', 'in', batch)
          .as('ranked'),
      )
      .selectAll()
      .where('position', '=', 1)
      .execute();
    for (const { position: _position, ...row } of rows) latest.set(row.data_source_id, row);
  }
  return latest;
}

/** For each of `dataSourceIds`, its most recent day record at or before `day`: one query per batch. */
export async function latestDailyUsages(
  db: ProtectionDb,
  dataSourceIds: readonly string[],
  day: number,
): Promise<Map<string, DailyUsageRow>> {
  const latest = new Map<string, DailyUsageRow>();
  for (const batch of chunked(dataSourceIds, insertBatch)) {
    const rows = await db
      .selectFrom((eb) =>
        eb
          .selectFrom('protection_daily_usage')
          .selectAll()
          .select((inner) =>
            inner.fn
              .agg<number>('row_number')
              .over((over) => over.partitionBy('data_source_id').orderBy('day', 'desc'))
              .as('position'),
          )
          .where('data_source_id', 'in', batch)
          .where('day', '<=', day)
          .as('ranked'),
      )
      .selectAll()
      .where('position', '=', 1)
      .execute();
    for (const { position: _position, ...row } of rows) latest.set(row.data_source_id, row);
  }
  return latest;
}
