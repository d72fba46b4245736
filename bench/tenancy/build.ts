import { sql } from 'kysely';
import { type Database, newId } from '../../src/platform/index.ts';
import type { TenancyTables } from '../../src/tenancy/index.ts';
import type { planTree } from './tree-shape.ts';

/** Deepest level of the benchmark tree: 12 levels, the root and 11 below it. */
export const MAX_DEPTH = 11;

export type BenchTables = TenancyTables & {
  bench_audit: { id: string; action: string; bu_id: string | null; after: string | null };
};

/** Inserts the planned tree with set-based SQL: units in chunks, then closure rows level by level. */
export async function buildTree(database: Database, plan: ReturnType<typeof planTree>): Promise<string[]> {
  const db = database.kysely.withTables<TenancyTables>();
  const now = Date.UTC(2026, 0, 1);
  const ids = plan.map((_, i) => newId(now + i));
  await db.transaction().execute(async (trx) => {
    for (let start = 0; start < plan.length; start += 1000) {
      const rows = plan.slice(start, start + 1000).map((unit, offset) => {
        const i = start + offset;
        return {
          id: ids[i]!,
          parent_id: unit.parent === -1 ? null : ids[unit.parent]!,
          name: i === 0 ? 'Provider' : `Unit ${i}`,
          code: `U${i}`,
          depth: unit.depth,
          created_at: now,
          updated_at: now,
        };
      });
      await trx.insertInto('business_units').values(rows).execute();
    }
    await sql`insert into bu_closure (ancestor_id, descendant_id, depth) select id, id, 0 from business_units`.execute(
      trx,
    );
    for (let level = 1; level <= MAX_DEPTH; level++) {
      await sql`
        insert into bu_closure (ancestor_id, descendant_id, depth)
        select c.ancestor_id, u.id, c.depth + 1
        from business_units u join bu_closure c on c.descendant_id = u.parent_id
        where u.depth = ${level}`.execute(trx);
    }
  });
  // Fresh statistics, as autovacuum (PostgreSQL) or `PRAGMA optimize` (SQLite) would gather
  // soon after a bulk load; without them PostgreSQL plans the move's delete as a full scan.
  await sql`analyze`.execute(database.kysely);
  await sql`create table bench_audit (id text primary key, action text not null, bu_id text, after text)`.execute(
    database.kysely,
  );
  return ids;
}
