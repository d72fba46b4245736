import { sql } from 'kysely';
import type { Database } from '../platform/index.ts';
import { decodeCursor, type Page, pageOf, ValidationError } from '../platform/index.ts';
import { usageDb } from './db.ts';
import { type FigureSums, figuresOf, selectFigureSums, type UsageFigures } from './figures.ts';

/** What the children of a unit can be ordered by (largest first). */
export const childUsageSorts = ['storedBytes', 'protectedBytes', 'transferredBytes', 'clientCount'] as const;
export type ChildUsageSort = (typeof childUsageSorts)[number];

const sortColumns: Record<ChildUsageSort, string> = {
  storedBytes: 'stored_bytes',
  protectedBytes: 'protected_bytes',
  transferredBytes: 'transferred_bytes',
  clientCount: 'client_count',
};

/** One direct child of a unit with the figures of its whole subtree. */
export interface ChildUsage {
  readonly buId: string;
  readonly name: string;
  readonly code: string | null;
  readonly figures: UsageFigures;
}

export interface ChildUsageQuery {
  /** Epoch day of a past (or the current) day; null for now. */
  readonly day: number | null;
  readonly sort: ChildUsageSort;
  readonly limit: number;
  readonly cursor?: string | undefined;
}

/**
 * The direct children of a unit (as the tree stands now), each with the consumption of its
 * whole subtree, largest first by `sort` (ties by unit id), paged by cursor. One query:
 * "now" joins each child's closure rows with the per-unit current sums; a finalized day
 * reads the per-subtree daily sums of the children (as the tree stood when the day closed,
 * the same figures `/usage?date=` gives for each child); a day written after its close is
 * summed live from the per-unit daily sums, like the history does. Children without
 * measurements are listed with zeros.
 */
export async function childrenUsage(
  database: Database,
  buId: string,
  query: ChildUsageQuery,
): Promise<Page<ChildUsage>> {
  const db = usageDb(database);
  const column = sortColumns[query.sort];
  let after: { value: string; id: string } | undefined;
  if (query.cursor !== undefined) {
    const position = decodeCursor(query.cursor, ['sort', 'value', 'id'] as const);
    if (position.sort !== query.sort || !/^\d{1,20}$/.test(position.value)) {
      throw new ValidationError('cursor is not valid for this sort', { field: 'cursor' });
    }
    after = { value: position.value, id: position.id };
  }
  const source = query.day === null ? 'current' : await dayTable(database, query.day);
  const base = db.selectFrom('business_units as b').where('b.parent_id', '=', buId);
  const joined =
    source === 'current'
      ? base
          .innerJoin('bu_closure as c', 'c.ancestor_id', 'b.id')
          .leftJoin('usage_bu_current as f', 'f.bu_id', 'c.descendant_id')
      : source === 'live'
        ? base
            .innerJoin('bu_closure as c', 'c.ancestor_id', 'b.id')
            .leftJoin('usage_bu_daily as f', (join) =>
              join.onRef('f.bu_id', '=', 'c.descendant_id').on('f.day', '=', query.day as number),
            )
        : base.leftJoin('usage_subtree_daily as f', (join) =>
            join.onRef('f.bu_id', '=', 'b.id').on('f.day', '=', query.day as number),
          );
  const sortValue = sql`coalesce(sum(${sql.ref(`f.${column}`)}), 0)`;
  const rows = await selectFigureSums(
    joined.select(['b.id', 'b.name', 'b.code']).groupBy(['b.id', 'b.name', 'b.code']),
    'f',
  )
    .$if(after !== undefined, (q) =>
      q.having(
        sql<boolean>`(${sortValue} < cast(${after?.value} as bigint) or (${sortValue} = cast(${after?.value} as bigint) and b.id > ${after?.id}))`,
      ),
    )
    .orderBy(sql`${sortValue} desc`)
    .orderBy('b.id')
    .limit(query.limit + 1)
    .execute();
  return pageOf(
    rows,
    query.limit,
    (row) => ({ buId: row.id, name: row.name, code: row.code, figures: figuresOf(row as FigureSums) }),
    (row) => ({ sort: query.sort, value: String((row as unknown as Record<string, string>)[column]), id: row.id }),
  );
}

/**
 * Where a day's subtree figures are: the per-subtree table when the day was finalized at its
 * current version (or never written: all zeros), else summed live.
 */
async function dayTable(database: Database, day: number): Promise<'subtree' | 'live'> {
  const bookkeeping = await usageDb(database)
    .selectFrom('usage_days')
    .select(['version', 'finalized_version'])
    .where('day', '=', day)
    .executeTakeFirst();
  if (!bookkeeping) return 'subtree';
  return bookkeeping.finalized_version !== null && Number(bookkeeping.finalized_version) === Number(bookkeeping.version)
    ? 'subtree'
    : 'live';
}
