import type { Generated } from 'kysely';

/** Tables owned by the platform module. Domain modules declare theirs and use `kysely.withTables<…>()`. */
export type PlatformTables = {
  jobs: JobTable;
  job_schedules: JobScheduleTable;
  server_state: ServerStateTable;
};

export type JobStatus = 'queued' | 'running' | 'succeeded' | 'dead' | 'cancelled';

export interface JobTable {
  id: string;
  kind: string;
  /** JSON text. */
  payload: string;
  status: JobStatus;
  priority: Generated<number>;
  /** Epoch ms: not claimed before this time. */
  run_at: number;
  attempts: Generated<number>;
  max_attempts: number;
  lease_owner: string | null;
  lease_expires_at: number | null;
  idempotency_key: string | null;
  last_error: string | null;
  /** JSON text. */
  result: string | null;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
}

export interface JobScheduleTable {
  name: string;
  cron: string;
  timezone: string;
  job_kind: string;
  payload: string;
  enabled: number;
  next_run_at: number;
  last_run_at: number | null;
  created_at: number;
  updated_at: number;
}

/** Small key/value facts about this installation (e.g. when it was bootstrapped). */
export interface ServerStateTable {
  key: string;
  value: string;
  updated_at: number;
}
