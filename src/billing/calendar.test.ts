import { describe, expect, it } from 'vitest';
import { ValidationError } from '../platform/index.ts';
import { epochDay, formatDay } from '../usage/index.ts';
import { checkBillingDay, latestRunDay, nextPeriod, nextRunDay, periodContaining, previousPeriod } from './calendar.ts';

const d = (text: string) => {
  const [y, m, day] = text.split('-').map(Number);
  return epochDay(y ?? 0, m ?? 0, day ?? 0);
};
const show = (range: { start: number; end: number }) => `${formatDay(range.start)}..${formatDay(range.end)}`;

describe('settlement calendar', () => {
  it('settles a 31st billing day on the last day of shorter months', () => {
    expect(formatDay(latestRunDay(d('2026-04-30'), 31))).toBe('2026-04-30');
    expect(formatDay(latestRunDay(d('2026-04-29'), 31))).toBe('2026-03-31');
    expect(formatDay(latestRunDay(d('2026-02-28'), 31))).toBe('2026-02-28');
    expect(formatDay(latestRunDay(d('2028-02-28'), 31))).toBe('2028-01-31');
    expect(formatDay(latestRunDay(d('2028-02-29'), 31))).toBe('2028-02-29');
    expect(formatDay(nextRunDay(d('2026-04-01'), 31))).toBe('2026-04-30');
    expect(formatDay(nextRunDay(d('2026-04-30'), 31))).toBe('2026-04-30');
    expect(formatDay(nextRunDay(d('2026-05-01'), 30))).toBe('2026-05-30');
  });

  it('builds monthly periods between anchor days', () => {
    expect(show(periodContaining(d('2026-04-15'), 31, 12))).toBe('2026-03-31..2026-04-30');
    expect(show(periodContaining(d('2026-04-30'), 31, 12))).toBe('2026-04-30..2026-05-31');
    expect(show(periodContaining(d('2028-02-10'), 31, 12))).toBe('2028-01-31..2028-02-29');
    expect(show(periodContaining(d('2028-02-10'), 30, 12))).toBe('2028-01-30..2028-02-29');
    expect(show(periodContaining(d('2028-02-29'), 30, 12))).toBe('2028-02-29..2028-03-30');
    expect(show(periodContaining(d('2026-01-01'), 1, 12))).toBe('2026-01-01..2026-02-01');
    expect(show(periodContaining(d('2025-12-31'), 1, 12))).toBe('2025-12-01..2026-01-01');
  });

  it('aligns quarters, halves and years to January', () => {
    expect(show(periodContaining(d('2026-05-20'), 1, 4))).toBe('2026-04-01..2026-07-01');
    expect(show(periodContaining(d('2026-03-31'), 1, 4))).toBe('2026-01-01..2026-04-01');
    expect(show(periodContaining(d('2026-01-10'), 15, 4))).toBe('2025-10-15..2026-01-15');
    expect(show(periodContaining(d('2026-08-01'), 1, 2))).toBe('2026-07-01..2027-01-01');
    expect(show(periodContaining(d('2028-06-30'), 1, 1))).toBe('2028-01-01..2029-01-01');
    const quarter = periodContaining(d('2026-05-20'), 1, 4);
    expect(show(nextPeriod(quarter, 1, 4))).toBe('2026-07-01..2026-10-01');
    expect(show(previousPeriod(quarter, 1, 4))).toBe('2026-01-01..2026-04-01');
  });

  it('refuses billing days outside 1-31', () => {
    for (const bad of [0, 32, 1.5, '5', null]) expect(() => checkBillingDay(bad)).toThrow(ValidationError);
    expect(checkBillingDay(31)).toBe(31);
  });
});
