import {
  ConflictError,
  decodeCursor,
  NotFoundError,
  newId,
  type Page,
  pageOf,
  pageSize,
  ValidationError,
} from '../platform/index.ts';
import {
  columnsOf,
  findProduct,
  findSubscription,
  findSubscriptionByName,
  insertProduct,
  insertSubscription,
  listProducts,
  listSubscriptionsOwnedBy,
  type ProductRow,
  type SubscriptionRow,
  specOf,
  updateProductRow,
  updateSubscriptionRow,
} from './catalog-store.ts';
import type { BillingContext } from './context.ts';
import { ancestorIdsOf } from './contract-store.ts';
import { billingDb, isUniqueViolation } from './db.ts';
import { checkCurrency } from './money.ts';
import { checkProduct, type ProductInput, type ProductSpec } from './product.ts';
import { type ProductView, productView, type SubscriptionView, subscriptionView } from './views.ts';

export interface SubscriptionInput {
  name: string;
  description?: string;
  currency: string;
  products?: ProductInput[];
}

function checkName(value: unknown, field = 'name'): string {
  const name = typeof value === 'string' ? value.trim() : '';
  if (name.length < 1 || name.length > 200) throw new ValidationError(`${field} must be 1-200 characters`, { field });
  return name;
}

/** Validates a product for a subscription; a different currency is refused (one currency per subscription). */
function productFor(subscriptionCurrency: string, input: ProductInput, index?: number): ProductSpec {
  const spec = checkProduct(input);
  if (spec.currency !== subscriptionCurrency) {
    const where = index === undefined ? 'the product' : `product ${index + 1} (${spec.name})`;
    throw new ValidationError(
      `currency mismatch: ${where} is priced in ${spec.currency} but the subscription bills in ${subscriptionCurrency}`,
      { field: index === undefined ? 'currency' : `products/${index}/currency` },
    );
  }
  return spec;
}

function duplicateName(error: unknown, what: string): never {
  if (isUniqueViolation(error)) throw new ConflictError(`${what} with this name already exists`, { field: 'name' });
  throw error;
}

/**
 * Creates a subscription owned by `ownerBuId` with its products, atomically: any invalid
 * product (unknown metric, negative price, other currency…) refuses the whole request and
 * nothing is written. Requires `billing.manage` on the owner.
 */
export async function createSubscription(
  ctx: BillingContext,
  ownerBuId: string,
  input: SubscriptionInput,
): Promise<SubscriptionView> {
  await ctx.access.require('billing.manage', ownerBuId, 'Business unit');
  const name = checkName(input.name);
  const currency = checkCurrency(input.currency);
  const specs = (input.products ?? []).map((p, i) => productFor(currency, p, i));
  const names = new Set<string>();
  for (const spec of specs) {
    if (names.has(spec.name)) throw new ValidationError(`two products are named ${spec.name}`, { field: 'products' });
    names.add(spec.name);
  }
  const now = ctx.clock.now();
  const row: SubscriptionRow = {
    id: newId(now),
    owner_bu_id: ownerBuId,
    name,
    description: typeof input.description === 'string' ? input.description.trim().slice(0, 2000) : '',
    currency,
    created_at: now,
    updated_at: now,
  };
  const products: ProductRow[] = specs.map((spec) => ({
    id: newId(now),
    subscription_id: row.id,
    ...columnsOf(spec),
    created_at: now,
    updated_at: now,
    retired_at: null,
  }));
  await billingDb(ctx.database)
    .transaction()
    .execute(async (trx) => {
      if (await findSubscriptionByName(trx, ownerBuId, name)) {
        throw new ConflictError('a subscription with this name already exists', { field: 'name' });
      }
      await insertSubscription(trx, row);
      for (const product of products) await insertProduct(trx, product);
      await ctx.audit.record(
        {
          action: 'billing.subscription.create',
          buId: ownerBuId,
          resourceType: 'billing_subscription',
          resourceId: row.id,
          after: { name, currency, products: products.map((p) => p.name) },
        },
        trx,
      );
    })
    .catch((error) => duplicateName(error, 'a subscription'));
  return subscriptionView(row, products);
}

