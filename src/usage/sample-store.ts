import type { Database } from '../platform/index.ts';
import { ValidationError } from '../platform/index.ts';
import { epochDayOf, parseDay } from './days.ts';
import { type UsageDb, usageDb } from './db.ts';
import type { UsageLatestTable, UsageSampleTable } from './tables.ts';

/** One data source's consumption on one UTC day, as the data path reports it. */
export interface ConsumptionSample {
  readonly dataSourceId: string;
  /** The unit the data source belongs to on that day; null when it is assigned to none. */
  readonly buId: string | null;
  /** Epoch day or `YYYY-MM-DD` (UTC). */
  readonly day: number | string;
  readonly protectedBytes: number;
  readonly storedBytes: number;
  /** Bytes transferred during that day (the day's total so far, not an increment). */
  readonly transferredBytes: number;
  readonly snapshotCount: number;
  readonly clientActive: boolean;
  /** Epoch ms of the measurement; its UTC day must not be before `day`. */
  readonly asOf: number;
}

/** Per-unit figure deltas, in the column names of the aggregate tables. */
interface Delta {
  protected_bytes: number;
  stored_bytes: number;
  transferred_bytes: number;
  snapshot_count: number;
  client_count: number;
  data_source_count: number;
  as_of: number;
}

type Figures = Pick<
  UsageSampleTable,
  'bu_id' | 'protected_bytes' | 'stored_bytes' | 'transferred_bytes' | 'snapshot_count' | 'client_active' | 'as_of'
>;

function checkCount(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new ValidationError(`${name} must be a non-negative integer, got ${String(value)}`, { field: name });
  }
  return value;
}

/** Validates a sample once at the boundary; throws ValidationError naming the field. */
export function checkSample(sample: ConsumptionSample): Omit<UsageSampleTable, 'carried' | 'recorded_at'> {
  if (typeof sample.dataSourceId !== 'string' || sample.dataSourceId.length === 0 || sample.dataSourceId.length > 200) {
    throw new ValidationError('dataSourceId must be a non-empty string of at most 200 characters', {
      field: 'dataSourceId',
    });
  }
  if (sample.buId !== null && (typeof sample.buId !== 'string' || sample.buId.length === 0)) {
    throw new ValidationError('buId must be a unit id or null', { field: 'buId' });
  }
  const day = typeof sample.day === 'string' ? parseDay(sample.day) : sample.day;
  if (!Number.isSafeInteger(day) || day < 0) throw new ValidationError('day must be an epoch day or YYYY-MM-DD');
  const asOf = checkCount('asOf', sample.asOf);
  if (epochDayOf(asOf) < day) {
    throw new ValidationError('a sample cannot be measured (asOf) before the day it describes', { field: 'asOf' });
  }
  return {
    data_source_id: sample.dataSourceId,
    day,
    bu_id: sample.buId,
    protected_bytes: checkCount('protectedBytes', sample.protectedBytes),
    stored_bytes: checkCount('storedBytes', sample.storedBytes),
    transferred_bytes: checkCount('transferredBytes', sample.transferredBytes),
    snapshot_count: checkCount('snapshotCount', sample.snapshotCount),
    client_active: sample.clientActive === true ? 1 : 0,
    as_of: asOf,
  };
}

function deltaOf(row: Figures, sign: 1 | -1): Delta {
  return {
    protected_bytes: sign * row.protected_bytes,
    stored_bytes: sign * row.stored_bytes,
    transferred_bytes: sign * row.transferred_bytes,
    snapshot_count: sign * row.snapshot_count,
    client_count: sign * row.client_active,
    data_source_count: sign,
    as_of: sign === 1 ? row.as_of : 0,
  };
}

/** Adds the change from `before` to `after` (either may be absent or unassigned) per unit. */
function deltasByUnit(before: Figures | undefined, after: Figures | undefined): Map<string, Delta> {
  const result = new Map<string, Delta>();
  const add = (buId: string, delta: Delta) => {
    const current = result.get(buId);
    if (!current) return void result.set(buId, delta);
    current.protected_bytes += delta.protected_bytes;
    current.stored_bytes += delta.stored_bytes;
    current.transferred_bytes += delta.transferred_bytes;
    current.snapshot_count += delta.snapshot_count;
    current.client_count += delta.client_count;
    current.data_source_count += delta.data_source_count;
    current.as_of = Math.max(current.as_of, delta.as_of);
  };
  if (before?.bu_id) add(before.bu_id, deltaOf(before, -1));
  if (after?.bu_id) add(after.bu_id, deltaOf(after, 1));
  return result;
}

