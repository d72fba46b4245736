import { sql } from 'kysely';
import type { Database } from '../platform/index.ts';
import { epochDayOf } from './days.ts';
import { type UsageDb, usageDb } from './db.ts';
import { touchDay } from './sample-store.ts';

/** How far back a late close job still carries samples forward, day by day. */
const maxCarryDays = 31;

const figureColumns = [
  'protected_bytes',
  'stored_bytes',
  'transferred_bytes',
  'snapshot_count',
  'client_count',
  'data_source_count',
] as const;

/** `ON CONFLICT … DO UPDATE` that adds the incoming figures to an aggregate row. */
function addOnConflict(table: 'usage_bu_daily' | 'usage_bu_current') {
  return Object.fromEntries([
    ...figureColumns.map((c) => [c, sql`${sql.ref(`${table}.${c}`)} + excluded.${sql.ref(c)}`]),
    [
      'as_of',
      sql`case when excluded.as_of > ${sql.ref(`${table}.as_of`)} then excluded.as_of else ${sql.ref(`${table}.as_of`)} end`,
    ],
  ]);
}

/**
 * Copies every live data source's newest sample into `day` where it reported nothing since,
 * so gauges (stored, protected, snapshots, clients) stay continuous in the daily history and
 * billing averages. Transfer is a flow: carried samples transfer 0 bytes. Idempotent.
 * Returns how many samples were carried.
 */
export async function carryForward(database: Database, day: number, now: number): Promise<number> {
  return usageDb(database)
    .transaction()
    .execute(async (trx) => {
      await touchDay(trx, day);
      const stale = (q: UsageDb) =>
        q.selectFrom('usage_latest as l').where('l.retired_at', 'is', null).where('l.day', '<', day);
      const ids = await stale(trx)
        .select('l.data_source_id')
        .$if(database.dialect === 'postgres', (q) => q.forUpdate())
        .execute();
      if (ids.length === 0) {
        await trx.updateTable('usage_days').set({ carried_at: now }).where('day', '=', day).execute();
        return 0;
      }
      await trx
        .insertInto('usage_bu_daily')
        .columns(['bu_id', 'day', ...figureColumns, 'as_of'])
        .expression(
          stale(trx)
            .where('l.bu_id', 'is not', null)
            .groupBy('l.bu_id')
            .select([
              sql<string>`l.bu_id`.as('bu_id'),
              sql<number>`cast(${day} as integer)`.as('day'),
              sql<number>`sum(l.protected_bytes)`.as('protected_bytes'),
              sql<number>`sum(l.stored_bytes)`.as('stored_bytes'),
              sql<number>`0`.as('transferred_bytes'),
              sql<number>`sum(l.snapshot_count)`.as('snapshot_count'),
              sql<number>`sum(l.client_active)`.as('client_count'),
              sql<number>`count(*)`.as('data_source_count'),
              sql<number>`max(l.as_of)`.as('as_of'),
            ]),
        )
        .onConflict((oc) => oc.columns(['bu_id', 'day']).doUpdateSet(addOnConflict('usage_bu_daily')))
        .execute();
      // The current sums hold the latest day's transfer; a carried day transferred nothing.
      await trx
        .insertInto('usage_bu_current')
        .columns(['bu_id', ...figureColumns, 'as_of'])
        .expression(
          stale(trx)
            .where('l.bu_id', 'is not', null)
            .groupBy('l.bu_id')
            .select([
              sql<string>`l.bu_id`.as('bu_id'),
              sql<number>`0`.as('protected_bytes'),
              sql<number>`0`.as('stored_bytes'),
              sql<number>`-sum(l.transferred_bytes)`.as('transferred_bytes'),
              sql<number>`0`.as('snapshot_count'),
              sql<number>`0`.as('client_count'),
              sql<number>`0`.as('data_source_count'),
              sql<number>`0`.as('as_of'),
            ]),
        )
        .onConflict((oc) => oc.column('bu_id').doUpdateSet(addOnConflict('usage_bu_current')))
        .execute();
      await trx
        .insertInto('usage_samples')
        .columns([
          'data_source_id',
          'day',
          'bu_id',
          'protected_bytes',
          'stored_bytes',
          'transferred_bytes',
          'snapshot_count',
          'client_active',
          'carried',
          'as_of',
          'recorded_at',
        ])
        .expression(
          stale(trx).select([
            'l.data_source_id',
            sql<number>`cast(${day} as integer)`.as('day'),
            'l.bu_id',
            'l.protected_bytes',
            'l.stored_bytes',
            sql<number>`0`.as('transferred_bytes'),
            'l.snapshot_count',
            'l.client_active',
            sql<number>`1`.as('carried'),
            'l.as_of',
            sql<number>`cast(${now} as bigint)`.as('recorded_at'),
          ]),
        )
        .execute();
      await trx
        .updateTable('usage_latest')
        .set({ day, transferred_bytes: 0 })
        .where('retired_at', 'is', null)
        .where('day', '<', day)
        .execute();
      await trx.updateTable('usage_days').set({ carried_at: now }).where('day', '=', day).execute();
      return ids.length;
    });
}

