import { ValidationError } from '../platform/index.ts';

/**
 * Usage and billing count whole UTC days as "epoch days" (days since 1970-01-01); the API
 * shows them as `YYYY-MM-DD`. Integers index and compare cheaply on both databases.
 */
export const msPerDay = 86_400_000;

const dayPattern = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The UTC day an instant (epoch ms) falls on. */
export function epochDayOf(ms: number): number {
  return Math.floor(ms / msPerDay);
}

/** The epoch day of a calendar date (month 1-12); throws ValidationError for an impossible date. */
export function epochDay(year: number, month: number, day: number): number {
  const ms = Date.UTC(year, month - 1, day);
  const check = new Date(ms);
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) {
    throw new ValidationError(`${year}-${month}-${day} is not a calendar date`);
  }
  return ms / msPerDay;
}

/** Parses `YYYY-MM-DD`; throws ValidationError naming `field` for anything else. */
export function parseDay(text: string, field = 'day'): number {
  const match = dayPattern.exec(text);
  if (!match) throw new ValidationError(`${field} must be a date as YYYY-MM-DD, got "${text}"`, { field });
  try {
    return epochDay(Number(match[1]), Number(match[2]), Number(match[3]));
  } catch {
    throw new ValidationError(`${field} ${text} is not a calendar date`, { field });
  }
}

/** `YYYY-MM-DD` of an epoch day. */
export function formatDay(day: number): string {
  return new Date(day * msPerDay).toISOString().slice(0, 10);
}

/** Year, month (1-12) and day of month of an epoch day. */
export function calendarOf(day: number): { year: number; month: number; day: number } {
  const date = new Date(day * msPerDay);
  return { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate() };
}

/** Number of days in a month (1-12), leap years included. */
export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}
