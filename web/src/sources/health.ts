// A data source's health as the console shows it, from its most recent backup jobs: the
// last finished backup's outcome and age, runs missed since, and whether one runs now.

export type JobStatus = 'queued' | 'running' | 'success' | 'warning' | 'failed' | 'missed' | 'cancelled';

/** What health needs of a job (a subset of the API's job). */
export interface JobFacts {
  kind: 'backup' | 'restore';
  status: JobStatus;
  createdAt: string;
  finishedAt: string | null;
  scheduledFor: string | null;
}

export type HealthState = 'ok' | 'warning' | 'failed' | 'missed' | 'never' | 'stale';

export interface Health {
  state: HealthState;
  /** Outcome of the newest finished backup, if any. */
  lastStatus: JobStatus | null;
  /** When it finished (ISO), if any. */
  lastAt: string | null;
  /** Hours since then. */
  ageHours: number | null;
  /** Missed runs newer than the last finished backup. */
  missedSince: number;
  running: boolean;
}

/**
 * Health from jobs, newest first. A backup older than `staleAfterHours` makes an otherwise
 * good source `stale`; missed runs after the last backup make it `missed`.
 */
export function healthOf(jobs: readonly JobFacts[], now: number, staleAfterHours = 48): Health {
  const backups = jobs.filter((job) => job.kind === 'backup');
  const running = backups.some((job) => job.status === 'running' || job.status === 'queued');
  let missedSince = 0;
  let last: JobFacts | null = null;
  for (const job of backups) {
    if (job.status === 'missed') {
      missedSince++;
      continue;
    }
    if (job.status === 'success' || job.status === 'warning' || job.status === 'failed') {
      last = job;
      break;
    }
  }
  const lastAt = last ? (last.finishedAt ?? last.createdAt) : null;
  const ageHours = lastAt ? Math.max(0, (now - Date.parse(lastAt)) / 3_600_000) : null;
  let state: HealthState;
  if (!last) state = missedSince > 0 ? 'missed' : 'never';
  else if (last.status === 'failed') state = 'failed';
  else if (missedSince > 0) state = 'missed';
  else if (ageHours !== null && ageHours > staleAfterHours) state = 'stale';
  else state = last.status === 'warning' ? 'warning' : 'ok';
  return { state, lastStatus: last?.status ?? null, lastAt, ageHours, missedSince, running };
}

/** "3 h ago", "2 d ago", "just now". */
export function formatAge(hours: number | null): string {
  if (hours === null) return 'never';
  if (hours < 1 / 60) return 'just now';
  if (hours < 1) return `${Math.round(hours * 60)} min ago`;
  if (hours < 48) return `${Math.round(hours)} h ago`;
  return `${Math.round(hours / 24)} d ago`;
}

export const healthColors: Record<HealthState, string> = {
  ok: 'green',
  warning: 'yellow',
  failed: 'red',
  missed: 'orange',
  never: 'gray',
  stale: 'orange',
};

export const jobColors: Record<JobStatus, string> = {
  queued: 'gray',
  running: 'blue',
  success: 'green',
  warning: 'yellow',
  failed: 'red',
  missed: 'orange',
  cancelled: 'gray',
};

/** The shell command that enrols a machine with a token (`coffer agent enroll`, src/agent/agent-cli.ts). */
export function enrolCommand(token: string, serverUrl: string | null): string {
  const quoted = `'${token.replace(/'/g, `'\\''`)}'`;
  return serverUrl
    ? `coffer agent enroll --token ${quoted} --server ${serverUrl}`
    : `coffer agent enroll --token ${quoted}`;
}