/** Adds deltas to the per-unit daily sums of `day`, dropping rows that no longer count anything. */
async function applyDailyDeltas(trx: UsageDb, day: number, deltas: Map<string, Delta>): Promise<void> {
  for (const [buId, delta] of deltas) {
    await trx
      .insertInto('usage_bu_daily')
      .values({ bu_id: buId, day, ...delta })
      .onConflict((oc) =>
        oc.columns(['bu_id', 'day']).doUpdateSet((eb) => ({
          protected_bytes: eb('usage_bu_daily.protected_bytes', '+', eb.ref('excluded.protected_bytes')),
          stored_bytes: eb('usage_bu_daily.stored_bytes', '+', eb.ref('excluded.stored_bytes')),
          transferred_bytes: eb('usage_bu_daily.transferred_bytes', '+', eb.ref('excluded.transferred_bytes')),
          snapshot_count: eb('usage_bu_daily.snapshot_count', '+', eb.ref('excluded.snapshot_count')),
          client_count: eb('usage_bu_daily.client_count', '+', eb.ref('excluded.client_count')),
          data_source_count: eb('usage_bu_daily.data_source_count', '+', eb.ref('excluded.data_source_count')),
          as_of: eb
            .case()
            .when('excluded.as_of', '>', eb.ref('usage_bu_daily.as_of'))
            .then(eb.ref('excluded.as_of'))
            .else(eb.ref('usage_bu_daily.as_of'))
            .end(),
        })),
      )
      .execute();
  }
  const units = [...deltas.keys()];
  if (units.length > 0) {
    await trx
      .deleteFrom('usage_bu_daily')
      .where('day', '=', day)
      .where('bu_id', 'in', units)
      .where('data_source_count', '<=', 0)
      .execute();
  }
}

/** Adds deltas to the per-unit current sums (the units' own data sources' latest samples). */
async function applyCurrentDeltas(trx: UsageDb, deltas: Map<string, Delta>): Promise<void> {
  for (const [buId, delta] of deltas) {
    await trx
      .insertInto('usage_bu_current')
      .values({ bu_id: buId, ...delta })
      .onConflict((oc) =>
        oc.column('bu_id').doUpdateSet((eb) => ({
          protected_bytes: eb('usage_bu_current.protected_bytes', '+', eb.ref('excluded.protected_bytes')),
          stored_bytes: eb('usage_bu_current.stored_bytes', '+', eb.ref('excluded.stored_bytes')),
          transferred_bytes: eb('usage_bu_current.transferred_bytes', '+', eb.ref('excluded.transferred_bytes')),
          snapshot_count: eb('usage_bu_current.snapshot_count', '+', eb.ref('excluded.snapshot_count')),
          client_count: eb('usage_bu_current.client_count', '+', eb.ref('excluded.client_count')),
          data_source_count: eb('usage_bu_current.data_source_count', '+', eb.ref('excluded.data_source_count')),
          as_of: eb
            .case()
            .when('excluded.as_of', '>', eb.ref('usage_bu_current.as_of'))
            .then(eb.ref('excluded.as_of'))
            .else(eb.ref('usage_bu_current.as_of'))
            .end(),
        })),
      )
      .execute();
  }
  const units = [...deltas.keys()];
  if (units.length > 0) {
    await trx.deleteFrom('usage_bu_current').where('bu_id', 'in', units).where('data_source_count', '<=', 0).execute();
  }
}

/**
 * Marks a write for `day` and, on PostgreSQL, holds that day's row lock until commit: every
 * write of one day (samples, carrying forward, closing) is serialised, so the delta-kept
 * sums cannot interleave. SQLite runs one write transaction at a time anyway.
 */
