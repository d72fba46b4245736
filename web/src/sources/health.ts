// A data source's health as the console shows it, from the health the API lists with each
// data source (docs/agent.md, "Data source health"): the last finished backup's outcome and
// age, failed or missed runs since the last good one, and whether a job runs now.

export type JobStatus = 'queued' | 'running' | 'success' | 'warning' | 'failed' | 'missed' | 'cancelled';

/** The health the API gives each data source (a subset of it). */
export interface ApiHealth {
  state: 'ok' | 'warning' | 'failed' | 'missed' | 'never' | 'running';
  lastOutcome: 'success' | 'warning' | 'failed' | 'missed' | 'never';
  lastFinishedAt: string | null;
  lastGoodAgeSeconds: number | null;
  failedOrMissedSinceGood: number;
  running: boolean;
}

/** The server's states without `running` (shown as its own badge), plus `stale`. */
export type HealthState = 'ok' | 'warning' | 'failed' | 'missed' | 'never' | 'stale';

export interface Health {
  state: HealthState;
  /** Outcome of the newest finished backup, if any. */
  lastStatus: JobStatus | null;
  /** When it finished (ISO), if any. */
  lastAt: string | null;
  /** Hours since then. */
  ageHours: number | null;
  /** Hours since the last good backup. */
  goodAgeHours: number | null;
  /** Failed or missed runs after the last good backup. */
  missedSince: number;
  running: boolean;
}

/**
 * The console's reading of the API's health: the last outcome's state (a running job is a
 * separate flag), and `stale` for a good source whose last good backup is older than
 * `staleAfterHours`.
 */
export function healthOf(health: ApiHealth, now: number, staleAfterHours = 48): Health {
  const outcome = health.lastOutcome;
  const lastAt = health.lastFinishedAt;
  const ageHours = lastAt ? Math.max(0, (now - Date.parse(lastAt)) / 3_600_000) : null;
  const goodAgeHours = health.lastGoodAgeSeconds === null ? null : health.lastGoodAgeSeconds / 3600;
  let state: HealthState = outcome === 'success' ? 'ok' : outcome;
  if ((state === 'ok' || state === 'warning') && goodAgeHours !== null && goodAgeHours > staleAfterHours) {
    state = 'stale';
  }
  return {
    state,
    lastStatus: outcome === 'never' ? null : outcome,
    lastAt,
    ageHours,
    goodAgeHours,
    missedSince: health.failedOrMissedSinceGood,
    running: health.running,
  };
}

/** The health filter of the data source list (the API's `health` values). */
export const healthFilters = [
  { value: 'ok', label: 'OK' },
  { value: 'warning', label: 'Warning' },
  { value: 'failed', label: 'Failed' },
  { value: 'missed', label: 'Missed' },
  { value: 'never', label: 'Never backed up' },
  { value: 'running', label: 'Running now' },
] as const;

export type HealthFilter = (typeof healthFilters)[number]['value'];

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
