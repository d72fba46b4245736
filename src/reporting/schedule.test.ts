import { describe, expect, it } from 'vitest';
import { addDays, isoWeekday, localTime } from './local-time.ts';
import { isScheduledOn, parseSchedule, shouldSend } from './schedule.ts';

function days(from: string, count: number): string[] {
  return Array.from({ length: count }, (_, index) => addDays(from, index));
}

describe('report schedules', () => {
  it('refuses schedules that select no day, unknown days and unknown frequencies', () => {
    expect(() => parseSchedule({ frequency: 'weekly', weekdays: [] })).toThrow(/at least one day/);
    expect(() => parseSchedule({ frequency: 'monthly', monthDays: [] })).toThrow(/at least one day/);
    expect(() => parseSchedule({ frequency: 'weekly', weekdays: ['funday'] })).toThrow(/funday/);
    expect(() => parseSchedule({ frequency: 'monthly', monthDays: [0] })).toThrow(/1-31/);
    expect(() => parseSchedule({ frequency: 'monthly', monthDays: [32] })).toThrow(/1-31/);
    expect(() => parseSchedule({ frequency: 'monthly', monthDays: [1.5] })).toThrow(/1-31/);
    expect(() => parseSchedule({ frequency: 'hourly' })).toThrow(/frequency/);
    expect(() => parseSchedule(null)).toThrow(/object/);
  });

  it('normalises weekday and month-day lists', () => {
    expect(parseSchedule({ frequency: 'weekly', weekdays: ['fri', 'mon', 'fri'] })).toEqual({
      frequency: 'weekly',
      weekdays: ['mon', 'fri'],
    });
    expect(parseSchedule({ frequency: 'monthly', monthDays: [31, 1, 31] })).toEqual({
      frequency: 'monthly',
      monthDays: [1, 31],
    });
  });

  it('sends on chosen weekdays only', () => {
    const schedule = parseSchedule({ frequency: 'weekly', weekdays: ['mon', 'thu'] });
    const chosen = days('2026-03-01', 14).filter((date) => isScheduledOn(schedule, date));
    expect(chosen).toEqual(['2026-03-02', '2026-03-05', '2026-03-09', '2026-03-12']);
    expect(chosen.map(isoWeekday)).toEqual([1, 4, 1, 4]);
  });

  it('moves days 29-31 to the last day of shorter months, once', () => {
    const schedule = parseSchedule({ frequency: 'monthly', monthDays: [15, 30, 31] });
    const year = days('2026-01-01', 365).filter((date) => isScheduledOn(schedule, date));
    expect(year.filter((d) => d.startsWith('2026-02'))).toEqual(['2026-02-15', '2026-02-28']);
    expect(year.filter((d) => d.startsWith('2026-04'))).toEqual(['2026-04-15', '2026-04-30']);
    expect(year.filter((d) => d.startsWith('2026-01'))).toEqual(['2026-01-15', '2026-01-30', '2026-01-31']);
    const leap = parseSchedule({ frequency: 'monthly', monthDays: [29] });
    expect(days('2028-02-01', 29).filter((date) => isScheduledOn(leap, date))).toEqual(['2028-02-29']);
    expect(days('2027-02-01', 28).filter((date) => isScheduledOn(leap, date))).toEqual(['2027-02-28']);
  });

  it('combines the schedule with the error condition', () => {
    const monday = parseSchedule({ frequency: 'weekly', weekdays: ['mon'] });
    expect(shouldSend(monday, 'always', '2026-03-02', false)).toBe(true);
    expect(shouldSend(monday, 'errors_only', '2026-03-02', false)).toBe(false);
    expect(shouldSend(monday, 'errors_only', '2026-03-02', true)).toBe(true);
    expect(shouldSend(monday, 'errors_only', '2026-03-03', true)).toBe(false);
    expect(shouldSend(monday, 'always_and_errors', '2026-03-03', true)).toBe(true);
    expect(shouldSend(monday, 'always_and_errors', '2026-03-03', false)).toBe(false);
  });

  it('reads local days and hours across a daylight-saving change', () => {
    // Europe/Berlin springs forward on 2026-03-29 at 02:00 local.
    expect(localTime(Date.UTC(2026, 2, 28, 5), 'Europe/Berlin')).toMatchObject({ date: '2026-03-28', hour: 6 });
    expect(localTime(Date.UTC(2026, 2, 29, 4), 'Europe/Berlin')).toMatchObject({ date: '2026-03-29', hour: 6 });
    expect(localTime(Date.UTC(2026, 2, 29, 23, 30), 'America/New_York')).toMatchObject({
      date: '2026-03-29',
      hour: 19,
    });
  });
});
