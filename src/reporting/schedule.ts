import { ValidationError } from '../platform/index.ts';
import { daysInMonth, isoWeekday, parseDate } from './local-time.ts';

export const weekdayNames = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof weekdayNames)[number];

/** On which local days of the report's unit a subscriber is due a report. */
export type ReportSchedule =
  | { readonly frequency: 'daily' }
  | { readonly frequency: 'weekly'; readonly weekdays: readonly Weekday[] }
  | { readonly frequency: 'monthly'; readonly monthDays: readonly number[] };

/**
 * `always`: every scheduled day. `errors_only`: scheduled days on which the subscriber's own
 * error definition finds a problem. `always_and_errors`: scheduled days, plus any other day
 * with a problem.
 */
export const sendConditions = ['always', 'errors_only', 'always_and_errors'] as const;
export type SendCondition = (typeof sendConditions)[number];

/** Validates a schedule from a request or the database; throws ValidationError naming the field. */
export function parseSchedule(raw: unknown): ReportSchedule {
  if (raw === null || typeof raw !== 'object') throw new ValidationError('schedule must be an object');
  const value = raw as Record<string, unknown>;
  switch (value.frequency) {
    case 'daily':
      return Object.freeze({ frequency: 'daily' });
    case 'weekly': {
      const days = value.weekdays;
      if (!Array.isArray(days) || days.length === 0) {
        throw new ValidationError('schedule.weekdays must select at least one day (mon … sun)');
      }
      for (const day of days) {
        if (!weekdayNames.includes(day as Weekday)) {
          throw new ValidationError(`schedule.weekdays: '${String(day)}' is not one of ${weekdayNames.join(', ')}`);
        }
      }
      const chosen = weekdayNames.filter((name) => days.includes(name));
      return Object.freeze({ frequency: 'weekly', weekdays: Object.freeze(chosen) });
    }
    case 'monthly': {
      const days = value.monthDays;
      if (!Array.isArray(days) || days.length === 0) {
        throw new ValidationError('schedule.monthDays must select at least one day of the month (1-31)');
      }
      for (const day of days) {
        if (!Number.isInteger(day) || (day as number) < 1 || (day as number) > 31) {
          throw new ValidationError(`schedule.monthDays: ${String(day)} is not a day of the month (1-31)`);
        }
      }
      const chosen = [...new Set(days as number[])].sort((a, b) => a - b);
      return Object.freeze({ frequency: 'monthly', monthDays: Object.freeze(chosen) });
    }
    default:
      throw new ValidationError("schedule.frequency must be 'daily', 'weekly' or 'monthly'");
  }
}

/**
 * Whether `date` (a local `YYYY-MM-DD`) is a scheduled day. A chosen day of the month that a
 * month lacks (29-31) falls on that month's last day, so "the 31st" means "month end" and a
 * subscriber never silently misses a month; choosing both 30 and 31 still sends once.
 */
export function isScheduledOn(schedule: ReportSchedule, date: string): boolean {
  switch (schedule.frequency) {
    case 'daily':
      return true;
    case 'weekly':
      return schedule.weekdays.includes(weekdayNames[isoWeekday(date) - 1] as Weekday);
    case 'monthly': {
      const parsed = parseDate(date);
      if (!parsed) throw new RangeError(`not a date: ${date}`);
      if (schedule.monthDays.includes(parsed.day)) return true;
      const last = daysInMonth(parsed.year, parsed.month);
      return parsed.day === last && schedule.monthDays.some((day) => day > last);
    }
    default:
      return exhaustive(schedule);
  }
}

/** The send decision for one subscriber and one report. */
export function shouldSend(schedule: ReportSchedule, condition: SendCondition, date: string, hasErrors: boolean) {
  const scheduled = isScheduledOn(schedule, date);
  switch (condition) {
    case 'always':
      return scheduled;
    case 'errors_only':
      return scheduled && hasErrors;
    case 'always_and_errors':
      return scheduled || hasErrors;
    default:
      return exhaustive(condition);
  }
}

function exhaustive(value: never): never {
  throw new Error(`unexpected value ${JSON.stringify(value)}`);
}
