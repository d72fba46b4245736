import { CofferError } from '../errors.ts';

/**
 * Thrown by a job handler when retrying cannot help (bad payload, the target was deleted):
 * the job goes straight to `dead` with this error kept, whatever attempts remain.
 */
export class PermanentJobError extends CofferError {
  constructor(message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super('job_permanent_failure', message, options);
  }
}

/**
 * The reason a handler's signal is aborted when its lease was lost: it expired and another
 * worker took the job, or the job was cancelled. Anything the handler writes afterwards
 * is not recorded as the job's outcome.
 */
export class LeaseLostError extends CofferError {
  constructor(jobId: string) {
    super('job_lease_lost', `the lease on job ${jobId} was lost (expired and taken over, or cancelled)`, {
      details: { jobId },
    });
  }
}

/**
 * The reason a handler's signal is aborted when its worker stops and the grace period has
 * run out: the job is released for another worker and keeps its attempt.
 */
export class WorkerStoppingError extends CofferError {
  constructor(jobId: string) {
    super('job_worker_stopping', `the worker is stopping; job ${jobId} was released for another worker`, {
      details: { jobId },
    });
  }
}

const maxErrorText = 2000;
const stackLinesKept = 6;

/**
 * The text kept in `jobs.last_error`: `Name: message` plus the first frames of the stack,
 * bounded so a huge message cannot bloat the table.
 */
export function describeJobError(error: unknown): string {
  let text: string;
  if (error instanceof Error) {
    const headline = `${error.name}: ${error.message}`;
    const frames = (error.stack ?? '')
      .split('\n')
      .filter((line) => line.trimStart().startsWith('at '))
      .slice(0, stackLinesKept)
      .map((line) => line.trim());
    text = [headline, ...frames].join('\n');
  } else {
    text = `non-error thrown: ${safeString(error)}`;
  }
  return text.length > maxErrorText ? `${text.slice(0, maxErrorText - 1)}…` : text;
}

function safeString(value: unknown): string {
  try {
    return typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  } catch {
    return String(value);
  }
}
