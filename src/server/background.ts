import {
  type Clock,
  createJobQueue,
  createScheduler,
  createWorker,
  type Database,
  type JobHandler,
  type JobQueue,
  type Logger,
  type ScheduleInput,
  type Scheduler,
  type Worker,
} from '../platform/index.ts';

/** Work a module hands to the background machinery: job handlers and recurring schedules. */
export interface BackgroundContribution {
  readonly handlers?: Readonly<Record<string, JobHandler>>;
  readonly schedules?: readonly ScheduleInput[];
}

/** The queue, the worker and the scheduler of one server process. */
export interface Background {
  readonly queue: JobQueue;
  readonly scheduler: Scheduler;
  readonly worker: Worker | undefined;
  start(): Promise<void>;
  /** Stops claiming, lets running jobs finish within `graceMs`, then releases the rest. */
  stop(graceMs?: number): Promise<void>;
}

const dayMs = 86_400_000;

/** The platform's own upkeep: finished jobs are kept for 30 days, dead ones until handled. */
function platformContribution(queue: JobQueue): BackgroundContribution {
  return {
    handlers: {
      'platform.purge-finished-jobs': async () => ({ purged: await queue.purgeFinished(30 * dayMs) }),
    },
    schedules: [
      {
        name: 'platform.purge-finished-jobs',
        cron: '17 3 * * *',
        timezone: 'UTC',
        jobKind: 'platform.purge-finished-jobs',
      },
    ],
  };
}

/**
 * Builds the job queue, a worker running every module's handlers (none when
 * `concurrency` is 0, for processes that only serve HTTP) and the scheduler that declares
 * every module's recurring schedules.
 */
export function createBackground(options: {
  database: Database;
  clock: Clock;
  log: Logger;
  concurrency: number;
  contributions: (queue: JobQueue) => readonly BackgroundContribution[];
}): Background {
  const queue = createJobQueue({ database: options.database, clock: options.clock });
  const contributions = [platformContribution(queue), ...options.contributions(queue)];
  const handlers: Record<string, JobHandler> = {};
  for (const contribution of contributions) {
    for (const [kind, handler] of Object.entries(contribution.handlers ?? {})) {
      if (handlers[kind]) throw new Error(`two modules handle job kind ${kind}`);
      handlers[kind] = handler;
    }
  }
  const worker =
    options.concurrency > 0
      ? createWorker({ queue, handlers, concurrency: options.concurrency, log: options.log })
      : undefined;
  const scheduler = createScheduler({ database: options.database, clock: options.clock, queue, log: options.log });
  return {
    queue,
    scheduler,
    worker,
    async start() {
      for (const contribution of contributions) {
        for (const schedule of contribution.schedules ?? []) await scheduler.upsertSchedule(schedule);
      }
      scheduler.start();
      worker?.start();
    },
    async stop(graceMs = 10_000) {
      await scheduler.stop();
      await worker?.stop({ graceMs });
    },
  };
}