/** Loads a subscription the caller may see with `privilege` on its owner; NotFoundError otherwise. */
export async function loadSubscription(ctx: BillingContext, id: string, privilege: string): Promise<SubscriptionRow> {
  const row = await findSubscription(billingDb(ctx.database), id);
  if (!row) throw new NotFoundError('Subscription');
  await ctx.access.require(privilege, row.owner_bu_id, 'Subscription');
  return row;
}

/** One subscription with its products. Requires `billing.read` on the owner. */
export async function getSubscription(ctx: BillingContext, id: string): Promise<SubscriptionView> {
  const row = await loadSubscription(ctx, id, 'billing.read');
  return subscriptionView(row, await listProducts(billingDb(ctx.database), [row.id]));
}

/**
 * Subscriptions usable for contracts in `buId`'s subtree: its own and (with `inherited`)
 * those of units above it that the caller can reach. Requires `billing.read` on the unit.
 */
export async function listSubscriptions(
  ctx: BillingContext,
  buId: string,
  options: { inherited?: boolean; limit?: number; cursor?: string } = {},
): Promise<Page<SubscriptionView>> {
  await ctx.access.require('billing.read', buId, 'Business unit');
  const limit = pageSize(options.limit);
  const after = options.cursor === undefined ? undefined : decodeCursor(options.cursor, ['name', 'id'] as const);
  const db = billingDb(ctx.database);
  const owners = [buId];
  if (options.inherited) {
    for (const ancestor of await ancestorIdsOf(db, buId)) {
      if (await ctx.access.reaches(ancestor)) owners.push(ancestor);
    }
  }
  const rows = await listSubscriptionsOwnedBy(db, owners, { limit: limit + 1, after });
  const kept = rows.slice(0, limit);
  const products = await listProducts(
    db,
    kept.map((r) => r.id),
  );
  return pageOf(
    rows,
    limit,
    (r) => subscriptionView(r, products),
    (r) => ({ name: r.name, id: r.id }),
  );
}

/** Renames or re-describes a subscription (its currency is fixed). Requires `billing.manage`. */
export async function updateSubscription(
  ctx: BillingContext,
  id: string,
  patch: { name?: string; description?: string },
): Promise<SubscriptionView> {
  const row = await loadSubscription(ctx, id, 'billing.manage');
  const next = {
    name: patch.name === undefined ? row.name : checkName(patch.name),
    description: patch.description === undefined ? row.description : patch.description.trim().slice(0, 2000),
    updated_at: ctx.clock.now(),
  };
  await billingDb(ctx.database)
    .transaction()
    .execute(async (trx) => {
      await updateSubscriptionRow(trx, id, next);
      await ctx.audit.record(
        {
          action: 'billing.subscription.update',
          buId: row.owner_bu_id,
          resourceType: 'billing_subscription',
          resourceId: id,
          before: { name: row.name, description: row.description },
          after: { name: next.name, description: next.description },
        },
        trx,
      );
    })
    .catch((error) => duplicateName(error, 'a subscription'));
  return getSubscription(ctx, id);
}

/** Adds a product to a subscription (same currency). Requires `billing.manage` on the owner. */
export async function addProduct(
  ctx: BillingContext,
  subscriptionId: string,
  input: ProductInput,
): Promise<ProductView> {
  const subscription = await loadSubscription(ctx, subscriptionId, 'billing.manage');
  const spec = productFor(subscription.currency, input);
  const now = ctx.clock.now();
  const row: ProductRow = {
    id: newId(now),
    subscription_id: subscriptionId,
    ...columnsOf(spec),
    created_at: now,
    updated_at: now,
    retired_at: null,
  };
  await billingDb(ctx.database)
    .transaction()
    .execute(async (trx) => {
      await insertProduct(trx, row);
      await ctx.audit.record(
        {
          action: 'billing.product.create',
          buId: subscription.owner_bu_id,
          resourceType: 'billing_product',
          resourceId: row.id,
          after: { subscriptionId, name: spec.name, metric: spec.metric },
        },
        trx,
      );
    })
    .catch((error) => duplicateName(error, 'a product'));
  return productView(row);
}

