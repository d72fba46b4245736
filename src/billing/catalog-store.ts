import type { BillingDb } from './db.ts';
import type { Metric, ProductSpec, TierMode, Unit, ValueMode } from './product.ts';
import type { ProductTable, SubscriptionTable } from './tables.ts';

export type SubscriptionRow = SubscriptionTable;
export type ProductRow = ProductTable;

/** A product row as billing computes with it. */
export function specOf(row: ProductRow): ProductSpec {
  const tiers = JSON.parse(row.tiers) as { upTo: number | null; unitPrice: number }[];
  return {
    name: row.name,
    metric: row.metric as Metric,
    unit: row.unit as Unit,
    unitLabel: row.unit_label,
    settlement: row.settlement as ProductSpec['settlement'],
    packageSize: Number(row.package_size),
    valueMode: row.value_mode as ValueMode,
    currency: row.currency,
    tierMode: row.tier_mode as TierMode,
    tiers: tiers.map((t) => ({ upTo: t.upTo, unitPrice: BigInt(t.unitPrice) })),
    minimumCharge: BigInt(row.minimum_charge),
  };
}

/** The columns a product spec is stored in. */
export function columnsOf(spec: ProductSpec) {
  return {
    name: spec.name,
    metric: spec.metric,
    unit: spec.unit,
    unit_label: spec.unitLabel,
    settlement: spec.settlement,
    package_size: spec.packageSize,
    value_mode: spec.valueMode,
    currency: spec.currency,
    tier_mode: spec.tierMode,
    tiers: JSON.stringify(spec.tiers.map((t) => ({ upTo: t.upTo, unitPrice: Number(t.unitPrice) }))),
    minimum_charge: Number(spec.minimumCharge),
  };
}

export async function insertSubscription(trx: BillingDb, row: SubscriptionRow): Promise<void> {
  await trx.insertInto('billing_subscriptions').values(row).execute();
}

export async function findSubscription(db: BillingDb, id: string): Promise<SubscriptionRow | undefined> {
  return db.selectFrom('billing_subscriptions').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findSubscriptionByName(
  db: BillingDb,
  ownerBuId: string,
  name: string,
): Promise<SubscriptionRow | undefined> {
  return db
    .selectFrom('billing_subscriptions')
    .selectAll()
    .where('owner_bu_id', '=', ownerBuId)
    .where('name', '=', name)
    .executeTakeFirst();
}

/** Subscriptions owned by any of `ownerIds`, by name (then id), after the keyset position `after`. */
export async function listSubscriptionsOwnedBy(
  db: BillingDb,
  ownerIds: readonly string[],
  page: { limit: number; after?: { name: string; id: string } | undefined },
): Promise<SubscriptionRow[]> {
  if (ownerIds.length === 0) return [];
  const after = page.after;
  return db
    .selectFrom('billing_subscriptions')
    .selectAll()
    .where('owner_bu_id', 'in', [...ownerIds])
    .$if(after !== undefined, (q) =>
      q.where((eb) =>
        eb.or([
          eb('name', '>', after?.name as string),
          eb.and([eb('name', '=', after?.name as string), eb('id', '>', after?.id as string)]),
        ]),
      ),
    )
    .orderBy('name')
    .orderBy('id')
    .limit(page.limit)
    .execute();
}

/** The names of subscriptions by id. */
export async function subscriptionNames(db: BillingDb, ids: readonly string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .selectFrom('billing_subscriptions')
    .select(['id', 'name'])
    .where('id', 'in', [...ids])
    .execute();
  return new Map(rows.map((r) => [r.id, r.name]));
}

export async function updateSubscriptionRow(
  trx: BillingDb,
  id: string,
  patch: Partial<Pick<SubscriptionRow, 'name' | 'description' | 'updated_at'>>,
): Promise<void> {
  await trx.updateTable('billing_subscriptions').set(patch).where('id', '=', id).execute();
}

export async function insertProduct(trx: BillingDb, row: ProductRow): Promise<void> {
  await trx.insertInto('billing_products').values(row).execute();
}

export async function findProduct(db: BillingDb, id: string): Promise<ProductRow | undefined> {
  return db.selectFrom('billing_products').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Products of subscriptions, withdrawn ones included (runs still settle their past periods). */
export async function listProducts(db: BillingDb, subscriptionIds: readonly string[]): Promise<ProductRow[]> {
  if (subscriptionIds.length === 0) return [];
  return db
    .selectFrom('billing_products')
    .selectAll()
    .where('subscription_id', 'in', [...subscriptionIds])
    .orderBy('name')
    .orderBy('id')
    .execute();
}

export async function updateProductRow(trx: BillingDb, id: string, patch: Partial<ProductRow>): Promise<void> {
  await trx.updateTable('billing_products').set(patch).where('id', '=', id).execute();
}
