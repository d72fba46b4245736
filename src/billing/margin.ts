import { ValidationError } from '../platform/index.ts';
import { formatDay, parseDay } from '../usage/index.ts';
import type { BillingContext } from './context.ts';
import { billingDb } from './db.ts';
import { postedLinesOfParty } from './run-store.ts';

/** Cost versus sell of one product kind in one month and currency. */
export interface MarginRow {
  /** YYYY-MM of the periods' start. */
  month: string;
  /** The metric, or `manual:<product name>` for manual products (they differ by product). */
  product: string;
  currency: string;
  /** What the unit was billed by its seller (minor units, corrections included). */
  cost: number;
  /** What the unit billed its own customers. */
  sell: number;
  margin: number;
}

export interface MarginView {
  buId: string;
  from: string;
  to: string;
  rows: MarginRow[];
}

/**
 * A reseller's margin: posted lines billed to the unit (cost, at its seller's prices) against
 * posted lines the unit billed its customers (sell, at its own prices), grouped by month of
 * the period start, metric and currency. Requires `billing.read` on the unit.
 */
export async function marginView(
  ctx: BillingContext,
  buId: string,
  range: { from: string; to: string },
): Promise<MarginView> {
  await ctx.access.require('billing.read', buId, 'Business unit');
  const from = parseDay(range.from, 'from');
  const to = parseDay(range.to, 'to');
  if (to <= from) throw new ValidationError('to must be after from', { field: 'to' });
  const db = billingDb(ctx.database);
  const [cost, sell] = await Promise.all([
    postedLinesOfParty(db, 'customer', buId, from, to),
    postedLinesOfParty(db, 'seller', buId, from, to),
  ]);
  const groups = new Map<string, { month: string; product: string; currency: string; cost: bigint; sell: bigint }>();
  const add = (side: 'cost' | 'sell', line: (typeof cost)[number]) => {
    const month = formatDay(Number(line.period_start)).slice(0, 7);
    const product = line.metric === 'manual' ? `manual:${line.product_name}` : line.metric;
    const key = `${month}|${product}|${line.currency}`;
    const group = groups.get(key) ?? { month, product, currency: line.currency, cost: 0n, sell: 0n };
    group[side] += BigInt(line.amount);
    groups.set(key, group);
  };
  for (const line of cost) add('cost', line);
  for (const line of sell) add('sell', line);
  const rows = [...groups.values()]
    .sort(
      (a, b) =>
        a.month.localeCompare(b.month) || a.product.localeCompare(b.product) || a.currency.localeCompare(b.currency),
    )
    .map((g) => ({
      month: g.month,
      product: g.product,
      currency: g.currency,
      cost: Number(g.cost),
      sell: Number(g.sell),
      margin: Number(g.sell - g.cost),
    }));
  return { buId, from: range.from, to: range.to, rows };
}
