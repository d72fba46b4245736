import type { TenancyDb } from './store.ts';
import type { BuSettingTable } from './tables.ts';

/** A setting row on a unit's path, with its distance from that unit (0: the unit itself). */
export type PathSettingRow = BuSettingTable & { distance: number };

/** Setting rows of `buId` and all its ancestors (for one key, or all), nearest first. */
export async function settingsOnPath(db: TenancyDb, buId: string, key?: string): Promise<PathSettingRow[]> {
  let query = db
    .selectFrom('bu_closure as c')
    .innerJoin('bu_settings as s', 's.bu_id', 'c.ancestor_id')
    .selectAll('s')
    .select('c.depth as distance')
    .where('c.descendant_id', '=', buId);
  if (key !== undefined) query = query.where('s.key', '=', key);
  return query.orderBy('c.depth').execute();
}

/** The unit's own row for `key`, if it sets one. */
export async function ownSetting(db: TenancyDb, buId: string, key: string): Promise<BuSettingTable | undefined> {
  return db.selectFrom('bu_settings').selectAll().where('bu_id', '=', buId).where('key', '=', key).executeTakeFirst();
}

/** Inserts or replaces the unit's own value for the key. */
export async function upsertSetting(trx: TenancyDb, row: BuSettingTable): Promise<void> {
  await trx
    .insertInto('bu_settings')
    .values(row)
    .onConflict((oc) =>
      oc.columns(['bu_id', 'key']).doUpdateSet({
        value: row.value,
        locked: row.locked,
        updated_at: row.updated_at,
        updated_by: row.updated_by,
      }),
    )
    .execute();
}

/** Removes the unit's own value; true if there was one. */
export async function deleteSetting(trx: TenancyDb, buId: string, key: string): Promise<boolean> {
  const result = await trx
    .deleteFrom('bu_settings')
    .where('bu_id', '=', buId)
    .where('key', '=', key)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/**
 * For every unit in the subtree of `rootId` that lies at or below a unit of that subtree
 * setting `key`: the setter and its distance. Used to work out which units a move affects.
 */
export async function settersInsideSubtree(
  db: TenancyDb,
  rootId: string,
  key: string,
): Promise<{ descendant_id: string; bu_id: string; value: string; locked: number; distance: number }[]> {
  return db
    .selectFrom('bu_closure as r')
    .innerJoin('bu_settings as s', (join) => join.onRef('s.bu_id', '=', 'r.descendant_id').on('s.key', '=', key))
    .innerJoin('bu_closure as c', 'c.ancestor_id', 's.bu_id')
    .select(['c.descendant_id', 's.bu_id', 's.value', 's.locked', 'c.depth as distance'])
    .where('r.ancestor_id', '=', rootId)
    .execute();
}
