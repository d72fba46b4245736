import { type Fraction, fraction } from './money.ts';
import type { ValueMode } from './product.ts';

/** The value a gauge product settles over its window, and which days it came from. */
export interface GaugeValue {
  readonly value: Fraction;
  /** Days in the window (each day without samples counts as 0). */
  readonly days: number;
  /** For latest and peak: the day (index into the window) the value was taken from. */
  readonly dayIndex: number | null;
}

/**
 * latest: the value of the window's last day; peak: the largest daily value (first day
 * reaching it); average: the sum of the daily values divided by the number of days in the
 * window (exact fraction). `values` holds one entry per day of the window.
 */
export function measureGauge(values: readonly bigint[], mode: Exclude<ValueMode, 'total'>): GaugeValue {
  if (values.length === 0) return { value: fraction(0n), days: 0, dayIndex: null };
  if (mode === 'latest') {
    return { value: fraction(values[values.length - 1] ?? 0n), days: values.length, dayIndex: values.length - 1 };
  }
  if (mode === 'peak') {
    let index = 0;
    for (let i = 1; i < values.length; i++) if ((values[i] ?? 0n) > (values[index] ?? 0n)) index = i;
    return { value: fraction(values[index] ?? 0n), days: values.length, dayIndex: index };
  }
  const sum = values.reduce((a, b) => a + b, 0n);
  return { value: fraction(sum, BigInt(values.length)), days: values.length, dayIndex: null };
}

/** The total of a flow (bytes transferred) over the window. */
export function measureTotal(values: readonly bigint[]): Fraction {
  return fraction(values.reduce((a, b) => a + b, 0n));
}
