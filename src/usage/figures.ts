import { type Expression, type SelectQueryBuilder, sql } from 'kysely';
import { sumText, toBigInt } from './db.ts';

/**
 * Consumption summed over a set of data sources. Bytes and counts are bigints: a subtree's
 * sums may pass 2^53. `asOf` is the newest measurement included (epoch ms), null when none.
 */
export interface UsageFigures {
  readonly protectedBytes: bigint;
  readonly storedBytes: bigint;
  /** Bytes transferred during the day (for "now": during the data sources' latest day). */
  readonly transferredBytes: bigint;
  readonly snapshotCount: bigint;
  /** Data sources that counted as active clients. */
  readonly clientCount: bigint;
  readonly dataSourceCount: bigint;
  readonly asOf: number | null;
}

export const zeroFigures: UsageFigures = Object.freeze({
  protectedBytes: 0n,
  storedBytes: 0n,
  transferredBytes: 0n,
  snapshotCount: 0n,
  clientCount: 0n,
  dataSourceCount: 0n,
  asOf: null,
});

/** The figure names billing and the API use, in one list. */
export const usageMetrics = [
  'protectedBytes',
  'storedBytes',
  'transferredBytes',
  'snapshotCount',
  'clientCount',
] as const;
export type UsageMetric = (typeof usageMetrics)[number];

/** Raw sums as read with {@link selectFigureSums}. */
export interface FigureSums {
  protected_bytes: string;
  stored_bytes: string;
  transferred_bytes: string;
  snapshot_count: string;
  client_count: string;
  data_source_count: string;
  as_of: number | string | null;
}

/**
 * Adds the six sums and the newest `as_of` of an aggregate table aliased `alias` (columns of
 * {@link UsageFiguresRow}) to a select.
 */
export function selectFigureSums<DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  alias: string,
): SelectQueryBuilder<DB, TB, O & FigureSums> {
  const col = (name: string): Expression<unknown> => sql.ref(`${alias}.${name}`);
  return query.select([
    sumText(col('protected_bytes')).as('protected_bytes'),
    sumText(col('stored_bytes')).as('stored_bytes'),
    sumText(col('transferred_bytes')).as('transferred_bytes'),
    sumText(col('snapshot_count')).as('snapshot_count'),
    sumText(col('client_count')).as('client_count'),
    sumText(col('data_source_count')).as('data_source_count'),
    sql<number | null>`max(${col('as_of')})`.as('as_of'),
  ]) as unknown as SelectQueryBuilder<DB, TB, O & FigureSums>;
}

/** Figures from raw sums (or zeros for a missing row). */
export function figuresOf(row: FigureSums | undefined): UsageFigures {
  if (!row) return zeroFigures;
  return {
    protectedBytes: toBigInt(row.protected_bytes),
    storedBytes: toBigInt(row.stored_bytes),
    transferredBytes: toBigInt(row.transferred_bytes),
    snapshotCount: toBigInt(row.snapshot_count),
    clientCount: toBigInt(row.client_count),
    dataSourceCount: toBigInt(row.data_source_count),
    asOf: row.as_of === null ? null : Number(row.as_of),
  };
}

/** Element-wise sum; `asOf` is the newer of the two. */
export function addFigures(a: UsageFigures, b: UsageFigures): UsageFigures {
  return {
    protectedBytes: a.protectedBytes + b.protectedBytes,
    storedBytes: a.storedBytes + b.storedBytes,
    transferredBytes: a.transferredBytes + b.transferredBytes,
    snapshotCount: a.snapshotCount + b.snapshotCount,
    clientCount: a.clientCount + b.clientCount,
    dataSourceCount: a.dataSourceCount + b.dataSourceCount,
    asOf: a.asOf === null ? b.asOf : b.asOf === null ? a.asOf : Math.max(a.asOf, b.asOf),
  };
}
