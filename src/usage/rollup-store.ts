import type { Database } from '../platform/index.ts';
import { ValidationError } from '../platform/index.ts';
import { usageDb } from './db.ts';
import { type FigureSums, figuresOf, selectFigureSums, type UsageFigures, zeroFigures } from './figures.ts';

/** The longest history one query returns (ten years of days). */
export const maxHistoryDays = 3660;

/**
 * Current consumption of a unit's whole subtree: the latest sample of every live data
 * source whose unit is in the subtree now. Reads the per-unit current sums through the
 * closure table, so its cost grows with the number of units, not of data sources.
 */
export async function subtreeUsageNow(database: Database, buId: string): Promise<UsageFigures> {
  const row = await selectFigureSums(
    usageDb(database)
      .selectFrom('bu_closure as c')
      .innerJoin('usage_bu_current as u', 'u.bu_id', 'c.descendant_id')
      .where('c.ancestor_id', '=', buId),
    'u',
  ).executeTakeFirst();
  return figuresOf(row);
}

/** Live subtree sums of several days from the per-unit daily sums (used for days not finalized). */
async function liveDays(database: Database, buId: string, days: readonly number[]): Promise<Map<number, UsageFigures>> {
  const result = new Map<number, UsageFigures>();
  if (days.length === 0) return result;
  const rows = await selectFigureSums(
    usageDb(database)
      .selectFrom('bu_closure as c')
      .innerJoin('usage_bu_daily as u', 'u.bu_id', 'c.descendant_id')
      .where('c.ancestor_id', '=', buId)
      .where('u.day', 'in', [...days])
      .groupBy('u.day')
      .select('u.day'),
    'u',
  ).execute();
  for (const row of rows) result.set(Number(row.day), figuresOf(row as FigureSums));
  return result;
}

function checkRange(fromDay: number, toDay: number): void {
  if (!Number.isSafeInteger(fromDay) || !Number.isSafeInteger(toDay) || fromDay < 0 || toDay < fromDay) {
    throw new ValidationError('the history range must run from a day to the same or a later day');
  }
  if (toDay - fromDay + 1 > maxHistoryDays) {
    throw new ValidationError(`a history covers at most ${maxHistoryDays} days`);
  }
}

/** One day of a subtree's history. */
export interface DailyUsage {
  readonly day: number;
  readonly figures: UsageFigures;
}

/**
 * A subtree's daily consumption from `fromDay` to `toDay` (epoch days, both included): one
 * entry per day, zeros for days without samples. A day counts the data sources whose
 * unit on that day lay in the subtree (as the tree stood when the day was closed), so a data
 * source or unit that moved is counted under its owner of each day. Finalized days come
 * from the per-subtree sums; open or late-changed days are summed live.
 */
export async function subtreeUsageHistory(
  database: Database,
  buId: string,
  fromDay: number,
  toDay: number,
): Promise<DailyUsage[]> {
  checkRange(fromDay, toDay);
  const db = usageDb(database);
  const [bookkeeping, finalized] = await Promise.all([
    db
      .selectFrom('usage_days')
      .select(['day', 'version', 'finalized_version'])
      .where('day', '>=', fromDay)
      .where('day', '<=', toDay)
      .execute(),
    selectFigureSums(
      db
        .selectFrom('usage_subtree_daily as u')
        .where('u.bu_id', '=', buId)
        .where('u.day', '>=', fromDay)
        .where('u.day', '<=', toDay)
        .groupBy('u.day')
        .select('u.day'),
      'u',
    ).execute(),
  ]);
  const open = bookkeeping
    .filter((b) => b.finalized_version === null || Number(b.finalized_version) !== Number(b.version))
    .map((b) => Number(b.day));
  const live = await liveDays(database, buId, open);
  const fromTable = new Map(finalized.map((r) => [Number(r.day), figuresOf(r as FigureSums)]));
  const openSet = new Set(open);
  const history: DailyUsage[] = [];
  for (let day = fromDay; day <= toDay; day++) {
    const figures = openSet.has(day) ? live.get(day) : fromTable.get(day);
    history.push({ day, figures: figures ?? zeroFigures });
  }
  return history;
}

/** A subtree's consumption on one past or current day (see {@link subtreeUsageHistory}). */
export async function subtreeUsageOnDay(database: Database, buId: string, day: number): Promise<UsageFigures> {
  const [entry] = await subtreeUsageHistory(database, buId, day, day);
  return entry?.figures ?? zeroFigures;
}
