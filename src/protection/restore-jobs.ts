import { ConflictError, NotFoundError, newId, ValidationError } from '../platform/index.ts';
import { callerId, type ProtectionContext } from './context.ts';
import { protectionDb } from './db.ts';
import { findSnapshot, snapshotsOfDataSource } from './index-store.ts';
import { findRestoreGroup, insertJob, insertRestoreGroup, type JobRow, jobsOfGroup } from './job-store.ts';
import { newJobRow, type RestoreSpec } from './jobs.ts';
import { type DataSourceRow, findDataSource, listDataSources } from './source-store.ts';
import { requireDataSource } from './sources.ts';
import { type JobView, jobView } from './views.ts';
import { wake } from './wakeups.ts';

/** What a user asks to restore. */
export interface RestoreRequest {
  /** `latest` (default) or a snapshot ID of the data source. */
  readonly snapshot?: string;
  readonly paths?: readonly string[];
  /** Directory to restore below; null or absent restores to the original paths. */
  readonly target?: string | null;
  /** Run on another enrolled machine of the same unit (through the unit's recovery key). */
  readonly targetDataSourceId?: string;
}

async function resolveSnapshot(ctx: ProtectionContext, source: DataSourceRow, reference: string): Promise<string> {
  const db = protectionDb(ctx.database);
  if (reference === 'latest') {
    const [latest] = await snapshotsOfDataSource(db, source.id, 1);
    if (!latest) throw new NotFoundError(`Snapshot of ${source.name}`);
    return latest.id;
  }
  const row = await findSnapshot(db, source.vault_id, reference);
  if (!row || row.forgotten_at !== null || row.data_source_id !== source.id) throw new NotFoundError('Snapshot');
  return row.id;
}

function restoreJob(
  ctx: ProtectionContext,
  executor: DataSourceRow,
  source: DataSourceRow,
  spec: RestoreSpec,
  groupId: string | null,
): JobRow {
  return newJobRow(
    {
      data_source_id: executor.id,
      bu_id: executor.bu_id,
      vault_id: source.vault_id,
      kind: 'restore',
      trigger: 'restore',
      params: JSON.stringify(spec),
      group_id: groupId,
      created_by: callerId(ctx),
    },
    ctx.clock.now(),
  );
}

/**
 * Queues a restore of a data source's snapshot (latest or chosen; everything or some
 * paths; to the original or another directory), run by its own agent or by another
 * enrolled machine of the same unit. Requires `restore.run` on the data source's unit.
 */
export async function requestRestore(
  ctx: ProtectionContext,
  dataSourceId: string,
  request: RestoreRequest,
): Promise<JobView> {
  const source = await requireDataSource(ctx, dataSourceId, 'restore.run');
  let executor = source;
  if (request.targetDataSourceId && request.targetDataSourceId !== source.id) {
    const other = await findDataSource(protectionDb(ctx.database), request.targetDataSourceId);
    if (!other || other.bu_id !== source.bu_id) throw new NotFoundError('Target data source (same unit)');
    executor = other;
  }
  if (executor.status !== 'active') throw new ConflictError(`${executor.name} has no enrolled agent`);
  if (request.target === '/' && executor.id !== source.id) {
    throw new ValidationError('a restore on another machine needs a target directory');
  }
  const snapshotId = await resolveSnapshot(ctx, source, request.snapshot ?? 'latest');
  const spec: RestoreSpec = {
    sourceDataSourceId: source.id,
    vaultId: source.vault_id,
    snapshotId,
    paths: [...(request.paths ?? [])],
    target: request.target ?? null,
    viaRecovery: executor.vault_id !== source.vault_id,
  };
  if (spec.viaRecovery && spec.target === null) {
    throw new ValidationError('a restore on another machine needs a target directory');
  }
  const row = restoreJob(ctx, executor, source, spec, null);
  await protectionDb(ctx.database)
    .transaction()
    .execute(async (trx) => {
      await insertJob(trx, row);
      await ctx.audit.record(
        {
          action: 'restore.run',
          buId: source.bu_id,
          resourceType: 'data_source',
          resourceId: source.id,
          after: { job: row.id, snapshot: snapshotId, executor: executor.id, target: spec.target },
        },
        trx,
      );
    });
  wake(executor.id);
  return jobView(row);
}

