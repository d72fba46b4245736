import { ValidationError } from '../platform/index.ts';
import { checkCurrency, checkMinorUnits } from './money.ts';

/**
 * What a product settles. Gauges (stored, protected, clients, snapshots) are states that
 * are priced per unit per month; flows (transferred bytes, manual registrations) are
 * consumed amounts priced per unit consumed.
 */
export const metrics = ['stored', 'protected', 'transferred', 'clients', 'snapshots', 'manual'] as const;
export type Metric = (typeof metrics)[number];

export const valueModes = ['latest', 'average', 'peak', 'total'] as const;
export type ValueMode = (typeof valueModes)[number];

/** GB = 10^9 bytes, GiB = 2^30 bytes; counts and manual registrations use `unit`. */
export const units = ['GB', 'GiB', 'unit'] as const;
export type Unit = (typeof units)[number];

export type TierMode = 'none' | 'volume' | 'graduated';

export interface Tier {
  /** Upper bound in whole units (or packages), inclusive; null for the last tier. */
  readonly upTo: number | null;
  /** Minor units per unit (or package). */
  readonly unitPrice: bigint;
}

/** A product as billing computes with it (prices as bigints). */
export interface ProductSpec {
  readonly name: string;
  readonly metric: Metric;
  readonly unit: Unit;
  /** Shown on lines, e.g. "GB", "hour", "client". */
  readonly unitLabel: string;
  readonly settlement: 'units' | 'packages';
  /** Units per package (1 when settled as units). */
  readonly packageSize: number;
  readonly valueMode: ValueMode;
  readonly currency: string;
  readonly tierMode: TierMode;
  /** One tier (upTo null) at the flat price when `tierMode` is `none`. */
  readonly tiers: readonly Tier[];
  /** Per month of the settlement period, prorated like the charge. */
  readonly minimumCharge: bigint;
}

export const gaugeMetrics: ReadonlySet<Metric> = new Set(['stored', 'protected', 'clients', 'snapshots']);
const byteMetrics: ReadonlySet<Metric> = new Set(['stored', 'protected', 'transferred']);

export function isGauge(metric: Metric): boolean {
  return gaugeMetrics.has(metric);
}

export function isByteMetric(metric: Metric): boolean {
  return byteMetrics.has(metric);
}

/** Product input as the API takes it (prices as integer minor units). */
export interface ProductInput {
  name: string;
  metric: string;
  unit?: string;
  unitLabel?: string;
  settlement?: string;
  packageSize?: number;
  valueMode?: string;
  currency: string;
  unitPrice?: number;
  tierMode?: string;
  tiers?: { upTo: number | null; unitPrice: number }[];
  minimumCharge?: number;
}

function fail(message: string, field: string): never {
  throw new ValidationError(message, { field });
}

function checkTiers(input: ProductInput, tierMode: TierMode): Tier[] {
  if (tierMode === 'none') {
    if (input.tiers !== undefined) fail('tiers need tierMode volume or graduated', 'tiers');
    if (input.unitPrice === undefined) fail('unitPrice is required for a product without tiers', 'unitPrice');
    return [{ upTo: null, unitPrice: checkMinorUnits(input.unitPrice, 'unitPrice') }];
  }
  if (input.unitPrice !== undefined) fail('a tiered product takes its prices from tiers, not unitPrice', 'unitPrice');
  const tiers = input.tiers;
  if (!Array.isArray(tiers) || tiers.length === 0) fail(`tierMode ${tierMode} needs at least one tier`, 'tiers');
  let previous = 0;
  return tiers.map((tier, index) => {
    const last = index === tiers.length - 1;
    if (last && tier.upTo !== null) fail('the last tier must be open-ended (upTo null)', `tiers/${index}/upTo`);
    if (!last) {
      if (typeof tier.upTo !== 'number' || !Number.isSafeInteger(tier.upTo) || tier.upTo <= previous) {
        fail('tier bounds (upTo) must be whole numbers that increase from tier to tier', `tiers/${index}/upTo`);
      }
      previous = tier.upTo;
    }
    return { upTo: tier.upTo, unitPrice: checkMinorUnits(tier.unitPrice, `tiers/${index}/unitPrice`) };
  });
}

/** Validates a product; throws ValidationError naming the field and the rule. */
export function checkProduct(input: ProductInput): ProductSpec {
  const name = typeof input.name === 'string' ? input.name.trim() : '';
  if (name.length < 1 || name.length > 200) fail('name must be 1-200 characters', 'name');
  if (!metrics.includes(input.metric as Metric)) {
    fail(`unknown metric ${String(input.metric)}; use one of ${metrics.join(', ')}`, 'metric');
  }
  const metric = input.metric as Metric;
  const unit = (input.unit ?? (isByteMetric(metric) ? 'GB' : 'unit')) as Unit;
  if (!units.includes(unit)) fail(`unknown unit ${String(input.unit)}; use GB, GiB or unit`, 'unit');
  if (isByteMetric(metric) !== (unit !== 'unit')) {
    fail(
      isByteMetric(metric) ? `metric ${metric} is measured in GB or GiB` : `metric ${metric} is counted in units`,
      'unit',
    );
  }
  const unitLabel = (input.unitLabel ?? (unit === 'unit' ? (metric === 'manual' ? 'unit' : metric) : unit)).trim();
  if (unitLabel.length < 1 || unitLabel.length > 40) fail('unitLabel must be 1-40 characters', 'unitLabel');
  const settlement = input.settlement ?? 'units';
  if (settlement !== 'units' && settlement !== 'packages') fail('settlement must be units or packages', 'settlement');
  const packageSize = input.packageSize ?? 1;
  if (!Number.isSafeInteger(packageSize) || packageSize < 1)
    fail('packageSize must be a whole number of at least 1', 'packageSize');
  if (settlement === 'units' && packageSize !== 1)
    fail('packageSize applies only to settlement as packages', 'packageSize');
  const valueMode = (input.valueMode ?? (isGauge(metric) ? 'latest' : 'total')) as ValueMode;
  if (!valueModes.includes(valueMode)) fail(`unknown valueMode ${String(input.valueMode)}`, 'valueMode');
  if (isGauge(metric) && valueMode === 'total') fail(`metric ${metric} settles latest, average or peak`, 'valueMode');
  if (!isGauge(metric) && valueMode !== 'total') fail(`metric ${metric} settles the total of the period`, 'valueMode');
  const tierMode = (input.tierMode ?? 'none') as TierMode;
  if (!['none', 'volume', 'graduated'].includes(tierMode))
    fail('tierMode must be none, volume or graduated', 'tierMode');
  return {
    name,
    metric,
    unit,
    unitLabel,
    settlement,
    packageSize,
    valueMode,
    currency: checkCurrency(input.currency),
    tierMode,
    tiers: checkTiers(input, tierMode),
    minimumCharge: input.minimumCharge === undefined ? 0n : checkMinorUnits(input.minimumCharge, 'minimumCharge'),
  };
}
