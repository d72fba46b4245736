import type { Database } from '../platform/index.ts';
import { type DailyUsage, epochDayOf, formatDay, subtreeUsageHistory, type UsageFigures } from '../usage/index.ts';
import {
  type DayRange,
  lengthOf,
  monthsPerPeriod,
  overlap,
  periodContaining,
  previousPeriod,
  type SettlementRate,
} from './calendar.ts';
import { type ProductRow, specOf } from './catalog-store.ts';
import { type ContractRow, openRegistrations } from './contract-store.ts';
import type { BillingDb } from './db.ts';
import { measureGauge, measureTotal } from './measure.ts';
import { decimalText, type Fraction, fraction, multiply, scaledText } from './money.ts';
import { billableQuantity, lineAmount, priceQuantity } from './pricing.ts';
import { isGauge, type Metric, type ProductSpec } from './product.ts';

/** How a line was computed; stored with the line and shown to people and ERP systems. */
export interface LineDetail {
  timing: string;
  settlementRate: number;
  billingDay: number;
  metric: Metric;
  valueMode: string;
  unit: string;
  /** Days measured, [from, to) as dates; null for manual products. */
  window: { from: string; to: string } | null;
  days: number;
  /** The measured value in base units (bytes, count or registered quantity), decimal text. */
  measured: string;
  /** For latest and peak: the day the value was taken from. */
  valueDate: string | null;
  /** Newest measurement included (epoch ms), null when none. */
  asOf: number | null;
  /** The value in product units, 6 decimals. */
  units: string;
  rounding: string;
  packages: string | null;
  registrationIds: string[];
  pricing: { tierMode: string; tiers: { upTo: number | null; unitPrice: number }[]; minimumCharge: number };
  tiers: { tier: number; quantity: string; unitPrice: number }[];
  months: number;
  activeDays: number;
  periodDays: number;
  /** Exact charge and minimum in minor units (4 decimals), before the one rounding. */
  charge: string;
  minimum: string;
  minimumApplied: boolean;
  /** Set on dry runs: measured only up to this day (exclusive), the rest of the period is unknown. */
  estimateUntil: string | null;
}

/** A line computed but not yet written. */
export interface DraftLine {
  readonly key: string;
  readonly contract: ContractRow;
  readonly product: ProductRow;
  readonly period: DayRange;
  readonly quantityMilli: bigint;
  readonly unitPrice: bigint | null;
  readonly amount: bigint;
  readonly detail: LineDetail;
  readonly registrationIds: readonly string[];
}

export interface SettleOptions {
  readonly billingDay: number;
  /** Settle every period due on or before this day. */
  readonly runDay: number;
  /** Charge keys that already exist (those periods are skipped). */
  readonly existingKeys: ReadonlySet<string>;
  /** Dry runs: measure only days before this one. */
  readonly dataUntil?: number;
}

export function chargeKey(contractId: string, productId: string, periodStart: number): string {
  return `${contractId}:${productId}:${periodStart}`;
}

const figureOf: Record<Exclude<Metric, 'manual'>, (f: UsageFigures) => bigint> = {
  stored: (f) => f.storedBytes,
  protected: (f) => f.protectedBytes,
  transferred: (f) => f.transferredBytes,
  clients: (f) => f.clientCount,
  snapshots: (f) => f.snapshotCount,
};

/** Reads each window's daily history once per contract. */
function historyReader(database: Database, buId: string) {
  const cache = new Map<string, Promise<DailyUsage[]>>();
  return (window: DayRange): Promise<DailyUsage[]> => {
    if (window.end <= window.start) return Promise.resolve([]);
    const key = `${window.start}:${window.end}`;
    let entry = cache.get(key);
    if (!entry) {
      entry = subtreeUsageHistory(database, buId, window.start, window.end - 1);
      cache.set(key, entry);
    }
    return entry;
  };
}

interface Measured {
  value: Fraction;
  baseScale: bigint;
  window: DayRange | null;
  days: number;
  valueDate: string | null;
  asOf: number | null;
  registrationIds: string[];
}

function truncate(window: DayRange, dataUntil: number | undefined): DayRange {
  if (dataUntil === undefined || window.end <= dataUntil) return window;
  return { start: window.start, end: Math.max(window.start, dataUntil) };
}

async function measure(
  db: BillingDb,
  read: (window: DayRange) => Promise<DailyUsage[]>,
  contract: ContractRow,
  product: ProductRow,
  spec: ProductSpec,
  window: DayRange,
  period: DayRange,
  claimed: Set<string>,
): Promise<Measured> {
  if (spec.metric === 'manual') {
    // A registration goes to the first period settled after it; when one call settles
    // several periods, later ones skip what earlier ones took.
    const open = (await openRegistrations(db, contract.id, product.id, period.end)).filter((r) => !claimed.has(r.id));
    for (const r of open) claimed.add(r.id);
    return {
      value: fraction(open.reduce((sum, r) => sum + BigInt(r.quantity_milli), 0n)),
      baseScale: 1000n,
      window: null,
      days: 0,
      valueDate: null,
      asOf: null,
      registrationIds: open.map((r) => r.id),
    };
  }
  const history = await read(window);
  const pick = figureOf[spec.metric];
  const values = history.map((h) => pick(h.figures));
  const asOf = history.reduce<number | null>(
    (m, h) => (h.figures.asOf !== null && (m === null || h.figures.asOf > m) ? h.figures.asOf : m),
    null,
  );
  if (!isGauge(spec.metric)) {
    return {
      value: measureTotal(values),
      baseScale: 1n,
      window,
      days: values.length,
      valueDate: null,
      asOf,
      registrationIds: [],
    };
  }
  const gauge = measureGauge(values, spec.valueMode as 'latest' | 'average' | 'peak');
  const valueDate = gauge.dayIndex === null ? null : formatDay(window.start + gauge.dayIndex);
  return { value: gauge.value, baseScale: 1n, window, days: gauge.days, valueDate, asOf, registrationIds: [] };
}

