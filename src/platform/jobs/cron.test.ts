import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.ts';
import { canonicalTimeZone, parseCronRule } from './cron.ts';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function runs(cron: string, timezone: string, fromIso: string, count: number): (string | null)[] {
  const rule = parseCronRule(cron, timezone);
  const out: (string | null)[] = [];
  let from = at(fromIso);
  for (let i = 0; i < count; i++) {
    const next = rule.nextAfter(from);
    out.push(iso(next));
    if (next === null) break;
    from = next;
  }
  return out;
}

describe('parseCronRule', () => {
  it('follows Berlin local time across the March and October changes', () => {
    // 02:30 does not exist on 30 March 2025 (clocks jump 02:00 → 03:00): runs at 03:00 CEST.
    expect(runs('30 2 * * *', 'Europe/Berlin', '2025-03-28T12:00:00Z', 4)).toEqual([
      '2025-03-29T01:30:00.000Z',
      '2025-03-30T01:00:00.000Z',
      '2025-03-31T00:30:00.000Z',
      '2025-04-01T00:30:00.000Z',
    ]);
    // 02:30 happens twice on 26 October 2025: runs once, at the first (CEST) one.
    expect(runs('30 2 * * *', 'Europe/Berlin', '2025-10-25T12:00:00Z', 3)).toEqual([
      '2025-10-26T00:30:00.000Z',
      '2025-10-27T01:30:00.000Z',
      '2025-10-28T01:30:00.000Z',
    ]);
  });

  it('follows New York local time across the November change', () => {
    expect(runs('0 12 * * *', 'America/New_York', '2025-11-01T00:00:00Z', 3)).toEqual([
      '2025-11-01T16:00:00.000Z',
      '2025-11-02T17:00:00.000Z',
      '2025-11-03T17:00:00.000Z',
    ]);
  });

  it('returns the next slot strictly after the given instant', () => {
    const rule = parseCronRule('0 * * * *', 'UTC');
    expect(iso(rule.nextAfter(at('2025-01-01T10:00:00Z')))).toBe('2025-01-01T11:00:00.000Z');
    expect(iso(rule.nextAfter(at('2025-01-01T09:59:59.999Z')))).toBe('2025-01-01T10:00:00.000Z');
  });

  it('reads six fields as seconds first', () => {
    expect(runs('*/15 * * * * *', 'UTC', '2025-01-01T00:00:01Z', 2)).toEqual([
      '2025-01-01T00:00:15.000Z',
      '2025-01-01T00:00:30.000Z',
    ]);
  });

  it('refuses bad expressions and zones with a clear message', () => {
    expect(() => parseCronRule('61 * * * *', 'UTC')).toThrow(/cron expression '61 \* \* \* \*' is invalid/);
    expect(() => parseCronRule('0 2 * *', 'UTC')).toThrow(ValidationError);
    expect(() => parseCronRule('* * * * * * *', 'UTC')).toThrow(ValidationError);
    expect(() => parseCronRule('', 'UTC')).toThrow(ValidationError);
    expect(() => parseCronRule('0 2 * * *', 'Mars/Olympus_Mons')).toThrow(/IANA time zone/);
    expect(() => parseCronRule('0 2 * * *', '+01:00')).toThrow(/IANA time zone/);
  });

  it('stores the canonical zone name', () => {
    expect(canonicalTimeZone('utc')).toBe('UTC');
    expect(canonicalTimeZone('europe/berlin')).toBe('Europe/Berlin');
    expect(canonicalTimeZone('Nowhere/Special')).toBeUndefined();
    expect(parseCronRule(' 0 2 * * * ', 'europe/berlin')).toMatchObject({
      cron: '0 2 * * *',
      timezone: 'Europe/Berlin',
    });
  });
});
