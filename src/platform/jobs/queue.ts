import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Kysely } from 'kysely';
import type { Clock } from '../clock.ts';
import type { Database, DialectName } from '../database/connect.ts';
import type { PlatformTables } from '../database/tables.ts';
import { ConflictError, NotFoundError, ValidationError } from '../errors.ts';
import { newId } from '../ids.ts';
import { type BackoffPolicy, backoffDelay, defaultBackoff, validateBackoff } from './backoff.ts';
import { describeJobError, PermanentJobError } from './errors.ts';
import * as store from './job-store.ts';
import {
  type ClaimedJob,
  type EnqueueOptions,
  type FailureOutcome,
  type Job,
  type JobPage,
  type JobStatus,
  jobStatuses,
  type Lease,
  type ListJobsOptions,
  type QueueStats,
} from './types.ts';
import { checkInteger, checkJobKind, toJson } from './validate.ts';

/** The durable job queue over the `jobs` table (see docs/decisions/0004-job-queue.md). */
export interface JobQueue {
  /** Identifies this process in lease owners (`<workerId>:<claim token>`). */
  readonly workerId: string;
  readonly clock: Clock;
  /**
   * Adds a job. With `idempotencyKey`, a second enqueue (also a concurrent one) returns the
   * first job instead of adding another; throws ConflictError if that job has another kind.
   * Throws ValidationError for a bad kind, payload (must be JSON) or option.
   */
  enqueue<DB extends PlatformTables>(kind: string, payload: unknown, options?: EnqueueOptions<DB>): Promise<Job>;
  /** The job, or undefined when there is none with this id. */
  get(id: string): Promise<Job | undefined>;
  /** Newest first, filtered by status and/or kind, paged by `cursor`. */
  list(options?: ListJobsOptions): Promise<JobPage>;
  /**
   * Cancels a queued or running job (a running one's worker sees its lease lost at the next
   * heartbeat and is aborted). Cancelling a cancelled job returns it unchanged. Throws
   * NotFoundError, or ConflictError when the job already succeeded or is dead.
   */
  cancel(id: string): Promise<Job>;
  /** Puts a dead job back in the queue with a fresh set of attempts. Throws NotFoundError / ConflictError. */
  retryDead(id: string): Promise<Job>;
  /** Counts by status, for metrics. */
  queueStats(): Promise<QueueStats>;
  /** Deletes succeeded and cancelled jobs that finished more than `olderThanMs` ago; dead ones stay. */
  purgeFinished(olderThanMs: number): Promise<number>;

  // Worker side. Every call below is guarded by the lease: once a lease is lost they
  // change nothing and report it, so a stale worker can never overwrite a new owner's work.

  /** Claims up to `limit` due jobs (optionally only of `kinds`) under a fresh lease of `leaseMs`. */
  claim(options: { limit: number; leaseMs: number; kinds?: readonly string[] }): Promise<ClaimedJob[]>;
  /** Extends the lease to now + `leaseMs`; false when the lease is lost. */
  heartbeat(lease: Lease, leaseMs: number): Promise<boolean>;
  /** Records success and the handler's result (JSON); false when the lease is lost. */
  complete(lease: Lease, result: unknown): Promise<boolean>;
  /**
   * Records a failed attempt: retried after an exponential backoff with full jitter, or
   * `dead` when attempts are used up or the error is a {@link PermanentJobError}.
   */
  fail(lease: Lease, error: unknown): Promise<FailureOutcome>;
  /** Returns a job untouched (worker shutdown): queued now, the attempt not counted. */
  release(lease: Lease): Promise<boolean>;
  /** Marks dead the jobs whose lease expired on their last allowed attempt; returns how many. */
  buryExpired(): Promise<number>;
}

export interface JobQueueOptions {
  database: Database;
  clock: Clock;
  /** Default `<host>:<pid>:<random>`. */
  workerId?: string;
  /** Default attempts per job (enqueue can override); default 5. */
  defaultMaxAttempts?: number;
  backoff?: BackoffPolicy;
  /** Source of jitter in [0, 1); tests pin it. */
  random?: () => number;
}

const maxIdempotencyKey = 200;
const maxPageSize = 500;

