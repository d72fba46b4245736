import { describe, expect, it } from 'vitest';
import { formatMoney, formatTotals, parseMoney } from '../../web/src/billing/money.ts';
import { choicesOf } from '../../web/src/forms/choices.ts';
import { type ApiHealth, enrolCommand, formatAge, healthOf } from '../../web/src/sources/health.ts';
import { dateDaysAgo, toChartRows } from '../../web/src/usage/usage-series.ts';

const now = Date.parse('2026-03-10T12:00:00Z');
const health = (
  lastOutcome: ApiHealth['lastOutcome'],
  hoursAgo: number | null,
  extra: Partial<ApiHealth> = {},
): ApiHealth => ({
  state: lastOutcome === 'success' ? 'ok' : lastOutcome,
  lastOutcome,
  lastFinishedAt: hoursAgo === null ? null : new Date(now - hoursAgo * 3_600_000).toISOString(),
  lastGoodAgeSeconds: hoursAgo !== null && ['success', 'warning'].includes(lastOutcome) ? hoursAgo * 3600 : null,
  failedOrMissedSinceGood: 0,
  running: false,
  ...extra,
});

describe('data source health', () => {
  it("reads the API's health: last outcome, runs missed since, staleness, running", () => {
    expect(healthOf(health('success', 2), now)).toMatchObject({ state: 'ok', lastStatus: 'success', missedSince: 0 });
    expect(
      healthOf(health('missed', 1, { failedOrMissedSinceGood: 2, lastGoodAgeSeconds: 25 * 3600 }), now),
    ).toMatchObject({ state: 'missed', missedSince: 2, lastStatus: 'missed' });
    expect(healthOf(health('warning', 3), now).state).toBe('warning');
    expect(healthOf(health('failed', 3, { lastGoodAgeSeconds: 30 * 3600 }), now).state).toBe('failed');
    expect(healthOf(health('success', 72), now).state).toBe('stale');
    expect(healthOf(health('never', null), now)).toMatchObject({ state: 'never', ageHours: null, lastStatus: null });
    expect(healthOf(health('success', 5, { state: 'running', running: true }), now)).toMatchObject({
      state: 'ok',
      running: true,
    });
    expect(formatAge(healthOf(health('success', 5), now).ageHours)).toBe('5 h ago');
    expect(formatAge(50)).toBe('2 d ago');
    expect(formatAge(0.5)).toBe('30 min ago');
  });

  it('writes the agent command with the token quoted for the shell', () => {
    expect(enrolCommand('cfe1.abc', null)).toBe("coffer agent enroll --token 'cfe1.abc'");
    expect(enrolCommand("it's", 'https://b.example:8443')).toBe(
      "coffer agent enroll --token 'it'\\''s' --server https://b.example:8443",
    );
  });
});

describe('money and usage figures', () => {
  it('formats and parses minor units exactly', () => {
    expect(formatMoney(123456, 'EUR')).toBe('1,234.56 EUR');
    expect(formatMoney(-5, 'USD')).toBe('-0.05 USD');
    expect(formatMoney(1500, 'JPY')).toBe('1,500 JPY');
    expect(formatTotals({ EUR: 1200, USD: 350 })).toBe('12.00 EUR, 3.50 USD');
    expect(formatTotals({})).toBe('nothing');
    expect(parseMoney('12.5', 'EUR')).toBe(1250);
    expect(parseMoney('0,07', 'EUR')).toBe(7);
    expect(parseMoney('1.234', 'EUR')).toBeNull();
    expect(parseMoney('abc', 'EUR')).toBeNull();
    expect(parseMoney('0.1', 'EUR')! + parseMoney('0.2', 'EUR')!).toBe(30);
  });

  it('orders usage days and turns bytes into GiB for the charts', () => {
    const day = (date: string, stored: number) => ({
      date,
      protectedBytes: 2 * stored,
      storedBytes: stored,
      transferredBytes: 0,
      snapshotCount: 1,
      clientCount: 1,
      dataSourceCount: 1,
    });
    const { rows, unit } = toChartRows([day('2026-03-02', 1024 ** 3), day('2026-03-01', 512 * 1024 ** 2)]);
    expect(unit).toBe('GiB');
    expect(rows.map((r) => [r.date, r.stored, r.protected])).toEqual([
      ['2026-03-01', 0.5, 1],
      ['2026-03-02', 1, 2],
    ]);
    expect(toChartRows([day('2026-03-01', 4500)]).unit).toBe('KiB');
    expect(toChartRows([]).unit).toBe('B');
    expect(dateDaysAgo(9, now)).toBe('2026-03-01');
  });

  it('offers the choices the schema lists, or the known ones where it lists none', () => {
    const schema = {
      type: 'object',
      properties: {
        settlement: { type: 'string', enum: ['units', 'packages'] },
        metric: { type: 'string' },
        schedule: {
          type: 'object',
          properties: { weekdays: { type: 'array', items: { type: 'string', enum: ['mon'] } } },
        },
      },
    };
    expect(choicesOf(schema, 'settlement', ['x'])).toEqual(['units', 'packages']);
    expect(choicesOf(schema, 'metric', ['stored'])).toEqual(['stored']);
    expect(choicesOf(schema, 'schedule.weekdays')).toEqual(['mon']);
  });
});
