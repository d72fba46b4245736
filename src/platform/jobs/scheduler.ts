import type { Clock } from '../clock.ts';
import type { Database } from '../database/connect.ts';
import { ValidationError } from '../errors.ts';
import { parseCronRule } from './cron.ts';
import type { JobQueue } from './queue.ts';
import type { Schedule } from './schedule-store.ts';
import * as store from './schedule-store.ts';
import { checkJobKind, toJson } from './validate.ts';
import type { JobLog } from './worker.ts';

export type { Schedule } from './schedule-store.ts';

export interface ScheduleInput {
  /** Unique; 1-200 characters. Re-declaring a name updates that schedule. */
  name: string;
  /** 5 fields (minute precision) or 6 (with seconds first), e.g. "0 2 * * *". */
  cron: string;
  /** IANA zone the cron expression is read in, e.g. "Europe/Berlin"; default "UTC". */
  timezone?: string;
  jobKind: string;
  payload?: unknown;
  /** Default true. */
  enabled?: boolean;
}

/** One slot fired by a tick. */
export interface FiredSlot {
  readonly schedule: string;
  /** The slot's instant (epoch ms); also the job's runAt. */
  readonly slot: number;
  readonly jobId: string;
}

/** Turns recurring schedules into jobs; several processes may tick the same table. */
export interface Scheduler {
  /**
   * Creates or updates a schedule. Throws ValidationError for a bad name, cron expression,
   * time zone, job kind or payload, or a rule that never fires. An unchanged rule keeps its
   * pending slot (so a run missed before a restart still fires).
   */
  upsertSchedule(input: ScheduleInput): Promise<Schedule>;
  /** False when there was no such schedule. Jobs already enqueued stay. */
  removeSchedule(name: string): Promise<boolean>;
  getSchedule(name: string): Promise<Schedule | undefined>;
  listSchedules(): Promise<Schedule[]>;
  /**
   * Fires every enabled schedule whose slot is due: enqueues its job (idempotency key
   * `schedule:<name>:<slot ms>`), then advances it to the first slot after now. Slots missed
   * while no process ticked collapse into that one run.
   */
  tick(): Promise<FiredSlot[]>;
  /** Ticks now, then every `intervalMs`. */
  start(): void;
  /** Stops ticking; resolves after a tick in progress ends. */
  stop(): Promise<void>;
}

export interface SchedulerOptions {
  database: Database;
  clock: Clock;
  queue: JobQueue;
  /** Between ticks; default 5000 ms. */
  intervalMs?: number;
  log?: JobLog;
}

const never = Number.MAX_SAFE_INTEGER;

export function createScheduler(options: SchedulerOptions): Scheduler {
  const { clock, queue } = options;
  const db = options.database.kysely;
  const intervalMs = options.intervalMs ?? 5_000;
  if (!Number.isInteger(intervalMs) || intervalMs < 1)
    throw new ValidationError('intervalMs must be a positive integer');
  const log = options.log;
  let timer: NodeJS.Timeout | undefined;
  let ticking: Promise<unknown> | undefined;
  let started = false;

  async function fire(schedule: Schedule, now: number): Promise<FiredSlot | undefined> {
    const slot = schedule.nextRunAt;
    // Enqueue first, advance second: a crash in between leaves the slot due, and the next
    // tick's enqueue finds the same idempotency key instead of adding a second job.
    const job = await queue.enqueue(schedule.jobKind, schedule.payload, {
      runAt: slot,
      idempotencyKey: `schedule:${schedule.name}:${slot}`,
    });
    const next = parseCronRule(schedule.cron, schedule.timezone).nextAfter(now) ?? never;
    const advanced = await store.advanceSchedule(db, schedule.name, slot, next, now);
    return advanced ? { schedule: schedule.name, slot, jobId: job.id } : undefined;
  }

  async function tick(): Promise<FiredSlot[]> {
    const now = clock.now();
    const fired: FiredSlot[] = [];
    for (const schedule of await store.dueSchedules(db, now)) {
      try {
        const result = await fire(schedule, now);
        if (result) fired.push(result);
      } catch (error) {
        // One broken schedule (say, a kind renamed since) must not stop the others.
        log?.error({ err: error, schedule: schedule.name }, 'could not fire schedule');
      }
    }
    return fired;
  }

  function loop(): void {
    if (!started) return;
    const current = tick()
      .catch((error: unknown) => log?.error({ err: error }, 'scheduler tick failed'))
      .finally(() => {
        if (ticking === current) ticking = undefined;
        if (!started) return;
        timer = setTimeout(loop, intervalMs);
        timer.unref();
      });
    ticking = current;
  }

  return Object.freeze({
    async upsertSchedule(input: ScheduleInput): Promise<Schedule> {
      const name = input.name;
      if (typeof name !== 'string' || name.length === 0 || name.length > 200) {
        throw new ValidationError('schedule name must be 1-200 characters', { name });
      }
      const rule = parseCronRule(input.cron, input.timezone ?? 'UTC');
      const now = clock.now();
      const nextRunAt = rule.nextAfter(now);
      if (nextRunAt === null) {
        throw new ValidationError(`cron expression '${input.cron}' never fires`, { cron: input.cron });
      }
      checkJobKind(input.jobKind, 'jobKind');
      const payload = toJson(input.payload ?? null, 'payload');
      return store.upsertScheduleRow(db, {
        name,
        cron: rule.cron,
        timezone: rule.timezone,
        jobKind: input.jobKind,
        payload,
        enabled: input.enabled ?? true,
        nextRunAt,
        now,
      });
    },

    removeSchedule: (name: string) => store.deleteSchedule(db, name),
    getSchedule: (name: string) => store.findSchedule(db, name),
    listSchedules: () => store.listScheduleRows(db),
    tick,

    start() {
      if (started) return;
      started = true;
      loop();
    },

    async stop() {
      started = false;
      clearTimeout(timer);
      timer = undefined;
      await ticking;
    },
  });
}
