import type { BillingDb } from './db.ts';
import type { BillingProfileTable } from './tables.ts';

/** Sellers without a profile bill on the 1st of the month. */
export const defaultBillingDay = 1;

export async function findProfile(db: BillingDb, buId: string): Promise<BillingProfileTable | undefined> {
  return db.selectFrom('billing_profiles').selectAll().where('bu_id', '=', buId).executeTakeFirst();
}

export async function billingDayOf(db: BillingDb, buId: string): Promise<number> {
  return Number((await findProfile(db, buId))?.billing_day ?? defaultBillingDay);
}

export async function upsertProfile(trx: BillingDb, row: BillingProfileTable): Promise<void> {
  await trx
    .insertInto('billing_profiles')
    .values(row)
    .onConflict((oc) => oc.column('bu_id').doUpdateSet({ billing_day: row.billing_day, updated_at: row.updated_at }))
    .execute();
}

/** True when any contract of the seller already has a billing line (its periods are fixed). */
export async function sellerHasLines(db: BillingDb, sellerBuId: string): Promise<boolean> {
  const row = await db
    .selectFrom('billing_lines')
    .select('id')
    .where('seller_bu_id', '=', sellerBuId)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}
