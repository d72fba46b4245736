import type { Kysely, Transaction } from 'kysely';
import type { JobStatus, PlatformTables } from '../database/tables.ts';

export type { JobStatus } from '../database/tables.ts';

/** Every status a job can be in; `succeeded`, `dead` and `cancelled` are final. */
export const jobStatuses: readonly JobStatus[] = Object.freeze(['queued', 'running', 'succeeded', 'dead', 'cancelled']);

/** A job as the queue reports it; times are epoch milliseconds (UTC). */
export interface Job {
  readonly id: string;
  readonly kind: string;
  /** The payload given at enqueue, parsed back from JSON. */
  readonly payload: unknown;
  readonly status: JobStatus;
  /** Lower runs first; default 0. */
  readonly priority: number;
  /** Not claimed before this instant; for a retry, when the backoff ends. */
  readonly runAt: number;
  /** Claims so far, including the one running now. */
  readonly attempts: number;
  readonly maxAttempts: number;
  /** `<workerId>:<claim token>` while running, else null. */
  readonly leaseOwner: string | null;
  readonly leaseExpiresAt: number | null;
  readonly idempotencyKey: string | null;
  /** `Name: message` and the first stack frames of the latest failure. */
  readonly lastError: string | null;
  /** What the handler returned, parsed back from JSON. */
  readonly result: unknown;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly finishedAt: number | null;
}

/**
 * A running job's claim. `owner` is unique per claim, so a worker whose lease expired
 * (even one that later claims the same job again) cannot record an outcome with it.
 */
export interface Lease {
  readonly jobId: string;
  readonly owner: string;
  /** The attempt this lease is for (1-based). */
  readonly attempt: number;
  readonly maxAttempts: number;
}

export interface ClaimedJob {
  readonly job: Job;
  readonly lease: Lease;
}

/**
 * A Kysely handle whose tables include the platform's: the root instance, or a transaction
 * a caller opened so that its own rows and the job commit together.
 */
export type JobExecutor = Kysely<PlatformTables>;

export interface EnqueueOptions<DB extends PlatformTables = PlatformTables> {
  /** Epoch ms or a Date; default now. */
  runAt?: number | Date;
  /** Lower runs first; integer in [-1000, 1000]; default 0. */
  priority?: number;
  /** Attempts before the job goes dead; integer in [1, 1000]; default the queue's. */
  maxAttempts?: number;
  /** A second enqueue with the same key returns the first job instead of adding one. */
  idempotencyKey?: string;
  /**
   * Enqueue inside the caller's transaction (so the job exists only if it commits). Needed
   * on SQLite too, where the one connection is held by an open transaction.
   */
  transaction?: Kysely<DB> | Transaction<DB>;
}

export interface ListJobsOptions {
  status?: JobStatus;
  kind?: string;
  /** 1..500, default 50. */
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
}

export interface JobPage {
  /** Newest first. */
  readonly jobs: readonly Job[];
  /** Pass as `cursor` for the next page; absent on the last page. */
  readonly nextCursor?: string;
}

/** Number of jobs in each status, for metrics. */
export type QueueStats = Readonly<Record<JobStatus, number>>;

/** What became of a failed attempt. `lost` means the lease was no longer ours: nothing was recorded. */
export type FailureOutcome =
  | { readonly outcome: 'retry'; readonly runAt: number }
  | { readonly outcome: 'dead' }
  | { readonly outcome: 'lost' };