async function loadProduct(ctx: BillingContext, productId: string) {
  const product = await findProduct(billingDb(ctx.database), productId);
  if (!product) throw new NotFoundError('Product');
  const subscription = await loadSubscription(ctx, product.subscription_id, 'billing.manage');
  return { product, subscription };
}

/**
 * Changes a product's pricing (name, label, settlement, value, prices, tiers, minimum) from
 * the next unbilled period on; posted lines keep the prices they were computed with. The
 * metric, unit and currency are fixed: settle something else with a new product.
 */
export async function updateProduct(
  ctx: BillingContext,
  productId: string,
  input: Partial<ProductInput>,
): Promise<ProductView> {
  const { product, subscription } = await loadProduct(ctx, productId);
  const current = specOf(product);
  for (const field of ['metric', 'unit', 'currency'] as const) {
    if (input[field] !== undefined && input[field] !== current[field]) {
      throw new ValidationError(`a product's ${field} cannot change; create a new product instead`, { field });
    }
  }
  const tiered = input.tierMode !== undefined ? input.tierMode !== 'none' : current.tierMode !== 'none';
  const pricing =
    input.unitPrice !== undefined || input.tiers !== undefined || input.tierMode !== undefined
      ? { unitPrice: input.unitPrice, tierMode: input.tierMode, tiers: input.tiers }
      : tiered
        ? {
            tierMode: current.tierMode,
            tiers: current.tiers.map((t) => ({ upTo: t.upTo, unitPrice: Number(t.unitPrice) })),
          }
        : { unitPrice: Number(current.tiers[0]?.unitPrice ?? 0n) };
  const spec = productFor(subscription.currency, {
    name: input.name ?? current.name,
    metric: current.metric,
    unit: current.unit,
    unitLabel: input.unitLabel ?? current.unitLabel,
    settlement: input.settlement ?? current.settlement,
    packageSize: input.packageSize ?? (input.settlement === 'units' ? 1 : current.packageSize),
    valueMode: input.valueMode ?? current.valueMode,
    currency: current.currency,
    minimumCharge: input.minimumCharge ?? Number(current.minimumCharge),
    ...pricing,
  });
  const now = ctx.clock.now();
  const row: ProductRow = { ...product, ...columnsOf(spec), updated_at: now };
  await billingDb(ctx.database)
    .transaction()
    .execute(async (trx) => {
      await updateProductRow(trx, productId, row);
      await ctx.audit.record(
        {
          action: 'billing.product.update',
          buId: subscription.owner_bu_id,
          resourceType: 'billing_product',
          resourceId: productId,
          before: productView(product) as unknown as Record<string, unknown>,
          after: productView(row) as unknown as Record<string, unknown>,
        },
        trx,
      );
    })
    .catch((error) => duplicateName(error, 'a product'));
  return productView(row);
}

/**
 * Withdraws a product: periods starting after today are no longer billed for it; periods
 * already due are still settled. Requires `billing.manage` on the owner.
 */
export async function retireProduct(ctx: BillingContext, productId: string): Promise<ProductView> {
  const { product, subscription } = await loadProduct(ctx, productId);
  if (product.retired_at !== null) return productView(product);
  const now = ctx.clock.now();
  await billingDb(ctx.database)
    .transaction()
    .execute(async (trx) => {
      await updateProductRow(trx, productId, { retired_at: now, updated_at: now });
      await ctx.audit.record(
        {
          action: 'billing.product.retire',
          buId: subscription.owner_bu_id,
          resourceType: 'billing_product',
          resourceId: productId,
        },
        trx,
      );
    });
  return productView({ ...product, retired_at: now, updated_at: now });
}