export async function touchDay(trx: UsageDb, day: number): Promise<void> {
  await trx
    .insertInto('usage_days')
    .values({ day, version: 1, finalized_version: null, finalized_at: null, carried_at: null })
    .onConflict((oc) => oc.column('day').doUpdateSet((eb) => ({ version: eb('usage_days.version', '+', 1) })))
    .execute();
}

/**
 * Locks (PostgreSQL) and returns the latest row of a data source, creating an uncounted
 * placeholder first so that two writers of a new data source serialise on the same row.
 */
async function lockLatest(trx: UsageDb, dialect: Database['dialect'], dataSourceId: string): Promise<UsageLatestTable> {
  await trx
    .insertInto('usage_latest')
    .values({
      data_source_id: dataSourceId,
      bu_id: null,
      day: -1,
      protected_bytes: 0,
      stored_bytes: 0,
      transferred_bytes: 0,
      snapshot_count: 0,
      client_active: 0,
      as_of: 0,
      retired_at: 0,
    })
    .onConflict((oc) => oc.column('data_source_id').doNothing())
    .execute();
  return trx
    .selectFrom('usage_latest')
    .selectAll()
    .where('data_source_id', '=', dataSourceId)
    .$if(dialect === 'postgres', (q) => q.forUpdate())
    .executeTakeFirstOrThrow();
}

/** A latest row counts in the current sums when it is not retired (placeholders are "retired" at 0). */
function counted(row: UsageLatestTable): Figures | undefined {
  return row.retired_at === null ? row : undefined;
}

/**
 * Records (or replaces) a data source's sample for a day and keeps the per-unit sums and
 * the latest value in step, in one transaction. Called by the data path whenever it has a
 * fresh measurement; the last write of a day wins. A sample for an earlier day than the
 * data source's latest only changes history. Throws ValidationError for bad figures.
 */
export async function recordConsumption(database: Database, sample: ConsumptionSample, now?: number): Promise<void> {
  const row = checkSample(sample);
  const recordedAt = now ?? Date.now();
  await usageDb(database)
    .transaction()
    .execute(async (trx) => {
      await touchDay(trx, row.day);
      const latest = await lockLatest(trx, database.dialect, row.data_source_id);
      const before = await trx
        .selectFrom('usage_samples')
        .selectAll()
        .where('data_source_id', '=', row.data_source_id)
        .where('day', '=', row.day)
        .executeTakeFirst();
      await trx
        .insertInto('usage_samples')
        .values({ ...row, carried: 0, recorded_at: recordedAt })
        .onConflict((oc) =>
          oc.columns(['data_source_id', 'day']).doUpdateSet({
            bu_id: row.bu_id,
            protected_bytes: row.protected_bytes,
            stored_bytes: row.stored_bytes,
            transferred_bytes: row.transferred_bytes,
            snapshot_count: row.snapshot_count,
            client_active: row.client_active,
            carried: 0,
            as_of: row.as_of,
            recorded_at: recordedAt,
          }),
        )
        .execute();
      await applyDailyDeltas(trx, row.day, deltasByUnit(before, row));
      if (row.day >= latest.day) {
        await trx
          .updateTable('usage_latest')
          .set({ ...row, retired_at: null })
          .where('data_source_id', '=', row.data_source_id)
          .execute();
        await applyCurrentDeltas(trx, deltasByUnit(counted(latest), row));
      }
    });
}

/**
 * Stops counting a removed data source from `now` on: it leaves the current sums and is no
 * longer carried forward; its history stays. A later sample brings it back.
 */
export async function retireDataSource(database: Database, dataSourceId: string, now: number): Promise<boolean> {
  return usageDb(database)
    .transaction()
    .execute(async (trx) => {
      const latest = await trx
        .selectFrom('usage_latest')
        .selectAll()
        .where('data_source_id', '=', dataSourceId)
        .$if(database.dialect === 'postgres', (q) => q.forUpdate())
        .executeTakeFirst();
      if (!latest || latest.retired_at !== null) return false;
      await trx
        .updateTable('usage_latest')
        .set({ retired_at: now })
        .where('data_source_id', '=', dataSourceId)
        .execute();
      await applyCurrentDeltas(trx, deltasByUnit(latest, undefined));
      return true;
    });
}
