import { ValidationError } from '../platform/index.ts';

/**
 * Exact arithmetic for billing: every amount is an integer number of minor units (cents),
 * every intermediate value an exact fraction of bigints, and rounding happens once per line
 * at the end (half away from zero), never through floating point.
 */
export interface Fraction {
  readonly num: bigint;
  readonly den: bigint;
}

export function fraction(num: bigint, den: bigint = 1n): Fraction {
  if (den === 0n) throw new RangeError('division by zero');
  return den < 0n ? { num: -num, den: -den } : { num, den };
}

export function multiply(a: Fraction, b: Fraction): Fraction {
  return fraction(a.num * b.num, a.den * b.den);
}

/** a < b, a = b, a > b as -1, 0, 1. */
export function compare(a: Fraction, b: Fraction): number {
  const left = a.num * b.den;
  const right = b.num * a.den;
  return left < right ? -1 : left > right ? 1 : 0;
}

/** Rounds to the nearest integer, halves away from zero (2.5 → 3, -2.5 → -3). */
export function roundHalfUp(value: Fraction): bigint {
  const { num, den } = value;
  const sign = num < 0n ? -1n : 1n;
  const magnitude = num * sign;
  return sign * ((2n * magnitude + den) / (2n * den));
}

/** The smallest integer not below the value (per started package). */
export function ceiling(value: Fraction): bigint {
  const { num, den } = value;
  const quotient = num / den;
  return num % den !== 0n && num > 0n ? quotient + 1n : quotient;
}

/** Decimal text of a fraction rounded half-up to `digits` places (for explanations). */
export function decimalText(value: Fraction, digits: number): string {
  const scaled = roundHalfUp(multiply(value, fraction(10n ** BigInt(digits))));
  return scaledText(scaled, digits);
}

/** Decimal text of an integer holding `digits` implied decimals: (12345, 2) → "123.45". */
export function scaledText(scaled: bigint, digits: number): string {
  const negative = scaled < 0n;
  const text = (negative ? -scaled : scaled).toString().padStart(digits + 1, '0');
  const whole = digits === 0 ? text : text.slice(0, -digits);
  const part = digits === 0 ? '' : `.${text.slice(-digits)}`;
  return `${negative ? '-' : ''}${whole}${part}`;
}

const currencyPattern = /^[A-Z]{3}$/;
const knownCurrencies = new Set(Intl.supportedValuesOf('currency'));

/** Validates an ISO 4217 code; throws ValidationError naming the field. */
export function checkCurrency(code: unknown, field = 'currency'): string {
  if (typeof code !== 'string' || !currencyPattern.test(code) || !knownCurrencies.has(code)) {
    throw new ValidationError(`${field} must be an ISO 4217 currency code such as EUR, got ${String(code)}`, { field });
  }
  return code;
}

/** Decimal places of a currency's minor unit (ISO 4217: EUR 2, JPY 0, KWD 3). */
export function minorDigits(currency: string): number {
  return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
}

/** An amount in minor units as decimal text in major units: (1234n, 'EUR') → "12.34". */
export function formatAmount(minor: bigint, currency: string): string {
  return scaledText(minor, minorDigits(currency));
}

/** Largest amount or price accepted (keeps stored integers exact on both databases). */
export const maxMinorUnits = BigInt(Number.MAX_SAFE_INTEGER);

/** Validates a price or amount in minor units: a non-negative safe integer. */
export function checkMinorUnits(value: unknown, field: string): bigint {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new ValidationError(`${field} must be a non-negative integer number of minor units (e.g. cents)`, { field });
  }
  return BigInt(value);
}

/** Converts a computed amount for storage; throws if it left the exactly storable range. */
export function storableMinor(value: bigint, field: string): number {
  if (value > maxMinorUnits || value < -maxMinorUnits) {
    throw new ValidationError(`${field} ${value} exceeds the largest storable amount`, { field });
  }
  return Number(value);
}

/** Quantities are kept in thousandths of a unit ("milli-units"), e.g. 1.5 hours = 1500. */
export const milli = 1000n;

const quantityPattern = /^\d{1,12}(\.\d{1,3})?$/;

/**
 * Parses a manual quantity given as a JSON number or decimal text with at most three
 * decimals (e.g. 1.5 or "1.5"); throws ValidationError for negative, zero or finer values.
 */
export function parseQuantity(value: unknown, field = 'quantity'): bigint {
  const text = typeof value === 'number' && Number.isFinite(value) ? String(value) : value;
  if (typeof text !== 'string' || !quantityPattern.test(text)) {
    throw new ValidationError(`${field} must be a positive number with at most 3 decimals, got ${String(value)}`, {
      field,
    });
  }
  const [whole = '0', part = ''] = text.split('.');
  const result = BigInt(whole) * milli + BigInt(part.padEnd(3, '0'));
  if (result <= 0n) throw new ValidationError(`${field} must be greater than zero`, { field });
  return result;
}
