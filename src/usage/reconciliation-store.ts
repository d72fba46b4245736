import { sql } from 'kysely';
import type { Database } from '../platform/index.ts';
import { ValidationError } from '../platform/index.ts';
import { epochDayOf } from './days.ts';
import { sumText, toBigInt, usageDb } from './db.ts';
import { addFigures, type FigureSums, figuresOf, selectFigureSums, type UsageFigures } from './figures.ts';

/** A zone's measured size against what the data sources' samples account for. */
export interface ZoneReconciliation {
  readonly zone: string;
  readonly day: number;
  readonly measuredBytes: bigint;
  /** Stored bytes of every data source (assigned or not): what the zone should hold. */
  readonly accountedBytes: bigint;
  /** measured − accounted: storage that no data source accounts for (negative: missing). */
  readonly unaccountedBytes: bigint;
  readonly asOf: number;
}

/** An unassigned data source, largest first. */
export interface UnassignedDataSource {
  readonly dataSourceId: string;
  readonly storedBytes: bigint;
  readonly protectedBytes: bigint;
  readonly asOf: number;
}

/** The operator's figure: every byte the installation holds, split by who it is billed to. */
export interface Reconciliation {
  /** null: now (latest samples); else the epoch day reported. */
  readonly day: number | null;
  /** Data sources of units that exist. */
  readonly assigned: UsageFigures;
  /** Data sources assigned to no unit. */
  readonly unassigned: UsageFigures;
  /** Data sources whose unit no longer exists. */
  readonly orphaned: UsageFigures;
  readonly total: UsageFigures;
  readonly unassignedDataSources: readonly UnassignedDataSource[];
  readonly zones: readonly ZoneReconciliation[];
}

/** The largest unassigned data sources listed in a reconciliation. */
const listedUnassigned = 100;

async function unitSums(
  database: Database,
  day: number | null,
): Promise<{ assigned: UsageFigures; orphaned: UsageFigures }> {
  const db = usageDb(database);
  const base =
    day === null
      ? db.selectFrom('usage_bu_current as u')
      : db.selectFrom('usage_bu_daily as u').where('u.day', '=', day);
  const rows = await selectFigureSums(
    base
      .leftJoin('business_units as b', 'b.id', 'u.bu_id')
      .select(sql<number>`case when b.id is null then 1 else 0 end`.as('orphan'))
      .groupBy(sql`case when b.id is null then 1 else 0 end`),
    'u',
  ).execute();
  const pick = (orphan: number) => figuresOf(rows.find((r) => Number(r.orphan) === orphan) as FigureSums | undefined);
  return { assigned: pick(0), orphaned: pick(1) };
}

async function unassignedSums(database: Database, day: number | null): Promise<UsageFigures> {
  const db = usageDb(database);
  const source =
    day === null
      ? db.selectFrom('usage_latest as s').where('s.retired_at', 'is', null)
      : db.selectFrom('usage_samples as s').where('s.day', '=', day);
  const row = await source
    .where('s.bu_id', 'is', null)
    .select([
      sumText(sql.ref('s.protected_bytes')).as('protected_bytes'),
      sumText(sql.ref('s.stored_bytes')).as('stored_bytes'),
      sumText(sql.ref('s.transferred_bytes')).as('transferred_bytes'),
      sumText(sql.ref('s.snapshot_count')).as('snapshot_count'),
      sumText(sql.ref('s.client_active')).as('client_count'),
      sql<string>`cast(count(*) as text)`.as('data_source_count'),
      sql<number | null>`max(s.as_of)`.as('as_of'),
    ])
    .executeTakeFirst();
  return figuresOf(row);
}

