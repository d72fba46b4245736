import { type Expression, type SqlBool, sql } from 'kysely';
import type { ProtectionDb } from './db.ts';
import { latestBackups } from './job-store.ts';

/**
 * A data source's health as listings show it (docs/agent.md, "Data source health"):
 *
 * - `running`: a job (backup or restore) of the data source is running now;
 * - otherwise the outcome of its last finished backup: `ok` (success), `warning`,
 *   `failed`, `missed` (the scheduled run never started), or `never` (no finished backup).
 *
 * Computed for a page of data sources in a fixed number of grouped queries, whatever the
 * page size; the `health` filter of the listing uses the same definition in SQL.
 */

export const healthStates = ['ok', 'warning', 'failed', 'missed', 'never', 'running'] as const;
export type HealthState = (typeof healthStates)[number];

export const backupOutcomes = ['success', 'warning', 'failed', 'missed', 'never'] as const;
export type BackupOutcome = (typeof backupOutcomes)[number];

export interface DataSourceHealth {
  state: HealthState;
  /** Outcome of the last finished backup (`never` without one). */
  lastOutcome: BackupOutcome;
  /** When the last finished backup ended (for a missed run: when it was given up). */
  lastFinishedAt: string | null;
  /** When the last good (success or warning) backup ended, i.e. its snapshot was committed. */
  lastGoodAt: string | null;
  /** Seconds since the last good backup at the time of the answer. */
  lastGoodAgeSeconds: number | null;
  /** Backup runs that ended failed or missed after the last good one (all of them without one). */
  failedOrMissedSinceGood: number;
  /** A job of the data source is running now. */
  running: boolean;
  /** That job (the oldest when several run). */
  runningJobId: string | null;
  /** When the data source's agent last spoke to the server. */
  agentLastSeenAt: string | null;
}

function iso(ms: number | string | null | undefined): string | null {
  return ms === null || ms === undefined ? null : new Date(Number(ms)).toISOString();
}

/**
 * A condition on `protection_data_sources` (unaliased) holding when the data source's
 * health is `state`: one correlated look-up of the newest finished backup and one of a
 * running job per row, inside the listing's own query.
 */
export function healthCondition(state: HealthState): Expression<SqlBool> {
  const running = sql`exists (select 1 from protection_jobs hr where hr.data_source_id = protection_data_sources.id and hr.status = 'running')`;
  if (state === 'running') return sql<SqlBool>`${running}`;
  const last = sql`(select hl.status from protection_jobs hl where hl.data_source_id = protection_data_sources.id and hl.kind = 'backup' and hl.status in ('success', 'warning', 'failed', 'missed') order by hl.finished_at desc, hl.id desc limit 1)`;
  if (state === 'never') return sql<SqlBool>`(not ${running} and ${last} is null)`;
  const outcome = state === 'ok' ? 'success' : state;
  return sql<SqlBool>`(not ${running} and ${last} = ${outcome})`;
}

interface SourceFacts {
  readonly id: string;
  readonly last_seen_at: number | null;
}

/** Health of each data source of a page, in three queries over protection_jobs. */
export async function healthOfSources(
  db: ProtectionDb,
  sources: readonly SourceFacts[],
  now: number,
): Promise<Map<string, DataSourceHealth>> {
  const result = new Map<string, DataSourceHealth>();
  if (sources.length === 0) return result;
  const ids = sources.map((source) => source.id);
  const idList = sql.join(ids.map((id) => sql`${id}`));
  // The newest finished backup, and the newest good one, of each data source.
  const latest = await latestBackups(db, ids, now);
  const last = new Map([...latest.last].map(([id, job]) => [id, { status: job.status, at: Number(job.finished_at) }]));
  const lastGood = new Map([...latest.good].map(([id, job]) => [id, Number(job.finished_at)]));
  // Failed or missed runs after the newest good one.
  const bad = await sql<{ data_source_id: string; n: number | string }>`select j.data_source_id, count(*) as n
      from protection_jobs j
      where j.data_source_id in (${idList}) and j.kind = 'backup' and j.status in ('failed', 'missed')
        and j.finished_at > coalesce((
          select max(g.finished_at) from protection_jobs g
          where g.data_source_id = j.data_source_id and g.kind = 'backup' and g.status in ('success', 'warning')
        ), -1)
      group by j.data_source_id`.execute(db);
  const badCount = new Map(bad.rows.map((row) => [row.data_source_id, Number(row.n)]));
  // Jobs running now.
  const running = await db
    .selectFrom('protection_jobs')
    .select((eb) => ['data_source_id', eb.fn.min('id').as('job_id')])
    .where('data_source_id', 'in', ids)
    .where('status', '=', 'running')
    .groupBy('data_source_id')
    .execute();
  const runningJob = new Map(running.map((row) => [row.data_source_id, String(row.job_id)]));
  for (const source of sources) {
    const lastRun = last.get(source.id);
    const goodAt = lastGood.get(source.id);
    const jobId = runningJob.get(source.id) ?? null;
    const lastOutcome = (lastRun?.status as BackupOutcome | undefined) ?? 'never';
    const state: HealthState =
      jobId !== null ? 'running' : lastOutcome === 'success' ? 'ok' : (lastOutcome as HealthState);
    result.set(source.id, {
      state,
      lastOutcome,
      lastFinishedAt: iso(lastRun?.at),
      lastGoodAt: iso(goodAt),
      lastGoodAgeSeconds: goodAt === undefined ? null : Math.max(0, Math.floor((now - goodAt) / 1000)),
      failedOrMissedSinceGood: badCount.get(source.id) ?? 0,
      running: jobId !== null,
      runningJobId: jobId,
      agentLastSeenAt: iso(source.last_seen_at),
    });
  }
  return result;
}
