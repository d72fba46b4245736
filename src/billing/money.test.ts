import { describe, expect, it } from 'vitest';
import { ValidationError } from '../platform/index.ts';
import {
  ceiling,
  checkCurrency,
  compare,
  decimalText,
  formatAmount,
  fraction,
  parseQuantity,
  roundHalfUp,
  scaledText,
} from './money.ts';

describe('exact money arithmetic', () => {
  it('rounds half away from zero', () => {
    expect(roundHalfUp(fraction(5n, 2n))).toBe(3n);
    expect(roundHalfUp(fraction(7n, 3n))).toBe(2n);
    expect(roundHalfUp(fraction(-5n, 2n))).toBe(-3n);
    expect(roundHalfUp(fraction(249_999n, 100_000n))).toBe(2n);
    expect(roundHalfUp(fraction(250_000n, 100_000n))).toBe(3n);
  });

  it('takes the ceiling for started packages', () => {
    expect(ceiling(fraction(201n, 100n))).toBe(3n);
    expect(ceiling(fraction(200n, 100n))).toBe(2n);
    expect(ceiling(fraction(0n, 100n))).toBe(0n);
  });

  it('compares fractions exactly', () => {
    expect(compare(fraction(1n, 3n), fraction(333_333n, 1_000_000n))).toBe(1);
    expect(compare(fraction(2n, 4n), fraction(1n, 2n))).toBe(0);
  });

  it('formats minor units per currency', () => {
    expect(formatAmount(123_456n, 'EUR')).toBe('1234.56');
    expect(formatAmount(5n, 'EUR')).toBe('0.05');
    expect(formatAmount(-5n, 'EUR')).toBe('-0.05');
    expect(formatAmount(1234n, 'JPY')).toBe('1234');
    expect(formatAmount(1234n, 'KWD')).toBe('1.234');
    expect(scaledText(1500n, 3)).toBe('1.500');
    expect(decimalText(fraction(2n, 3n), 3)).toBe('0.667');
  });

  it('parses manual quantities without floating point', () => {
    expect(parseQuantity(1.5)).toBe(1500n);
    expect(parseQuantity('0.001')).toBe(1n);
    expect(parseQuantity('12')).toBe(12_000n);
    for (const bad of [-1, '-1', 0, '0.0', '1.2345', 'abc', Number.NaN, null]) {
      expect(() => parseQuantity(bad)).toThrow(ValidationError);
    }
  });

  it('accepts only ISO 4217 currencies', () => {
    expect(checkCurrency('EUR')).toBe('EUR');
    expect(() => checkCurrency('eur')).toThrow(ValidationError);
    expect(() => checkCurrency('XYZ')).toThrow(ValidationError);
  });
});
