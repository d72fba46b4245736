/**
 * Tables owned by the protection module (migration 0010-protection). Times are epoch ms,
 * booleans 0/1, JSON is text, blob and pack IDs are lower-case hex.
 */
export type ProtectionTables = {
  protection_zones: ZoneTable;
  protection_vaults: VaultTable;
  protection_data_sources: DataSourceTable;
  protection_enrolment_tokens: EnrolmentTokenTable;
  protection_agent_credentials: AgentCredentialTable;
  protection_packs: PackTable;
  protection_blobs: BlobTable;
  protection_snapshots: SnapshotTable;
  protection_snapshot_refs: SnapshotRefTable;
  protection_sessions: SessionTable;
  protection_jobs: JobTable;
  protection_restore_groups: RestoreGroupTable;
  protection_schedule_state: ScheduleStateTable;
  protection_snapshot_usage: SnapshotUsageTable;
  protection_daily_usage: DailyUsageTable;
  protection_recovery_keys: RecoveryKeyTable;
  protection_storage_problems: StorageProblemTable;
  protection_events: ProtectionEventTable;
};

/** A configured blob store. `bu_id` null: usable everywhere (the default zone). */
export interface ZoneTable {
  id: string;
  bu_id: string | null;
  name: string;
  kind: 'filesystem' | 's3';
  /** JSON: filesystem `{ path }` or S3 `{ endpoint, region, bucket, prefix, forcePathStyle, accessKeyId }`. */
  settings: string;
  /** Sealed S3 secret access key; null for filesystem zones. */
  secret: string | null;
  created_at: number;
}

/** An engine repository under `vaults/<id>/` of a zone, owned by a unit. */
export interface VaultTable {
  id: string;
  bu_id: string;
  zone_id: string;
  name: string;
  /** 1: several data sources of the unit may share it. */
  shared: number;
  /** Repository ID from its `config` once an agent initialised it. */
  repository_id: string | null;
  pack_size: number | null;
  created_at: number;
  initialised_at: number | null;
  /** Recovery key the vault's recovery secret is wrapped to, and that envelope (JSON). */
  recovery_key_id: string | null;
  recovery_envelope: string | null;
  /** Maintenance (prune, rebuild) holder and lease end, so one process maintains a vault at a time. */
  maintenance_owner: string | null;
  maintenance_until: number | null;
}

export type DataSourceStatus = 'pending' | 'active' | 'retired';

/** A protected machine. */
export interface DataSourceTable {
  id: string;
  bu_id: string;
  vault_id: string;
  name: string;
  hostname: string;
  os: string | null;
  status: DataSourceStatus;
  /** JSON: fields of the protection policy this data source overrides; null inherits all. */
  policy_override: string | null;
  created_at: number;
  enrolled_at: number | null;
  last_seen_at: number | null;
  agent_version: string | null;
  retired_at: number | null;
}

export interface EnrolmentTokenTable {
  id: string;
  data_source_id: string;
  token_hash: string;
  fingerprint: string | null;
  server_url: string | null;
  expires_at: number;
  used_at: number | null;
  created_at: number;
  created_by: string | null;
}

export interface AgentCredentialTable {
  id: string;
  data_source_id: string;
  secret_hash: string;
  created_at: number;
  revoked_at: number | null;
  last_used_at: number | null;
}

export type PackState = 'live' | 'condemned';

/** A pack object accepted into a vault. */
export interface PackTable {
  vault_id: string;
  pack_id: string;
  size: number;
  type: number;
  blob_count: number;
  created_at: number;
  session_id: string | null;
  state: PackState;
  condemned_at: number | null;
  /** When the pack's bytes were last checked against its name and structure. */
  verified_at: number | null;
}

/** The blob index: one row per blob per pack holding it. */
export interface BlobTable {
  vault_id: string;
  blob_id: string;
  pack_id: string;
  type: number;
  flags: number;
  pack_offset: number;
  plain_length: number;
  stored_length: number;
}

/** The snapshot catalog. */
export interface SnapshotTable {
  vault_id: string;
  id: string;
  data_source_id: string | null;
  job_id: string | null;
  time_ms: number;
  ref_count: number;
  plain_bytes: number;
  stored_bytes: number;
  /** Stored bytes no other snapshot of the vault referenced when it was committed. */
  unique_bytes: number;
  committed_at: number;
  /** Set when retention forgot it (the row stays as a tombstone). */
  forgotten_at: number | null;
}

