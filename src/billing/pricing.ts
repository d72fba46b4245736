import { ceiling, compare, type Fraction, fraction, milli, multiply, roundHalfUp } from './money.ts';
import type { ProductSpec, Tier, Unit } from './product.ts';

/** Bytes per billing unit; counts are billed per 1. */
export function unitSize(unit: Unit): bigint {
  return unit === 'GB' ? 1_000_000_000n : unit === 'GiB' ? 1_073_741_824n : 1n;
}

/** How a measured value became the billed quantity. */
export interface BillableQuantity {
  /** The value in product units (exact). */
  readonly units: Fraction;
  /** Quantity on the line in thousandths: units rounded half-up to 3 decimals, or whole packages × 1000. */
  readonly quantityMilli: bigint;
  /** Packages started (settlement as packages only). */
  readonly packages: bigint | null;
}

/**
 * Converts a measured value (bytes, a count, or thousandths for manual registrations given
 * as `baseScale` 1000) into the billed quantity. Units: rounded half-up to 0.001 units.
 * Packages: every started package counts (ceiling), e.g. 201 GB in 100 GB packages = 3.
 */
export function billableQuantity(measured: Fraction, product: ProductSpec, baseScale = 1n): BillableQuantity {
  const units = multiply(measured, fraction(1n, unitSize(product.unit) * baseScale));
  if (product.settlement === 'packages') {
    const packages = ceiling(multiply(units, fraction(1n, BigInt(product.packageSize))));
    return { units, quantityMilli: packages * milli, packages };
  }
  return { units, quantityMilli: roundHalfUp(multiply(units, fraction(milli))), packages: null };
}

/** One tier's share of a line. */
export interface TierPortion {
  /** 0-based tier index. */
  readonly tier: number;
  readonly quantityMilli: bigint;
  readonly unitPrice: bigint;
}

/** Price of a quantity before the period factor: Σ quantity × price, in thousandths of a minor unit. */
export interface TieredPrice {
  readonly milliMinor: bigint;
  readonly portions: readonly TierPortion[];
}

function tierBound(tier: Tier): bigint | null {
  return tier.upTo === null ? null : BigInt(tier.upTo) * milli;
}

/**
 * Prices a quantity (in thousandths of units or packages). Volume: the whole quantity at the
 * price of the tier it falls in (bounds inclusive). Graduated: each slice at its own tier's
 * price. A product without tiers has one open tier.
 */
export function priceQuantity(quantityMilli: bigint, product: Pick<ProductSpec, 'tierMode' | 'tiers'>): TieredPrice {
  const tiers = product.tiers;
  if (product.tierMode !== 'graduated') {
    const index = tiers.findIndex((t) => {
      const bound = tierBound(t);
      return bound === null || quantityMilli <= bound;
    });
    const tier = tiers[index] as Tier;
    return {
      milliMinor: quantityMilli * tier.unitPrice,
      portions: [{ tier: index, quantityMilli, unitPrice: tier.unitPrice }],
    };
  }
  const portions: TierPortion[] = [];
  let lower = 0n;
  let total = 0n;
  for (const [index, tier] of tiers.entries()) {
    if (quantityMilli <= lower && index > 0) break;
    const bound = tierBound(tier);
    const upper = bound === null || quantityMilli < bound ? quantityMilli : bound;
    const slice = upper - lower;
    portions.push({ tier: index, quantityMilli: slice, unitPrice: tier.unitPrice });
    total += slice * tier.unitPrice;
    if (bound === null) break;
    lower = bound;
  }
  return { milliMinor: total, portions };
}

/** The time factor of a line: gauges are priced per month, prorated by active days. */
export interface PeriodFactor {
  /** Months in the settlement period (12 / rate). */
  readonly months: number;
  /** Days of the period the contract was active. */
  readonly activeDays: number;
  readonly periodDays: number;
}

/** The amount of a line and how its rounding and minimum went. */
export interface LineAmount {
  readonly amount: bigint;
  /** The charge before the minimum, exact. */
  readonly charge: Fraction;
  /** The minimum charge for this period, exact. */
  readonly minimum: Fraction;
  readonly minimumApplied: boolean;
}

/**
 * amount = round_half_up(max(charge, minimum)), where for gauges
 *   charge = Σ(quantity × price) × months × activeDays / periodDays
 * and for flows (consumed amounts) charge = Σ(quantity × price); the minimum is always
 * minimumCharge × months × activeDays / periodDays. One rounding, at the very end.
 */
export function lineAmount(
  priced: TieredPrice,
  product: ProductSpec,
  factor: PeriodFactor,
  recurring: boolean,
): LineAmount {
  const time = fraction(BigInt(factor.months * factor.activeDays), BigInt(factor.periodDays));
  const base = fraction(priced.milliMinor, milli);
  const charge = recurring ? multiply(base, time) : base;
  const minimum = multiply(fraction(product.minimumCharge), time);
  const minimumApplied = product.minimumCharge > 0n && compare(minimum, charge) > 0;
  return { amount: roundHalfUp(minimumApplied ? minimum : charge), charge, minimum, minimumApplied };
}
