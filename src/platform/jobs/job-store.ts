/** The only file that queries the `jobs` table; callers pass the time in (injected clock). */
import type { ExpressionBuilder, Selectable } from 'kysely';
import type { DialectName } from '../database/connect.ts';
import type { JobStatus, JobTable, PlatformTables } from '../database/tables.ts';
import type { Job, JobExecutor, Lease, QueueStats } from './types.ts';

type JobRow = Selectable<JobTable>;
type JobsExpression = ExpressionBuilder<PlatformTables, 'jobs'>;

export interface NewJobRow {
  id: string;
  kind: string;
  payload: string;
  priority: number;
  runAt: number;
  maxAttempts: number;
  idempotencyKey: string | null;
  now: number;
}

/**
 * Inserts a job. With an idempotency key, an existing job with that key wins: the insert
 * does nothing (`ON CONFLICT DO NOTHING`, which waits for a concurrent insert of the same
 * key to commit) and the existing row is returned. Never creates two jobs for one key.
 */
export async function insertJob(db: JobExecutor, row: NewJobRow): Promise<{ job: Job; created: boolean }> {
  const values = {
    id: row.id,
    kind: row.kind,
    payload: row.payload,
    status: 'queued' as const,
    priority: row.priority,
    run_at: row.runAt,
    attempts: 0,
    max_attempts: row.maxAttempts,
    idempotency_key: row.idempotencyKey,
    created_at: row.now,
    updated_at: row.now,
  };
  const key = row.idempotencyKey;
  if (key === null) {
    const inserted = await db.insertInto('jobs').values(values).returningAll().executeTakeFirstOrThrow();
    return { job: toJob(inserted), created: true };
  }
  const inserted = await db
    .insertInto('jobs')
    .values(values)
    .onConflict((conflict) => conflict.column('idempotency_key').doNothing())
    .returningAll()
    .executeTakeFirst();
  if (inserted) return { job: toJob(inserted), created: true };
  const existing = await db.selectFrom('jobs').selectAll().where('idempotency_key', '=', key).executeTakeFirstOrThrow();
  return { job: toJob(existing), created: false };
}

export async function findJob(db: JobExecutor, id: string): Promise<Job | undefined> {
  const row = await db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toJob(row) : undefined;
}

export async function listJobs(
  db: JobExecutor,
  filter: { status?: JobStatus; kind?: string; cursor?: string; limit: number },
): Promise<Job[]> {
  let query = db.selectFrom('jobs').selectAll();
  if (filter.status) query = query.where('status', '=', filter.status);
  if (filter.kind) query = query.where('kind', '=', filter.kind);
  if (filter.cursor) query = query.where('id', '<', filter.cursor);
  const rows = await query.orderBy('id', 'desc').limit(filter.limit).execute();
  return rows.map(toJob);
}

/**
 * A job may be claimed when it is queued and due, or when it is running under a lease that
 * expired (its worker died or hung) and it has attempts left. Used both to pick rows and,
 * again, on the UPDATE itself: PostgreSQL re-checks the UPDATE's WHERE against the newest
 * row version, so a row another transaction claimed meanwhile is skipped, never re-claimed.
 */
function claimable(now: number) {
  return (eb: JobsExpression) =>
    eb.or([
      eb.and([eb('status', '=', 'queued'), eb('run_at', '<=', now)]),
      eb.and([
        eb('status', '=', 'running'),
        eb('lease_expires_at', '<', now),
        eb('attempts', '<', eb.ref('max_attempts')),
      ]),
    ]);
}

/**
 * Claims up to `limit` jobs in ONE statement: marks them running under `owner` until
 * `now + leaseMs` and counts the attempt. On PostgreSQL the picking SELECT takes
 * `FOR UPDATE SKIP LOCKED`, so concurrent claimers pass over each other's rows instead of
 * waiting or double-claiming; SQLite has one writer at a time, so the statement is atomic.
 * The pick is a MATERIALIZED CTE because PostgreSQL may re-run a `WHERE id IN (SELECT …
 * LIMIT n SKIP LOCKED)` subquery during the update and so claim more than `n` rows.
 */
export async function claimJobs(
  db: JobExecutor,
  dialect: DialectName,
  options: { now: number; limit: number; owner: string; leaseMs: number; kinds?: readonly string[] },
): Promise<Job[]> {
  const { now, limit, owner, leaseMs, kinds } = options;
  if (limit <= 0 || kinds?.length === 0) return [];
  const rows = await db
    .with(
      (cte) => cte('picked').materialized(),
      (qc) => {
        let pick = qc
          .selectFrom('jobs')
          .select('id')
          .where(claimable(now))
          .orderBy('priority')
          .orderBy('run_at')
          .orderBy('id')
          .limit(limit);
        if (kinds) pick = pick.where('kind', 'in', [...kinds]);
        return dialect === 'postgres' ? pick.forUpdate().skipLocked() : pick;
      },
    )
    .updateTable('jobs')
    .set((eb) => ({
      status: 'running',
      lease_owner: owner,
      lease_expires_at: now + leaseMs,
      attempts: eb('attempts', '+', 1),
      updated_at: now,
    }))
    .where('id', 'in', (eb) => eb.selectFrom('picked').select('picked.id'))
    .where(claimable(now))
    .returningAll()
    .execute();
  // RETURNING keeps no order; hand jobs out in the order they were picked.
  rows.sort((a, b) => a.priority - b.priority || a.run_at - b.run_at || (a.id < b.id ? -1 : 1));
  return rows.map(toJob);
}

