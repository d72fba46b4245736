import { newId, parseCronRule } from '../platform/index.ts';
import type { ProtectionDb } from './db.ts';
import { getScheduleState, insertJob, overdueScheduledJobs, setScheduleState, transitionJob } from './job-store.ts';
import type { ProtectionPolicy } from './policy.ts';
import type { DataSourceRow } from './source-store.ts';

/** At most this many past slots of one schedule become jobs in one pass (older ones are skipped). */
const maxSlotsPerPass = 100;

/**
 * Turns the schedule slots of a data source that came due since the last pass into queued
 * backup jobs (one per slot; the unique slot index makes concurrent passes harmless). A
 * schedule seen for the first time starts from now: slots before it was added (or before
 * the data source was enrolled) never fire. Returns the number of new jobs.
 */
export async function materialiseSchedules(
  db: ProtectionDb,
  source: DataSourceRow,
  policy: ProtectionPolicy,
  now: number,
): Promise<number> {
  if (source.status !== 'active' || source.enrolled_at === null) return 0;
  const state = await getScheduleState(db, source.id);
  let created = 0;
  for (const schedule of policy.schedules) {
    const rule = parseCronRule(schedule.cron, schedule.timezone);
    const since = state.get(schedule.name);
    if (since === undefined) {
      await setScheduleState(db, source.id, schedule.name, now);
      continue;
    }
    const slots: number[] = [];
    // An agent silent for weeks does not need every slot replayed: a week of them is enough.
    const from = Math.max(since, now - 7 * 86_400_000);
    for (let slot = rule.nextAfter(from); slot !== null && slot <= now; slot = rule.nextAfter(slot)) {
      slots.push(slot);
      if (slots.length > maxSlotsPerPass) slots.shift();
    }
    if (slots.length === 0) continue;
    for (const slot of slots) {
      const inserted = await insertJob(db, {
        id: newId(slot),
        data_source_id: source.id,
        bu_id: source.bu_id,
        vault_id: source.vault_id,
        kind: 'backup',
        trigger: 'schedule',
        status: 'queued',
        schedule_name: schedule.name,
        scheduled_for: slot,
        full: schedule.full ? 1 : 0,
        params: null,
        group_id: null,
        created_at: now,
        created_by: null,
        started_at: null,
        finished_at: null,
        heartbeat_at: null,
        attempts: 0,
        snapshot_id: null,
        error: null,
        warnings: null,
        progress: null,
        stats: null,
        link_rate: null,
        reported_at: null,
      });
      if (inserted) created += 1;
    }
    await setScheduleState(db, source.id, schedule.name, slots[slots.length - 1]!);
  }
  return created;
}

/**
 * Records as missed every scheduled job of the data source (or of all, with null) that its
 * agent did not start within the policy's grace window. `graceFor` gives the window (ms)
 * of a data source. Returns the IDs marked missed.
 */
export async function markMissedRuns(
  db: ProtectionDb,
  dataSourceId: string | null,
  now: number,
  graceFor: (dataSourceId: string) => Promise<number>,
): Promise<string[]> {
  const missed: string[] = [];
  for (const job of await overdueScheduledJobs(db, dataSourceId)) {
    const grace = await graceFor(job.data_source_id);
    if (job.scheduled_for === null || job.scheduled_for + grace > now) continue;
    const marked = await transitionJob(db, job.id, 'queued', {
      status: 'missed',
      finished_at: job.scheduled_for + grace,
      error: `the agent did not start this scheduled backup within ${Math.round(grace / 1000)} s of ${new Date(job.scheduled_for).toISOString()}`,
    });
    if (marked) missed.push(job.id);
  }
  return missed;
}
