import { ValidationError } from '../errors.ts';
import { LeaseLostError, PermanentJobError, WorkerStoppingError } from './errors.ts';
import type { JobQueue } from './queue.ts';
import type { Job, Lease } from './types.ts';

/** What a handler gets besides its job. */
export interface JobContext {
  /**
   * Aborted when the lease is lost (LeaseLostError: expired and taken over, or the job was
   * cancelled) or when the worker stops and the grace period ran out (WorkerStoppingError).
   * Long handlers pass it on to I/O and check it between steps.
   */
  readonly signal: AbortSignal;
  /**
   * Extends the lease now (the worker also does this on a timer). Throws LeaseLostError
   * when the lease is gone, so the handler can stop early.
   */
  heartbeat(): Promise<void>;
}

/** Runs one job; its resolved value is stored as the job's result (must be JSON). */
export type JobHandler = (job: Job, context: JobContext) => Promise<unknown>;

/** The part of a logger the worker uses; pino's Logger fits. */
export interface JobLog {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

export interface WorkerOptions {
  queue: JobQueue;
  handlers: Readonly<Record<string, JobHandler>>;
  /** Jobs run at once by this worker; default 4. */
  concurrency?: number;
  /** Wait between polls when the queue had nothing for us; default 1000 ms. */
  pollIntervalMs?: number;
  /** Lease per claim; a job whose worker stops heartbeating is retried after this; default 60 s. */
  leaseMs?: number;
  /** Default leaseMs / 3, so two heartbeats can fail before the lease runs out. */
  heartbeatIntervalMs?: number;
  /**
   * Claim only jobs that have a handler here (for several workers with different handler
   * sets). Default false: every kind is claimed and one without a handler goes dead.
   */
  onlyHandledKinds?: boolean;
  log?: JobLog;
}

export interface Worker {
  /** Begins polling; a no-op when already started. */
  start(): void;
  /**
   * Stops claiming, waits up to `graceMs` (default 10 s) for running jobs, then aborts the
   * rest (WorkerStoppingError) and releases their leases so another process takes them at
   * once. Resolves when nothing of this worker touches the database any more.
   */
  stop(options?: { graceMs?: number }): Promise<void>;
  /** Jobs running now. */
  readonly inFlight: number;
}

interface Running {
  readonly lease: Lease;
  readonly controller: AbortController;
  readonly heartbeatTimer: NodeJS.Timeout;
  /** Settles when the handler has settled and its outcome is recorded (or discarded). */
  done: Promise<void>;
  /** Set when the outcome must not be recorded (lease lost, or released at stop). */
  abandoned: boolean;
  /** Set once the handler has returned or thrown; a late heartbeat answer is then moot. */
  settled: boolean;
}

const silentLog: JobLog = { info() {}, warn() {}, error() {} };

/** Creates a worker that polls `queue` and runs jobs with `handlers`. */
export function createWorker(options: WorkerOptions): Worker {
  const { queue, handlers } = options;
  const concurrency = positiveInteger('concurrency', options.concurrency ?? 4);
  const pollIntervalMs = positiveInteger('pollIntervalMs', options.pollIntervalMs ?? 1000);
  const leaseMs = positiveInteger('leaseMs', options.leaseMs ?? 60_000);
  const heartbeatIntervalMs = positiveInteger(
    'heartbeatIntervalMs',
    options.heartbeatIntervalMs ?? Math.max(1, Math.floor(leaseMs / 3)),
  );
  const kinds = options.onlyHandledKinds ? Object.keys(handlers) : undefined;
  const log = options.log ?? silentLog;
  // A set, not a map by job id: a hung handler abandoned after losing its lease may still be
  // here when this worker claims the same job again.
  const running = new Set<Running>();

  let started = false;
  let timer: NodeJS.Timeout | undefined;
  let polling: Promise<void> | undefined;
  let pollAgain = false;

  function schedulePoll(delayMs: number): void {
    if (!started) return;
    if (polling) {
      pollAgain = true;
      return;
    }
    clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      polling = poll().finally(() => {
        polling = undefined;
        if (pollAgain) {
          pollAgain = false;
          schedulePoll(0);
        }
      });
    }, delayMs);
    timer.unref();
  }

  async function poll(): Promise<void> {
    const free = concurrency - running.size;
    if (free <= 0) return; // A finishing job schedules the next poll.
    let claimedAll = false;
    try {
      await queue.buryExpired();
      const claimed = await queue.claim({ limit: free, leaseMs, ...(kinds ? { kinds } : {}) });
      for (const { job, lease } of claimed) run(job, lease);
      claimedAll = claimed.length === free;
    } catch (error) {
      log.error({ err: error }, 'job queue poll failed');
    }
    // A full batch suggests more is waiting: poll again once a slot frees (or at once).
    if (!claimedAll) schedulePoll(pollIntervalMs);
  }

  function run(job: Job, lease: Lease): void {
    const controller = new AbortController();
    const heartbeatTimer = setInterval(() => {
      heartbeat().catch(() => {});
    }, heartbeatIntervalMs);
    heartbeatTimer.unref();
    const entry: Running = {
      lease,
      controller,
      heartbeatTimer,
      done: Promise.resolve(),
      abandoned: false,
      settled: false,
    };
    let leaseExpiresAt = queue.clock.now() + leaseMs;

    function loseLease(): void {
      if (entry.abandoned || entry.settled) return;
      abandon(entry);
      log.warn({ jobId: job.id, kind: job.kind }, 'job lease lost; aborting its handler');
      controller.abort(new LeaseLostError(job.id));
    }

    async function heartbeat(): Promise<void> {
      if (entry.abandoned) throw controller.signal.reason;
      let kept: boolean;
      try {
        kept = await queue.heartbeat(lease, leaseMs);
      } catch (error) {
        log.warn({ err: error, jobId: job.id }, 'job heartbeat failed');
        // The database decides ownership; stop only once our lease has surely run out.
        if (queue.clock.now() > leaseExpiresAt) loseLease();
        return;
      }
      if (kept) leaseExpiresAt = queue.clock.now() + leaseMs;
      else loseLease();
      if (entry.abandoned) throw controller.signal.reason;
    }

    const execute = async (): Promise<void> => {
      const handler = Object.hasOwn(handlers, job.kind) ? handlers[job.kind] : undefined;
      let outcome: { ok: true; value: unknown } | { ok: false; error: unknown };
      try {
        if (!handler) throw new PermanentJobError(`no handler is registered for job kind '${job.kind}'`);
        outcome = { ok: true, value: await handler(job, { signal: controller.signal, heartbeat }) };
      } catch (error) {
        outcome = { ok: false, error };
      }
      entry.settled = true;
      clearInterval(heartbeatTimer);
      if (entry.abandoned) return;
      if (outcome.ok) {
        try {
          if (await queue.complete(lease, outcome.value)) return;
          log.warn({ jobId: job.id }, 'job finished after its lease was lost; result discarded');
          return;
        } catch (error) {
          outcome = { ok: false, error };
        }
      }
      const failure = await queue.fail(lease, outcome.error);
      if (failure.outcome === 'lost') log.warn({ jobId: job.id }, 'job failed after its lease was lost');
      else
        log.warn(
          { jobId: job.id, kind: job.kind, attempt: lease.attempt, ...failure, err: outcome.error },
          'job failed',
        );
    };

    entry.done = execute()
      .catch((error: unknown) => {
        // The database was unreachable while recording the outcome: the lease will expire
        // and another worker retries the job.
        log.error({ err: error, jobId: job.id }, 'could not record job outcome');
      })
      .finally(() => {
        running.delete(entry);
        schedulePoll(0);
      });
    running.add(entry);
  }

  return {
    start() {
      if (started) return;
      started = true;
      schedulePoll(0);
    },

    async stop(stopOptions = {}) {
      const graceMs = stopOptions.graceMs ?? 10_000;
      started = false;
      clearTimeout(timer);
      timer = undefined;
      await polling;
      const all = [...running];
      if (all.length > 0) {
        let graceTimer: NodeJS.Timeout | undefined;
        const graceOver = new Promise<void>((resolve) => {
          graceTimer = setTimeout(resolve, graceMs);
        });
        await Promise.race([Promise.all(all.map((entry) => entry.done)), graceOver]);
        clearTimeout(graceTimer);
      }
      // Handlers still running lose their job to another worker; those that already returned
      // are only recording their outcome, which is let finish; abandoned ones are not ours.
      const leftovers = [...running].filter((entry) => !entry.abandoned && !entry.settled);
      const recording = [...running].filter((entry) => !entry.abandoned && entry.settled);
      await Promise.all([
        ...recording.map((entry) => entry.done),
        ...leftovers.map(async (entry) => {
          abandon(entry);
          entry.controller.abort(new WorkerStoppingError(entry.lease.jobId));
          try {
            await queue.release(entry.lease);
          } catch (error) {
            log.error({ err: error, jobId: entry.lease.jobId }, 'could not release job; its lease will expire');
          }
        }),
      ]);
      if (leftovers.length > 0) log.info({ released: leftovers.length }, 'worker stopped; unfinished jobs released');
    },

    get inFlight() {
      return running.size;
    },
  };
}

/** From here on the entry's outcome is not ours to record, and it stops heartbeating. */
function abandon(entry: Running): void {
  entry.abandoned = true;
  clearInterval(entry.heartbeatTimer);
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new ValidationError(`${name} must be a positive integer`);
  return value;
}
