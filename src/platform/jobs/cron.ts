import { Cron } from 'croner';
import { ValidationError } from '../errors.ts';

/**
 * A validated recurring rule: a cron expression (5 fields, or 6 with seconds) read in an
 * IANA time zone. Evaluated by croner, which handles daylight-saving changes: a local time
 * that does not exist (spring forward) runs at the first valid time after the gap, and a
 * local time that occurs twice (fall back) runs once.
 */
export interface CronRule {
  readonly cron: string;
  readonly timezone: string;
  /** The first run strictly after `after` (epoch ms), or null if the rule never fires again. */
  nextAfter(after: number): number | null;
}

/** Parses and checks a rule; throws ValidationError naming the bad field. */
export function parseCronRule(cron: string, timezone: string): CronRule {
  const zone = typeof timezone === 'string' ? canonicalTimeZone(timezone) : undefined;
  if (!zone) {
    throw new ValidationError(`timezone must be an IANA time zone name such as Europe/Berlin, got '${timezone}'`, {
      timezone,
    });
  }
  if (typeof cron !== 'string' || cron.trim() === '') {
    throw new ValidationError('cron must be a cron expression such as "0 2 * * *"', { cron });
  }
  let pattern: Cron;
  try {
    pattern = new Cron(cron.trim(), { timezone: zone, mode: '5-or-6-parts', paused: true });
  } catch (error) {
    throw new ValidationError(`cron expression '${cron}' is invalid: ${(error as Error).message}`, { cron });
  }
  const rule: CronRule = Object.freeze({
    cron: cron.trim(),
    timezone: zone,
    nextAfter(after: number): number | null {
      return pattern.nextRun(new Date(after))?.getTime() ?? null;
    },
  });
  return rule;
}

/**
 * The canonical spelling of a zone the runtime's time-zone database knows ('utc' → 'UTC'),
 * or undefined. Fixed offsets like +01:00 are refused: a schedule follows a place's clock.
 */
export function canonicalTimeZone(name: string): string | undefined {
  if (name.length === 0 || /^[+-]/.test(name)) return undefined;
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}
