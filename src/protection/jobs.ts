import { ConflictError, NotFoundError, newId, ValidationError } from '../platform/index.ts';
import { assertBackupAllowed } from '../usage/index.ts';
import type { AgentIdentity } from './agent-identity.ts';
import { recordBackupConsumption } from './consumption.ts';
import { callerId, type ProtectionContext } from './context.ts';
import { protectionDb } from './db.ts';
import { closeSessionsOfJob, findSnapshot, sessionsOfJob, snapshotsOfDataSource } from './index-store.ts';
import {
  dueJobs,
  findJob,
  insertJob,
  type JobRow,
  jobsInStatus,
  listJobs,
  staleRunningJobs,
  transitionJob,
  updateJob,
} from './job-store.ts';
import { effectivePolicy } from './policy.ts';
import type { ProtectionRuntime } from './runtime.ts';
import { markMissedRuns, materialiseSchedules } from './schedules.ts';
import { type DataSourceRow, findDataSource } from './source-store.ts';
import { requireDataSource } from './sources.ts';
import type { JobStatus } from './tables.ts';
import { type JobView, jobView } from './views.ts';
import { wake } from './wakeups.ts';

/** A new job row with everything unset but what the caller gives. */
export function newJobRow(
  base: Pick<JobRow, 'data_source_id' | 'bu_id' | 'vault_id' | 'kind' | 'trigger'> & Partial<JobRow>,
  now: number,
): JobRow {
  return {
    id: newId(now),
    status: 'queued',
    schedule_name: null,
    scheduled_for: null,
    full: 0,
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
    ...base,
  };
}

/**
 * Brings one data source's jobs up to date: due schedule slots become jobs and scheduled
 * jobs past their grace window become missed. Runs on every agent poll, on reads of the
 * job list and from the periodic tick, so the outcome is the same whoever comes first.
 */
export async function catchUp(rt: ProtectionRuntime, source: DataSourceRow): Promise<void> {
  const db = protectionDb(rt.database);
  const now = rt.clock.now();
  const { policy } = await effectivePolicy(rt.database, source.bu_id, source.policy_override);
  await materialiseSchedules(db, source, policy, now);
  await markMissedRuns(db, source.id, now, async () => policy.missedAfterSeconds * 1000);
}

/** Asks for an on-demand backup; the agent runs it as soon as it is connected. Requires `backup.run`. */
export async function requestBackup(
  ctx: ProtectionContext,
  dataSourceId: string,
  input: { full?: boolean },
): Promise<JobView> {
  const source = await requireDataSource(ctx, dataSourceId, 'backup.run');
  if (source.status === 'retired') throw new ConflictError('the data source is retired');
  const now = ctx.clock.now();
  const row = newJobRow(
    {
      data_source_id: source.id,
      bu_id: source.bu_id,
      vault_id: source.vault_id,
      kind: 'backup',
      trigger: 'demand',
      full: input.full ? 1 : 0,
      created_by: callerId(ctx),
    },
    now,
  );
  await protectionDb(ctx.database)
    .transaction()
    .execute(async (trx) => {
      await insertJob(trx, row);
      await ctx.audit.record(
        {
          action: 'backup.run',
          buId: source.bu_id,
          resourceType: 'data_source',
          resourceId: source.id,
          after: { job: row.id },
        },
        trx,
      );
    });
  wake(source.id);
  return jobView(row);
}

/** Jobs of a data source, newest first (schedules are caught up first). Requires `datasource.read`. */
export async function listDataSourceJobs(
  ctx: ProtectionContext,
  rt: ProtectionRuntime,
  dataSourceId: string,
  options: { status?: JobStatus; kind?: 'backup' | 'restore'; limit?: number; cursor?: string },
): Promise<{ items: JobView[]; nextCursor: string | null }> {
  const source = await requireDataSource(ctx, dataSourceId, 'datasource.read');
  await catchUp(rt, source);
  const limit = options.limit ?? 50;
  const rows = await listJobs(protectionDb(ctx.database), dataSourceId, {
    limit: limit + 1,
    ...(options.status ? { status: options.status } : {}),
    ...(options.kind ? { kind: options.kind } : {}),
    ...(options.cursor ? { before: options.cursor } : {}),
  });
  const items = rows.slice(0, limit).map(jobView);
  return { items, nextCursor: rows.length > limit ? (items[items.length - 1]?.id ?? null) : null };
}

async function requireJob(ctx: ProtectionContext, jobId: string, privilege: string): Promise<JobRow> {
  const job = await findJob(protectionDb(ctx.database), jobId);
  if (!job) throw new NotFoundError('Job');
  await ctx.access.require(privilege, job.bu_id, 'Job');
  return job;
}

export async function getJob(ctx: ProtectionContext, jobId: string): Promise<JobView> {
  return jobView(await requireJob(ctx, jobId, 'datasource.read'));
}

