import { ValidationError } from '../platform/index.ts';
import { calendarOf, daysInMonth, epochDay } from '../usage/index.ts';

/**
 * Settlement calendar. A seller bills on a "billing day" of the month (1-31); in a month
 * shorter than that day the last day of the month is used (31 → 30 April, 28/29 February).
 * These anchor days (UTC) bound the periods: a monthly period runs from one anchor day
 * (included) to the next (excluded); quarterly, half-yearly and yearly periods span 3, 6
 * and 12 months aligned to January (quarters start in January, April, July and October).
 */
export type SettlementRate = 1 | 2 | 4 | 12;
export const settlementRates: readonly SettlementRate[] = [12, 4, 2, 1];

/** A half-open range of epoch days [start, end). */
export interface DayRange {
  readonly start: number;
  readonly end: number;
}

export function checkBillingDay(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 31) {
    throw new ValidationError(`billingDay must be a day of the month from 1 to 31, got ${String(value)}`, {
      field: 'billingDay',
    });
  }
  return value;
}

export function checkSettlementRate(value: unknown): SettlementRate {
  if (!settlementRates.includes(value as SettlementRate)) {
    throw new ValidationError(`settlementRate must be 12, 4, 2 or 1 times per year, got ${String(value)}`, {
      field: 'settlementRate',
    });
  }
  return value as SettlementRate;
}

export function monthsPerPeriod(rate: SettlementRate): number {
  return 12 / rate;
}

/** Months since year 0 (January = 0 of its year), so adding months is integer arithmetic. */
function monthIndexOf(year: number, month: number): number {
  return year * 12 + (month - 1);
}

/** The anchor day in month index `index`: the billing day, or the month's last day if shorter. */
export function anchorDay(index: number, billingDay: number): number {
  const year = Math.floor(index / 12);
  const month = index - year * 12 + 1;
  return epochDay(year, month, Math.min(billingDay, daysInMonth(year, month)));
}

/** Month index of the last anchor day on or before `day`. */
function anchorIndexAtOrBefore(day: number, billingDay: number): number {
  const { year, month } = calendarOf(day);
  const index = monthIndexOf(year, month);
  return anchorDay(index, billingDay) <= day ? index : index - 1;
}

/** The latest anchor day on or before `day` (the run day a scheduled run on `day` settles for). */
export function latestRunDay(day: number, billingDay: number): number {
  return anchorDay(anchorIndexAtOrBefore(day, billingDay), billingDay);
}

/** The first anchor day on or after `day`. */
export function nextRunDay(day: number, billingDay: number): number {
  const latest = latestRunDay(day, billingDay);
  return latest === day ? day : anchorDay(anchorIndexAtOrBefore(day, billingDay) + 1, billingDay);
}

/** The settlement period of `rate` that contains `day`. */
export function periodContaining(day: number, billingDay: number, rate: SettlementRate): DayRange {
  const months = monthsPerPeriod(rate);
  const index = anchorIndexAtOrBefore(day, billingDay);
  const first = index - (((index % months) + months) % months);
  return { start: anchorDay(first, billingDay), end: anchorDay(first + months, billingDay) };
}

/** The period right after `period`. */
export function nextPeriod(period: DayRange, billingDay: number, rate: SettlementRate): DayRange {
  return periodContaining(period.end, billingDay, rate);
}

/** The period right before `period`. */
export function previousPeriod(period: DayRange, billingDay: number, rate: SettlementRate): DayRange {
  return periodContaining(period.start - 1, billingDay, rate);
}

/** Days two ranges share (0 when disjoint); an open end is `null`. */
export function overlap(a: DayRange, b: { start: number; end: number | null }): DayRange | null {
  const start = Math.max(a.start, b.start);
  const end = b.end === null ? a.end : Math.min(a.end, b.end);
  return end > start ? { start, end } : null;
}

export function lengthOf(range: DayRange): number {
  return range.end - range.start;
}