/** Only the current holder of a running job's lease may change it. */
function heldBy(lease: Lease) {
  return (eb: JobsExpression) =>
    eb.and([eb('id', '=', lease.jobId), eb('lease_owner', '=', lease.owner), eb('status', '=', 'running')]);
}

/** Extends a lease; false when it is no longer ours. */
export async function extendLease(db: JobExecutor, lease: Lease, expiresAt: number, now: number): Promise<boolean> {
  const result = await db
    .updateTable('jobs')
    .set({ lease_expires_at: expiresAt, updated_at: now })
    .where(heldBy(lease))
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export async function completeJob(db: JobExecutor, lease: Lease, result: string, now: number): Promise<boolean> {
  const updated = await db
    .updateTable('jobs')
    .set({
      status: 'succeeded',
      result,
      lease_owner: null,
      lease_expires_at: null,
      finished_at: now,
      updated_at: now,
    })
    .where(heldBy(lease))
    .executeTakeFirst();
  return updated.numUpdatedRows > 0n;
}

/** Puts a failed job back in the queue until `runAt`; false when the lease was not ours. */
export async function requeueJob(
  db: JobExecutor,
  lease: Lease,
  values: { runAt: number; lastError: string; now: number },
): Promise<boolean> {
  const updated = await db
    .updateTable('jobs')
    .set({
      status: 'queued',
      run_at: values.runAt,
      last_error: values.lastError,
      lease_owner: null,
      lease_expires_at: null,
      updated_at: values.now,
    })
    .where(heldBy(lease))
    .executeTakeFirst();
  return updated.numUpdatedRows > 0n;
}

export async function buryJob(db: JobExecutor, lease: Lease, lastError: string, now: number): Promise<boolean> {
  const updated = await db
    .updateTable('jobs')
    .set({
      status: 'dead',
      last_error: lastError,
      lease_owner: null,
      lease_expires_at: null,
      finished_at: now,
      updated_at: now,
    })
    .where(heldBy(lease))
    .executeTakeFirst();
  return updated.numUpdatedRows > 0n;
}

/**
 * Hands a running job back untouched (worker shutdown): queued, due now, and the
 * interrupted attempt is not counted against it.
 */
export async function releaseJob(db: JobExecutor, lease: Lease, now: number): Promise<boolean> {
  const updated = await db
    .updateTable('jobs')
    .set((eb) => ({
      status: 'queued',
      run_at: now,
      attempts: eb('attempts', '-', 1),
      lease_owner: null,
      lease_expires_at: null,
      updated_at: now,
    }))
    .where(heldBy(lease))
    .executeTakeFirst();
  return updated.numUpdatedRows > 0n;
}

/**
 * Jobs whose lease expired on their last allowed attempt: the worker died or hung every
 * time (a job that crashes its process must not loop forever). They go dead.
 */
export async function buryExpiredJobs(db: JobExecutor, now: number): Promise<number> {
  const result = await db
    .updateTable('jobs')
    .set({
      status: 'dead',
      last_error: 'LeaseExpired: the worker running the last allowed attempt stopped heartbeating (crashed or hung)',
      lease_owner: null,
      lease_expires_at: null,
      finished_at: now,
      updated_at: now,
    })
    .where('status', '=', 'running')
    .where('lease_expires_at', '<', now)
    .where((eb) => eb('attempts', '>=', eb.ref('max_attempts')))
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Queued or running → cancelled. False when the job is missing or already final. */
export async function cancelJob(db: JobExecutor, id: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable('jobs')
    .set({ status: 'cancelled', lease_owner: null, lease_expires_at: null, finished_at: now, updated_at: now })
    .where('id', '=', id)
    .where('status', 'in', ['queued', 'running'])
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Dead → queued with a fresh set of attempts; the last error stays for reference. */
export async function reviveDeadJob(db: JobExecutor, id: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable('jobs')
    .set({ status: 'queued', attempts: 0, run_at: now, finished_at: null, updated_at: now })
    .where('id', '=', id)
    .where('status', '=', 'dead')
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export async function countJobsByStatus(db: JobExecutor): Promise<QueueStats> {
  const rows = await db
    .selectFrom('jobs')
    .select(['status', (eb) => eb.fn.countAll().as('count')])
    .groupBy('status')
    .execute();
  const stats: Record<JobStatus, number> = { queued: 0, running: 0, succeeded: 0, dead: 0, cancelled: 0 };
  for (const row of rows) stats[row.status] = Number(row.count);
  return stats;
}

/** Deletes succeeded and cancelled jobs finished before `before`; dead jobs are kept. */
export async function deleteFinishedJobs(db: JobExecutor, before: number): Promise<number> {
  const result = await db
    .deleteFrom('jobs')
    .where('status', 'in', ['succeeded', 'cancelled'])
    .where('finished_at', '<', before)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

function toJob(row: JobRow): Job {
  return Object.freeze({
    id: row.id,
    kind: row.kind,
    payload: JSON.parse(row.payload) as unknown,
    status: row.status,
    priority: Number(row.priority),
    runAt: Number(row.run_at),
    attempts: Number(row.attempts),
    maxAttempts: Number(row.max_attempts),
    leaseOwner: row.lease_owner,
    leaseExpiresAt: row.lease_expires_at === null ? null : Number(row.lease_expires_at),
    idempotencyKey: row.idempotency_key,
    lastError: row.last_error,
    result: row.result === null ? null : (JSON.parse(row.result) as unknown),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    finishedAt: row.finished_at === null ? null : Number(row.finished_at),
  });
}