/**
 * Cancels a queued or running job. Its sessions close at once, so a running agent's next
 * upload, read or snapshot commit is refused (a cancelled backup never commits a snapshot),
 * and its next progress report tells it to stop.
 * Requires `backup.run` for backups and `restore.run` for restores.
 */
export async function cancelJob(ctx: ProtectionContext, jobId: string): Promise<JobView> {
  const found = await findJob(protectionDb(ctx.database), jobId);
  if (!found) throw new NotFoundError('Job');
  const job = await requireJob(ctx, jobId, found.kind === 'restore' ? 'restore.run' : 'backup.run');
  const now = ctx.clock.now();
  const cancelled = await transitionJob(protectionDb(ctx.database), jobId, ['queued', 'running'], {
    status: 'cancelled',
    finished_at: now,
    error: 'cancelled by a user',
  });
  if (!cancelled) throw new ConflictError(`the job is already ${job.status}`);
  await closeSessionsOfJob(protectionDb(ctx.database), jobId, now);
  await ctx.audit.record({ action: `${job.kind}.cancel`, buId: job.bu_id, resourceType: 'job', resourceId: jobId });
  return jobView({ ...job, status: 'cancelled', finished_at: now, error: 'cancelled by a user' });
}

/** What an agent receives for one job. */
export interface AgentJob {
  readonly id: string;
  readonly kind: 'backup' | 'restore';
  readonly trigger: JobRow['trigger'];
  readonly scheduledFor: string | null;
  readonly attempt: number;
  readonly backup: {
    readonly paths: readonly string[];
    readonly excludes: readonly string[];
    readonly full: boolean;
    /** True when the data source has no snapshot yet (the link test applies). */
    readonly initial: boolean;
    readonly minimumInitialRate: number | null;
    readonly largeInitialBytes: number;
  } | null;
  readonly restore: RestoreSpec | null;
}

/** A restore job's parameters (stored as the job's params). */
export interface RestoreSpec {
  readonly sourceDataSourceId: string;
  readonly vaultId: string;
  readonly snapshotId: string;
  /** Paths inside the snapshot; empty restores everything. */
  readonly paths: readonly string[];
  /** Directory to restore below; null restores to the original paths (`/`). */
  readonly target: string | null;
  /** True when the executing agent is not the vault's own: it needs the unit's recovery key. */
  readonly viaRecovery: boolean;
}

async function agentJob(rt: ProtectionRuntime, source: DataSourceRow, job: JobRow): Promise<AgentJob> {
  const base = {
    id: job.id,
    kind: job.kind,
    trigger: job.trigger,
    scheduledFor: job.scheduled_for === null ? null : new Date(job.scheduled_for).toISOString(),
    attempt: job.attempts + 1,
  };
  if (job.kind === 'restore') return { ...base, backup: null, restore: JSON.parse(job.params ?? '{}') as RestoreSpec };
  const { policy } = await effectivePolicy(rt.database, source.bu_id, source.policy_override);
  const snapshots = await snapshotsOfDataSource(protectionDb(rt.database), source.id, 1);
  return {
    ...base,
    backup: {
      paths: policy.paths,
      excludes: policy.excludes,
      full: job.full === 1,
      initial: snapshots.length === 0,
      minimumInitialRate: policy.minimumInitialRate,
      largeInitialBytes: policy.largeInitialBytes,
    },
    restore: null,
  };
}

/**
 * Due jobs of the agent's data source. Called when the agent is idle, so a job still
 * `running` belongs to an agent process that died: it is queued again (and resumes, since
 * the packs it sent are kept) until it has been tried `maxJobAttempts` times.
 */
export async function dueAgentJobs(
  rt: ProtectionRuntime,
  agent: AgentIdentity,
  recoverOrphans: boolean,
): Promise<AgentJob[]> {
  const db = protectionDb(rt.database);
  const source = await findDataSource(db, agent.dataSourceId);
  if (!source) throw new NotFoundError('Data source');
  const now = rt.clock.now();
  if (recoverOrphans) {
    for (const job of await jobsInStatus(db, source.id, 'running')) {
      if (job.attempts >= rt.limits.maxJobAttempts) {
        await transitionJob(db, job.id, 'running', {
          status: 'failed',
          finished_at: now,
          error: `the agent stopped during this job ${job.attempts} times; giving up`,
        });
      } else {
        await transitionJob(db, job.id, 'running', { status: 'queued', error: 'the agent restarted; resuming' });
      }
    }
  }
  await catchUp(rt, source);
  const jobs = await dueJobs(db, source.id, now);
  return Promise.all(jobs.map((job) => agentJob(rt, source, job)));
}

async function agentOwnJob(rt: ProtectionRuntime, agent: AgentIdentity, jobId: string): Promise<JobRow> {
  const job = await findJob(protectionDb(rt.database), jobId);
  if (!job || job.data_source_id !== agent.dataSourceId) throw new NotFoundError('Job');
  return job;
}