async function largestUnassigned(database: Database, day: number | null): Promise<UnassignedDataSource[]> {
  const db = usageDb(database);
  const source =
    day === null
      ? db.selectFrom('usage_latest as s').where('s.retired_at', 'is', null)
      : db.selectFrom('usage_samples as s').where('s.day', '=', day);
  const rows = await source
    .where('s.bu_id', 'is', null)
    .select(['s.data_source_id', 's.stored_bytes', 's.protected_bytes', 's.as_of'])
    .orderBy('s.stored_bytes', 'desc')
    .orderBy('s.data_source_id')
    .limit(listedUnassigned)
    .execute();
  return rows.map((r) => ({
    dataSourceId: r.data_source_id,
    storedBytes: toBigInt(r.stored_bytes),
    protectedBytes: toBigInt(r.protected_bytes),
    asOf: Number(r.as_of),
  }));
}

async function zoneRows(database: Database, day: number | null, accounted: bigint): Promise<ZoneReconciliation[]> {
  const db = usageDb(database);
  const rows =
    day === null
      ? await db
          .selectFrom('usage_zone_measurements as z')
          .innerJoin(
            (eb) =>
              eb
                .selectFrom('usage_zone_measurements')
                .select(['zone', (e) => e.fn.max('day').as('last_day')])
                .groupBy('zone')
                .as('m'),
            (join) => join.onRef('m.zone', '=', 'z.zone').onRef('m.last_day', '=', 'z.day'),
          )
          .selectAll('z')
          .orderBy('z.zone')
          .execute()
      : await db
          .selectFrom('usage_zone_measurements as z')
          .selectAll('z')
          .where('z.day', '=', day)
          .orderBy('z.zone')
          .execute();
  return rows.map((r) => {
    const measured = toBigInt(r.measured_bytes);
    return {
      zone: r.zone,
      day: Number(r.day),
      measuredBytes: measured,
      accountedBytes: accounted,
      unaccountedBytes: measured - accounted,
      asOf: Number(r.as_of),
    };
  });
}

/**
 * The operator's reconciliation now (`day` null) or for a past day: consumption of assigned,
 * unassigned and orphaned data sources, the largest unassigned ones, and each storage zone's
 * measured size against the stored bytes the samples account for. With replication every
 * zone holds a full copy, so each zone is compared with the same total.
 */
export async function reconcileUsage(database: Database, day: number | null = null): Promise<Reconciliation> {
  const [{ assigned, orphaned }, unassigned, listed] = await Promise.all([
    unitSums(database, day),
    unassignedSums(database, day),
    largestUnassigned(database, day),
  ]);
  const total = addFigures(addFigures(assigned, orphaned), unassigned);
  return {
    day,
    assigned,
    unassigned,
    orphaned,
    total,
    unassignedDataSources: listed,
    zones: await zoneRows(database, day, total.storedBytes),
  };
}

/** A storage zone's own measurement of the bytes it holds (from the storage infrastructure). */
export interface ZoneMeasurement {
  readonly zone: string;
  readonly measuredBytes: number;
  /** Epoch ms of the measurement; its UTC day is the day it counts for. */
  readonly asOf: number;
}

/** Records (or replaces) a zone's measured size for the day of `asOf`. Throws ValidationError for bad input. */
export async function recordZoneMeasurement(database: Database, input: ZoneMeasurement): Promise<void> {
  if (typeof input.zone !== 'string' || !/^[a-z0-9][a-z0-9-]{0,62}$/.test(input.zone)) {
    throw new ValidationError('zone must be 1-63 lower-case letters, digits or dashes', { field: 'zone' });
  }
  if (!Number.isSafeInteger(input.measuredBytes) || input.measuredBytes < 0) {
    throw new ValidationError('measuredBytes must be a non-negative integer', { field: 'measuredBytes' });
  }
  if (!Number.isSafeInteger(input.asOf) || input.asOf < 0) throw new ValidationError('asOf must be epoch milliseconds');
  const row = { zone: input.zone, day: epochDayOf(input.asOf), measured_bytes: input.measuredBytes, as_of: input.asOf };
  await usageDb(database)
    .insertInto('usage_zone_measurements')
    .values(row)
    .onConflict((oc) =>
      oc.columns(['zone', 'day']).doUpdateSet({ measured_bytes: row.measured_bytes, as_of: row.as_of }),
    )
    .execute();
}