/**
 * Computes the lines a contract owes on `runDay`: for each product, every settlement period
 * from the contract's start that is due and not yet charged. A period is due at its end
 * (in arrears, and always for consumed amounts), or at its start for gauges of contracts
 * settled in advance — those measure the previous period as the best known estimate. Days
 * outside the contract do not count: gauges average over active days and are prorated by
 * active days / period days. Reads only; the caller writes.
 */
export async function settleContract(
  database: Database,
  db: BillingDb,
  contract: ContractRow,
  products: readonly ProductRow[],
  options: SettleOptions,
): Promise<DraftLine[]> {
  const rate = Number(contract.settlement_rate) as SettlementRate;
  const active = {
    start: Number(contract.start_day),
    end: contract.end_day === null ? null : Number(contract.end_day),
  };
  const read = historyReader(database, contract.customer_bu_id);
  const drafts: DraftLine[] = [];
  const claimed = new Set<string>();
  for (const product of products.filter((p) => p.subscription_id === contract.subscription_id)) {
    const spec = specOf(product);
    const advance = contract.timing === 'advance' && isGauge(spec.metric);
    const retiredDay = product.retired_at === null ? null : epochDayOf(Number(product.retired_at));
    for (
      let period = periodContaining(active.start, options.billingDay, rate);
      (active.end === null || period.start < active.end) && period.start <= options.runDay;
      period = periodContaining(period.end, options.billingDay, rate)
    ) {
      const due = advance ? period.start : period.end;
      if (due > options.runDay) break;
      if (retiredDay !== null && period.start > retiredDay) break;
      const key = chargeKey(contract.id, product.id, period.start);
      const covered = overlap(period, active);
      if (!covered || options.existingKeys.has(key)) continue;
      const full = advance ? previousPeriod(period, options.billingDay, rate) : covered;
      const window = truncate(full, options.dataUntil);
      const measured = await measure(db, read, contract, product, spec, window, period, claimed);
      const estimateUntil = window.end < full.end && spec.metric !== 'manual' ? window.end : null;
      drafts.push(price(contract, product, spec, period, covered, measured, key, rate, options, estimateUntil));
    }
  }
  return drafts;
}

function price(
  contract: ContractRow,
  product: ProductRow,
  spec: ProductSpec,
  period: DayRange,
  covered: DayRange,
  measured: Measured,
  key: string,
  rate: SettlementRate,
  options: SettleOptions,
  estimateUntil: number | null,
): DraftLine {
  const quantity = billableQuantity(measured.value, spec, measured.baseScale);
  const priced = priceQuantity(quantity.quantityMilli, spec);
  const factor = { months: monthsPerPeriod(rate), activeDays: lengthOf(covered), periodDays: lengthOf(period) };
  const amount = lineAmount(priced, spec, factor, isGauge(spec.metric));
  const unitPrice = spec.tierMode === 'graduated' ? null : (priced.portions[0]?.unitPrice ?? null);
  const detail: LineDetail = {
    timing: contract.timing,
    settlementRate: rate,
    billingDay: options.billingDay,
    metric: spec.metric,
    valueMode: spec.valueMode,
    unit: spec.unit,
    window: measured.window ? { from: formatDay(measured.window.start), to: formatDay(measured.window.end) } : null,
    days: measured.days,
    measured: decimalText(multiply(measured.value, fraction(1n, measured.baseScale)), 3),
    valueDate: measured.valueDate,
    asOf: measured.asOf,
    units: decimalText(quantity.units, 6),
    rounding:
      spec.settlement === 'packages'
        ? `per started package of ${spec.packageSize} ${spec.unitLabel}`
        : 'units rounded half-up to 0.001',
    packages: quantity.packages === null ? null : quantity.packages.toString(),
    registrationIds: measured.registrationIds,
    pricing: {
      tierMode: spec.tierMode,
      tiers: spec.tiers.map((t) => ({ upTo: t.upTo, unitPrice: Number(t.unitPrice) })),
      minimumCharge: Number(spec.minimumCharge),
    },
    tiers: priced.portions.map((p) => ({
      tier: p.tier + 1,
      quantity: scaledText(p.quantityMilli, 3),
      unitPrice: Number(p.unitPrice),
    })),
    months: factor.months,
    activeDays: factor.activeDays,
    periodDays: factor.periodDays,
    charge: decimalText(amount.charge, 4),
    minimum: decimalText(amount.minimum, 4),
    minimumApplied: amount.minimumApplied,
    estimateUntil: estimateUntil === null ? null : formatDay(estimateUntil),
  };
  return {
    key,
    contract,
    product,
    period,
    quantityMilli: quantity.quantityMilli,
    unitPrice,
    amount: amount.amount,
    detail,
    registrationIds: measured.registrationIds,
  };
}