/** Creates the queue for one Database handle. Time comes only from `clock`. */
export function createJobQueue(options: JobQueueOptions): JobQueue {
  const { database, clock } = options;
  const db = database.kysely;
  const dialect: DialectName = database.dialect;
  const workerId = options.workerId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const defaultMaxAttempts = checkInteger('defaultMaxAttempts', options.defaultMaxAttempts ?? 5, 1, 1000);
  const backoff = validateBackoff(options.backoff ?? defaultBackoff);
  const random = options.random ?? Math.random;

  async function existing(id: string): Promise<Job> {
    const job = await store.findJob(db, id);
    if (!job) throw new NotFoundError(`job ${id}`);
    return job;
  }

  return Object.freeze({
    workerId,
    clock,

    async enqueue<DB extends PlatformTables>(
      kind: string,
      payload: unknown,
      enqueueOptions: EnqueueOptions<DB> = {},
    ): Promise<Job> {
      checkJobKind(kind);
      const json = toJson(payload, 'payload');
      const now = clock.now();
      const runAt = enqueueOptions.runAt === undefined ? now : toEpochMs(enqueueOptions.runAt);
      const priority = checkInteger('priority', enqueueOptions.priority ?? 0, -1000, 1000);
      const maxAttempts = checkInteger('maxAttempts', enqueueOptions.maxAttempts ?? defaultMaxAttempts, 1, 1000);
      const key = enqueueOptions.idempotencyKey ?? null;
      if (key !== null && (typeof key !== 'string' || key.length === 0 || key.length > maxIdempotencyKey)) {
        throw new ValidationError(`idempotencyKey must be 1-${maxIdempotencyKey} characters`);
      }
      // A handle over more tables than the platform's still has `jobs` (DB extends
      // PlatformTables); Kysely's types are invariant in the table map, so narrow explicitly.
      const executor = (enqueueOptions.transaction as unknown as Kysely<PlatformTables> | undefined) ?? db;
      const { job, created } = await store.insertJob(executor, {
        id: newId(now),
        kind,
        payload: json,
        priority,
        runAt,
        maxAttempts,
        idempotencyKey: key,
        now,
      });
      if (!created && job.kind !== kind) {
        throw new ConflictError(`idempotency key ${key} already belongs to a job of kind ${job.kind}`, {
          jobId: job.id,
          kind: job.kind,
        });
      }
      return job;
    },

    get: (id: string) => store.findJob(db, id),

    async list(listOptions: ListJobsOptions = {}): Promise<JobPage> {
      const limit = checkInteger('limit', listOptions.limit ?? 50, 1, maxPageSize);
      if (listOptions.status !== undefined && !jobStatuses.includes(listOptions.status)) {
        throw new ValidationError(`status must be one of ${jobStatuses.join(', ')}`, { status: listOptions.status });
      }
      const jobs = await store.listJobs(db, {
        limit: limit + 1,
        ...(listOptions.status ? { status: listOptions.status as JobStatus } : {}),
        ...(listOptions.kind ? { kind: listOptions.kind } : {}),
        ...(listOptions.cursor ? { cursor: listOptions.cursor } : {}),
      });
      if (jobs.length <= limit) return { jobs };
      const page = jobs.slice(0, limit);
      return { jobs: page, nextCursor: page[page.length - 1]!.id };
    },

    async cancel(id: string): Promise<Job> {
      if (await store.cancelJob(db, id, clock.now())) return existing(id);
      const job = await existing(id);
      if (job.status === 'cancelled') return job;
      throw new ConflictError(`job ${id} is ${job.status} and can no longer be cancelled`, { status: job.status });
    },

    async retryDead(id: string): Promise<Job> {
      if (await store.reviveDeadJob(db, id, clock.now())) return existing(id);
      const job = await existing(id);
      throw new ConflictError(`job ${id} is ${job.status}; only dead jobs can be retried`, { status: job.status });
    },

    queueStats: () => store.countJobsByStatus(db),

    purgeFinished(olderThanMs: number): Promise<number> {
      checkInteger('olderThanMs', olderThanMs, 0, Number.MAX_SAFE_INTEGER);
      return store.deleteFinishedJobs(db, clock.now() - olderThanMs);
    },

    async claim(claimOptions: { limit: number; leaseMs: number; kinds?: readonly string[] }): Promise<ClaimedJob[]> {
      const limit = checkInteger('limit', claimOptions.limit, 0, 1000);
      const leaseMs = checkInteger('leaseMs', claimOptions.leaseMs, 1, 24 * 3600_000);
      const owner = `${workerId}:${randomBytes(6).toString('hex')}`;
      const jobs = await store.claimJobs(db, dialect, {
        now: clock.now(),
        limit,
        owner,
        leaseMs,
        ...(claimOptions.kinds ? { kinds: claimOptions.kinds } : {}),
      });
      return jobs.map((job) => ({
        job,
        lease: Object.freeze({ jobId: job.id, owner, attempt: job.attempts, maxAttempts: job.maxAttempts }),
      }));
    },

    heartbeat(lease: Lease, leaseMs: number): Promise<boolean> {
      const now = clock.now();
      return store.extendLease(db, lease, now + leaseMs, now);
    },

    complete(lease: Lease, result: unknown): Promise<boolean> {
      return store.completeJob(db, lease, toJson(result ?? null, 'handler result'), clock.now());
    },

    async fail(lease: Lease, error: unknown): Promise<FailureOutcome> {
      const now = clock.now();
      const lastError = describeJobError(error);
      const permanent = error instanceof PermanentJobError;
      if (permanent || lease.attempt >= lease.maxAttempts) {
        return (await store.buryJob(db, lease, lastError, now)) ? { outcome: 'dead' } : { outcome: 'lost' };
      }
      const runAt = now + backoffDelay(lease.attempt, backoff, random);
      const requeued = await store.requeueJob(db, lease, { runAt, lastError, now });
      return requeued ? { outcome: 'retry', runAt } : { outcome: 'lost' };
    },

    release: (lease: Lease) => store.releaseJob(db, lease, clock.now()),

    buryExpired: () => store.buryExpiredJobs(db, clock.now()),
  });
}

function toEpochMs(value: number | Date): number {
  const ms = value instanceof Date ? value.getTime() : value;
  if (!Number.isSafeInteger(ms) || ms < 0)
    throw new ValidationError('runAt must be a valid instant (epoch ms or Date)');
  return ms;
}
