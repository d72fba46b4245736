import type { TenancyDb } from './store.ts';
import type { BuBrandTable, BuLogoTable } from './tables.ts';

export type PathBrandRow = BuBrandTable & { distance: number };
export type LogoInfo = Omit<BuLogoTable, 'bytes'> & { distance: number };

/** Brand rows of `buId` and its ancestors, nearest first. */
export async function brandsOnPath(db: TenancyDb, buId: string): Promise<PathBrandRow[]> {
  return db
    .selectFrom('bu_closure as c')
    .innerJoin('bu_brands as b', 'b.bu_id', 'c.ancestor_id')
    .selectAll('b')
    .select('c.depth as distance')
    .where('c.descendant_id', '=', buId)
    .orderBy('c.depth')
    .execute();
}

/** The nearest logo on the path of `buId` (without its bytes). */
export async function nearestLogo(db: TenancyDb, buId: string): Promise<LogoInfo | undefined> {
  return db
    .selectFrom('bu_closure as c')
    .innerJoin('bu_logos as l', 'l.bu_id', 'c.ancestor_id')
    .select(['l.bu_id', 'l.content_type', 'l.byte_size', 'l.sha256', 'l.updated_at', 'c.depth as distance'])
    .where('c.descendant_id', '=', buId)
    .orderBy('c.depth')
    .limit(1)
    .executeTakeFirst();
}

/** The unit's own logo (without bytes), if it has one. */
export async function ownLogo(db: TenancyDb, buId: string): Promise<Omit<BuLogoTable, 'bytes'> | undefined> {
  return db
    .selectFrom('bu_logos')
    .select(['bu_id', 'content_type', 'byte_size', 'sha256', 'updated_at'])
    .where('bu_id', '=', buId)
    .executeTakeFirst();
}

/** The bytes of the logo stored at `buId`. */
export async function logoBytes(db: TenancyDb, buId: string): Promise<Uint8Array | undefined> {
  const row = await db.selectFrom('bu_logos').select('bytes').where('bu_id', '=', buId).executeTakeFirst();
  return row?.bytes;
}

/** Writes the unit's brand overrides; removes the row when every field is inherited again. */
export async function saveBrand(trx: TenancyDb, row: BuBrandTable): Promise<void> {
  const { bu_id, updated_at, ...fields } = row;
  if (Object.values(fields).every((v) => v === null)) {
    await trx.deleteFrom('bu_brands').where('bu_id', '=', bu_id).execute();
    return;
  }
  await trx
    .insertInto('bu_brands')
    .values(row)
    .onConflict((oc) => oc.column('bu_id').doUpdateSet({ ...fields, updated_at }))
    .execute();
}

/** Inserts or replaces the unit's logo. */
export async function saveLogo(trx: TenancyDb, row: BuLogoTable): Promise<void> {
  const { bu_id, ...rest } = row;
  await trx
    .insertInto('bu_logos')
    .values(row)
    .onConflict((oc) => oc.column('bu_id').doUpdateSet(rest))
    .execute();
}

/** Removes the unit's own logo; true if it had one. */
export async function deleteLogo(trx: TenancyDb, buId: string): Promise<boolean> {
  const result = await trx.deleteFrom('bu_logos').where('bu_id', '=', buId).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** The unit whose sign-in address is `host` (lower case), other than `exceptId`. */
export async function unitWithSignInHost(db: TenancyDb, host: string, exceptId?: string): Promise<string | undefined> {
  let query = db.selectFrom('bu_brands').select('bu_id').where('sign_in_host', '=', host);
  if (exceptId) query = query.where('bu_id', '<>', exceptId);
  return (await query.executeTakeFirst())?.bu_id;
}

/** The installation's root unit: the oldest unit without a parent (normally the only one). */
export async function installationRootId(db: TenancyDb): Promise<string | undefined> {
  const row = await db
    .selectFrom('business_units')
    .select('id')
    .where('parent_id', 'is', null)
    .orderBy('created_at')
    .orderBy('id')
    .limit(1)
    .executeTakeFirst();
  return row?.id;
}