/** A unit restore as the API shows it. */
export interface RestoreGroupView {
  id: string;
  buId: string;
  createdAt: string;
  status: 'running' | 'success' | 'warning' | 'failed';
  jobs: JobView[];
  skipped: { dataSourceId: string; name: string; reason: string }[];
}

function groupStatus(jobs: readonly JobRow[]): RestoreGroupView['status'] {
  if (jobs.some((job) => job.status === 'queued' || job.status === 'running')) return 'running';
  if (jobs.some((job) => job.status === 'failed' || job.status === 'cancelled')) return 'failed';
  if (jobs.some((job) => job.status === 'warning')) return 'warning';
  return 'success';
}

/**
 * Restores the latest snapshot of every active data source in the unit's subtree, each by
 * its own agent (to the original paths, or below `target`): one job per data source,
 * tracked together as a group. Data sources without a snapshot are listed as skipped.
 */
export async function restoreUnit(
  ctx: ProtectionContext,
  buId: string,
  request: { target?: string | null },
): Promise<RestoreGroupView> {
  await ctx.access.require('restore.run', buId, 'Business unit');
  const db = protectionDb(ctx.database);
  const sources = await listDataSources(db, buId, { subtree: true, includeRetired: false, limit: 100_000 });
  const now = ctx.clock.now();
  const groupId = newId(now);
  const jobs: JobRow[] = [];
  const skipped: RestoreGroupView['skipped'] = [];
  for (const source of sources) {
    if (source.status !== 'active') {
      skipped.push({ dataSourceId: source.id, name: source.name, reason: 'no enrolled agent' });
      continue;
    }
    const [latest] = await snapshotsOfDataSource(db, source.id, 1);
    if (!latest) {
      skipped.push({ dataSourceId: source.id, name: source.name, reason: 'no snapshot yet' });
      continue;
    }
    jobs.push(
      restoreJob(
        ctx,
        source,
        source,
        {
          sourceDataSourceId: source.id,
          vaultId: source.vault_id,
          snapshotId: latest.id,
          paths: [],
          target: request.target ?? null,
          viaRecovery: false,
        },
        groupId,
      ),
    );
  }
  if (jobs.length === 0) throw new ConflictError('no data source of this subtree has a snapshot to restore');
  const params = JSON.stringify({ target: request.target ?? null, skipped });
  await db.transaction().execute(async (trx) => {
    await insertRestoreGroup(trx, { id: groupId, bu_id: buId, created_at: now, created_by: callerId(ctx), params });
    for (const job of jobs) await insertJob(trx, job);
    await ctx.audit.record(
      { action: 'restore.run', buId, resourceType: 'restore_group', resourceId: groupId, after: { jobs: jobs.length } },
      trx,
    );
  });
  for (const job of jobs) wake(job.data_source_id);
  return {
    id: groupId,
    buId,
    createdAt: new Date(now).toISOString(),
    status: 'running',
    jobs: jobs.map(jobView),
    skipped,
  };
}

export async function getRestoreGroup(ctx: ProtectionContext, groupId: string): Promise<RestoreGroupView> {
  const db = protectionDb(ctx.database);
  const group = await findRestoreGroup(db, groupId);
  if (!group) throw new NotFoundError('Restore');
  await ctx.access.require('restore.run', group.bu_id, 'Restore');
  const jobs = await jobsOfGroup(db, groupId);
  const params = JSON.parse(group.params) as { skipped: RestoreGroupView['skipped'] };
  return {
    id: group.id,
    buId: group.bu_id,
    createdAt: new Date(group.created_at).toISOString(),
    status: groupStatus(jobs),
    jobs: jobs.map(jobView),
    skipped: params.skipped,
  };
}
