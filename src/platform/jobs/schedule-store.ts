/** The only file that queries `job_schedules`; callers pass the time in (injected clock). */
import type { Selectable } from 'kysely';
import type { JobScheduleTable } from '../database/tables.ts';
import type { JobExecutor } from './types.ts';

/** A recurring schedule as the scheduler reports it; times are epoch ms (UTC). */
export interface Schedule {
  readonly name: string;
  readonly cron: string;
  readonly timezone: string;
  readonly jobKind: string;
  readonly payload: unknown;
  readonly enabled: boolean;
  /** The next slot to fire; a slot in the past is fired at the next tick. */
  readonly nextRunAt: number;
  /** The slot fired last, or null. */
  readonly lastRunAt: number | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface ScheduleValues {
  name: string;
  cron: string;
  timezone: string;
  jobKind: string;
  payload: string;
  enabled: boolean;
  /** The slot to use when the timing rule is new or changed, or the schedule is re-enabled. */
  nextRunAt: number;
  now: number;
}

/**
 * Inserts or updates a schedule in one statement. An unchanged rule on an enabled schedule
 * keeps its stored `next_run_at`: the server re-declares its schedules at every start, and
 * recomputing from now would silently drop a run missed while it was down.
 */
export async function upsertScheduleRow(db: JobExecutor, values: ScheduleValues): Promise<Schedule> {
  const row = await db
    .insertInto('job_schedules')
    .values({
      name: values.name,
      cron: values.cron,
      timezone: values.timezone,
      job_kind: values.jobKind,
      payload: values.payload,
      enabled: values.enabled ? 1 : 0,
      next_run_at: values.nextRunAt,
      last_run_at: null,
      created_at: values.now,
      updated_at: values.now,
    })
    .onConflict((conflict) =>
      conflict.column('name').doUpdateSet((eb) => ({
        cron: eb.ref('excluded.cron'),
        timezone: eb.ref('excluded.timezone'),
        job_kind: eb.ref('excluded.job_kind'),
        payload: eb.ref('excluded.payload'),
        enabled: eb.ref('excluded.enabled'),
        next_run_at: eb
          .case()
          .when(
            eb.and([
              eb('job_schedules.cron', '=', eb.ref('excluded.cron')),
              eb('job_schedules.timezone', '=', eb.ref('excluded.timezone')),
              eb('job_schedules.enabled', '=', 1),
            ]),
          )
          .then(eb.ref('job_schedules.next_run_at'))
          .else(eb.ref('excluded.next_run_at'))
          .end(),
        updated_at: eb.ref('excluded.updated_at'),
      })),
    )
    .returningAll()
    .executeTakeFirstOrThrow();
  return toSchedule(row);
}

export async function deleteSchedule(db: JobExecutor, name: string): Promise<boolean> {
  const result = await db.deleteFrom('job_schedules').where('name', '=', name).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

export async function findSchedule(db: JobExecutor, name: string): Promise<Schedule | undefined> {
  const row = await db.selectFrom('job_schedules').selectAll().where('name', '=', name).executeTakeFirst();
  return row ? toSchedule(row) : undefined;
}

export async function listScheduleRows(db: JobExecutor): Promise<Schedule[]> {
  const rows = await db.selectFrom('job_schedules').selectAll().orderBy('name').execute();
  return rows.map(toSchedule);
}

export async function dueSchedules(db: JobExecutor, now: number): Promise<Schedule[]> {
  const rows = await db
    .selectFrom('job_schedules')
    .selectAll()
    .where('enabled', '=', 1)
    .where('next_run_at', '<=', now)
    .orderBy('next_run_at')
    .execute();
  return rows.map(toSchedule);
}

/**
 * Moves a schedule from slot `from` to `to`, only if it still stands at `from` (optimistic
 * check): of several processes ticking at once exactly one advances it. False otherwise.
 */
export async function advanceSchedule(
  db: JobExecutor,
  name: string,
  from: number,
  to: number,
  now: number,
): Promise<boolean> {
  const result = await db
    .updateTable('job_schedules')
    .set({ next_run_at: to, last_run_at: from, updated_at: now })
    .where('name', '=', name)
    .where('next_run_at', '=', from)
    .where('enabled', '=', 1)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

function toSchedule(row: Selectable<JobScheduleTable>): Schedule {
  return Object.freeze({
    name: row.name,
    cron: row.cron,
    timezone: row.timezone,
    jobKind: row.job_kind,
    payload: JSON.parse(row.payload) as unknown,
    enabled: Number(row.enabled) === 1,
    nextRunAt: Number(row.next_run_at),
    lastRunAt: row.last_run_at === null ? null : Number(row.last_run_at),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  });
}