/**
 * Computes the per-subtree sums of `day` from the per-unit sums through the closure table
 * as it is now (so a day's figures follow the tree at its end), and marks the day final at
 * its current version. A later write for the day makes it "dirty" again: reads fall back to
 * the live join until the next close.
 */
export async function finalizeDay(database: Database, day: number, now: number): Promise<boolean> {
  return usageDb(database)
    .transaction()
    .execute(async (trx) => {
      const bookkeeping = await trx
        .selectFrom('usage_days')
        .selectAll()
        .where('day', '=', day)
        .$if(database.dialect === 'postgres', (q) => q.forUpdate())
        .executeTakeFirst();
      if (!bookkeeping) return false;
      await trx.deleteFrom('usage_subtree_daily').where('day', '=', day).execute();
      await trx
        .insertInto('usage_subtree_daily')
        .columns(['bu_id', 'day', ...figureColumns, 'as_of'])
        .expression(
          trx
            .selectFrom('usage_bu_daily as b')
            .innerJoin('bu_closure as c', 'c.descendant_id', 'b.bu_id')
            .where('b.day', '=', day)
            .groupBy('c.ancestor_id')
            .select([
              'c.ancestor_id',
              sql<number>`cast(${day} as integer)`.as('day'),
              sql<number>`sum(b.protected_bytes)`.as('protected_bytes'),
              sql<number>`sum(b.stored_bytes)`.as('stored_bytes'),
              sql<number>`sum(b.transferred_bytes)`.as('transferred_bytes'),
              sql<number>`sum(b.snapshot_count)`.as('snapshot_count'),
              sql<number>`sum(b.client_count)`.as('client_count'),
              sql<number>`sum(b.data_source_count)`.as('data_source_count'),
              sql<number>`max(b.as_of)`.as('as_of'),
            ]),
        )
        .execute();
      await trx
        .updateTable('usage_days')
        .set({ finalized_version: bookkeeping.version, finalized_at: now })
        .where('day', '=', day)
        .execute();
      return true;
    });
}

/** What one close run did. */
export interface CloseDaysResult {
  readonly carried: readonly { day: number; dataSources: number }[];
  readonly finalized: readonly number[];
}

/**
 * The daily usage job: carries samples forward into every day since the last carry (at most
 * {@link maxCarryDays} back) up to today, then finalizes every earlier day that changed
 * since it was last finalized. Safe to run repeatedly and from several processes.
 */
export async function closeDays(database: Database, now: number): Promise<CloseDaysResult> {
  const db = usageDb(database);
  const today = epochDayOf(now);
  const last = await db
    .selectFrom('usage_days')
    .select((eb) => eb.fn.max('day').as('day'))
    .where('carried_at', 'is not', null)
    .executeTakeFirst();
  const lastCarried = last?.day === null || last?.day === undefined ? today - 1 : Number(last.day);
  const carried: { day: number; dataSources: number }[] = [];
  for (let day = Math.max(lastCarried + 1, today - maxCarryDays); day <= today; day++) {
    carried.push({ day, dataSources: await carryForward(database, day, now) });
  }
  const pending = await db
    .selectFrom('usage_days')
    .select('day')
    .where('day', '<', today)
    .where((eb) => eb.or([eb('finalized_version', 'is', null), eb('finalized_version', '<>', eb.ref('version'))]))
    .orderBy('day')
    .execute();
  const finalized: number[] = [];
  for (const { day } of pending) {
    if (await finalizeDay(database, day, now)) finalized.push(day);
  }
  return { carried, finalized };
}
