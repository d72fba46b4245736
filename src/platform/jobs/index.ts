/** Durable job queue, workers and recurring scheduler (docs/decisions/0004-job-queue.md). */
export { type BackoffPolicy, backoffDelay, defaultBackoff } from './backoff.ts';
export { type CronRule, canonicalTimeZone, parseCronRule } from './cron.ts';
export { describeJobError, LeaseLostError, PermanentJobError, WorkerStoppingError } from './errors.ts';
export { createJobQueue, type JobQueue, type JobQueueOptions } from './queue.ts';
export {
  createScheduler,
  type FiredSlot,
  type Schedule,
  type ScheduleInput,
  type Scheduler,
  type SchedulerOptions,
} from './scheduler.ts';
export {
  type ClaimedJob,
  type EnqueueOptions,
  type FailureOutcome,
  type Job,
  type JobExecutor,
  type JobPage,
  type JobStatus,
  jobStatuses,
  type Lease,
  type ListJobsOptions,
  type QueueStats,
} from './types.ts';
export {
  createWorker,
  type JobContext,
  type JobHandler,
  type JobLog,
  type Worker,
  type WorkerOptions,
} from './worker.ts';