export interface SnapshotRefTable {
  vault_id: string;
  snapshot_id: string;
  blob_id: string;
}

/** An agent's upload or restore session: its lease keeps its packs and reads safe from GC. */
export interface SessionTable {
  id: string;
  vault_id: string;
  data_source_id: string;
  job_id: string | null;
  kind: 'backup' | 'restore';
  started_at: number;
  lease_until: number;
  closed_at: number | null;
  bytes_received: number;
  packs_received: number;
  bytes_added: number;
}

export type JobKind = 'backup' | 'restore';
export type JobTrigger = 'schedule' | 'demand' | 'restore';
/** `success`, `warning`, `failed`, `missed` and `cancelled` are final. */
export type JobStatus = 'queued' | 'running' | 'success' | 'warning' | 'failed' | 'missed' | 'cancelled';

/** One backup or restore run of an agent; reporting reads outcomes from here. */
export interface JobTable {
  id: string;
  /** The data source whose agent runs the job. */
  data_source_id: string;
  bu_id: string;
  /** The vault written (backup) or read (restore). */
  vault_id: string;
  kind: JobKind;
  trigger: JobTrigger;
  status: JobStatus;
  schedule_name: string | null;
  scheduled_for: number | null;
  /** 1: re-read every file (weekly full). */
  full: number;
  /** JSON: restore specification. */
  params: string | null;
  group_id: string | null;
  created_at: number;
  created_by: string | null;
  started_at: number | null;
  finished_at: number | null;
  heartbeat_at: number | null;
  attempts: number;
  snapshot_id: string | null;
  error: string | null;
  /** JSON list of `{ path, error }` (unreadable files, restore failures). */
  warnings: string | null;
  progress: string | null;
  stats: string | null;
  /** Upload rate measured by the link test, bytes per second. */
  link_rate: number | null;
  /** When a backup's outcome was handed to reporting (null: not yet, or not final). */
  reported_at: number | null;
}

export interface RestoreGroupTable {
  id: string;
  bu_id: string;
  created_at: number;
  created_by: string | null;
  params: string;
}

/** The last slot of each schedule turned into a job (or recorded missed). */
export interface ScheduleStateTable {
  data_source_id: string;
  schedule_name: string;
  last_slot: number;
}

/** Raw consumption of one snapshot. */
export interface SnapshotUsageTable {
  vault_id: string;
  snapshot_id: string;
  data_source_id: string;
  day: number;
  protected_bytes: number;
  stored_bytes_unique: number;
  bytes_added: number;
  bytes_transferred: number;
  file_count: number;
  duration_ms: number;
  recorded_at: number;
}

/** Raw consumption of one data source on one UTC day. */
export interface DailyUsageTable {
  data_source_id: string;
  day: number;
  protected_bytes: number;
  stored_bytes: number;
  bytes_added: number;
  bytes_transferred: number;
  file_count: number;
  duration_ms: number;
  backups: number;
  updated_at: number;
}

/** A unit's recovery key pair: public half in clear, private half sealed under the admins' passphrase. */
export interface RecoveryKeyTable {
  id: string;
  bu_id: string;
  public_key: string;
  /** JSON (agent/recovery-crypto.ts format); the server cannot open it. */
  sealed_private_key: string;
  created_at: number;
  created_by: string | null;
  replaced_at: number | null;
}

/** A problem met on a zone, with its repeats folded in (migration 0011). */
export interface StorageProblemTable {
  id: string;
  zone_id: string;
  kind: 'full' | 'unavailable' | 'error';
  /** The store operation that failed: put, get, head, list or delete. */
  operation: string;
  message: string;
  first_at: number;
  last_at: number;
  occurrences: number;
}

/** An event for reporting other than a job outcome (migration 0013), kept until delivered. */
export interface ProtectionEventTable {
  id: string;
  type: 'verification.succeeded' | 'verification.failed';
  data_source_id: string;
  occurred_at: number;
  /** JSON object. */
  details: string;
  created_at: number;
  delivered_at: number | null;
}