/** The agent starts a queued job. Backups are refused (job failed) when the unit is over its hard quota. */
export async function startAgentJob(rt: ProtectionRuntime, agent: AgentIdentity, jobId: string): Promise<AgentJob> {
  const db = protectionDb(rt.database);
  const job = await agentOwnJob(rt, agent, jobId);
  const now = rt.clock.now();
  if (job.kind === 'backup') {
    try {
      await assertBackupAllowed(rt.database, job.bu_id);
    } catch (error) {
      await transitionJob(db, job.id, 'queued', {
        status: 'failed',
        finished_at: now,
        error: (error as Error).message,
      });
      throw error;
    }
  }
  const started = await transitionJob(db, job.id, 'queued', {
    status: 'running',
    started_at: now,
    heartbeat_at: now,
    attempts: job.attempts + 1,
  });
  if (!started) throw new ConflictError(`the job is ${job.status}, not queued`);
  const source = await findDataSource(db, agent.dataSourceId);
  return agentJob(rt, source!, job);
}

/** Progress of a running job; answers whether the agent should stop (the job was cancelled). */
export async function reportProgress(
  rt: ProtectionRuntime,
  agent: AgentIdentity,
  jobId: string,
  input: { progress: Record<string, unknown>; linkRate?: number },
): Promise<{ cancel: boolean }> {
  const job = await agentOwnJob(rt, agent, jobId);
  if (job.status !== 'running') return { cancel: true };
  await updateJob(protectionDb(rt.database), jobId, {
    heartbeat_at: rt.clock.now(),
    progress: JSON.stringify(input.progress),
    ...(input.linkRate !== undefined ? { link_rate: Math.round(input.linkRate) } : {}),
  });
  return { cancel: false };
}

/** The outcome an agent reports. */
export interface JobOutcome {
  readonly outcome: 'success' | 'warning' | 'failed';
  readonly snapshotId?: string;
  readonly warnings?: readonly { path: string; error: string }[];
  readonly error?: string;
  readonly stats?: Record<string, number>;
  readonly linkRate?: number;
}

const maxWarnings = 1000;

/**
 * Records a job's outcome: success, warning (with the files it could not read or
 * restore) or failed (with the reason). A backup's success names its committed snapshot,
 * whose consumption is then recorded.
 */
export async function finishAgentJob(
  rt: ProtectionRuntime,
  agent: AgentIdentity,
  jobId: string,
  outcome: JobOutcome,
): Promise<JobView> {
  const db = protectionDb(rt.database);
  const job = await agentOwnJob(rt, agent, jobId);
  if (job.status !== 'running') throw new ConflictError(`the job is ${job.status}, not running`);
  const now = rt.clock.now();
  let snapshot: Awaited<ReturnType<typeof findSnapshot>>;
  if (job.kind === 'backup' && outcome.outcome !== 'failed') {
    if (!outcome.snapshotId) throw new ValidationError('a successful backup must name its snapshot');
    snapshot = await findSnapshot(db, job.vault_id, outcome.snapshotId);
    if (!snapshot || snapshot.forgotten_at !== null || snapshot.data_source_id !== job.data_source_id) {
      throw new ValidationError(`snapshot ${outcome.snapshotId} was not committed by this data source`);
    }
  }
  const warnings = (outcome.warnings ?? []).slice(0, maxWarnings);
  const patch = {
    status: outcome.outcome,
    finished_at: now,
    heartbeat_at: now,
    snapshot_id: outcome.snapshotId ?? null,
    error: outcome.outcome === 'failed' ? (outcome.error ?? 'failed without a reason') : null,
    warnings: warnings.length > 0 ? JSON.stringify(warnings) : null,
    stats: outcome.stats ? JSON.stringify(outcome.stats) : null,
    ...(outcome.linkRate !== undefined ? { link_rate: Math.round(outcome.linkRate) } : {}),
  } as const;
  if (!(await transitionJob(db, jobId, 'running', patch))) throw new ConflictError('the job is no longer running');
  const finished = { ...job, ...patch };
  if (snapshot) {
    const sessions = await sessionsOfJob(db, jobId);
    await recordBackupConsumption(rt, finished, snapshot, outcome.stats ?? {}, {
      bytesTransferred: sessions.reduce((sum, s) => sum + s.bytes_received, 0),
      bytesAdded: sessions.reduce((sum, s) => sum + s.bytes_added, 0),
    });
  }
  return jobView(finished);
}

/** Fails running jobs whose agent went silent (no progress for the heartbeat timeout). */
export async function failSilentJobs(rt: ProtectionRuntime): Promise<number> {
  const db = protectionDb(rt.database);
  const now = rt.clock.now();
  let failed = 0;
  for (const job of await staleRunningJobs(db, now - rt.limits.jobHeartbeatTimeoutMs)) {
    const done = await transitionJob(db, job.id, 'running', {
      status: 'failed',
      finished_at: now,
      error: `the agent stopped reporting progress (silent since ${new Date(job.heartbeat_at ?? now).toISOString()})`,
    });
    if (done) failed += 1;
  }
  return failed;
}
