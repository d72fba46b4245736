import type { DataSourceHealth } from './health.ts';
import type { SnapshotRow } from './index-store.ts';
import type { JobRow } from './job-store.ts';
import type { DataSourceRow, VaultRow, ZoneRow } from './source-store.ts';

/** API shapes of protection resources (times as ISO strings). */

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

export interface ZoneView {
  id: string;
  buId: string | null;
  name: string;
  kind: 'filesystem' | 's3';
  settings: Record<string, unknown>;
  createdAt: string;
}

export function zoneView(row: ZoneRow): ZoneView {
  const settings = JSON.parse(row.settings) as Record<string, unknown>;
  return {
    id: row.id,
    buId: row.bu_id,
    name: row.name,
    kind: row.kind,
    settings: row.kind === 'filesystem' ? {} : settings,
    createdAt: iso(row.created_at)!,
  };
}

export interface VaultView {
  id: string;
  buId: string;
  zoneId: string;
  name: string;
  shared: boolean;
  initialised: boolean;
  repositoryId: string | null;
  recoveryKeyId: string | null;
  createdAt: string;
}

export function vaultView(row: VaultRow): VaultView {
  return {
    id: row.id,
    buId: row.bu_id,
    zoneId: row.zone_id,
    name: row.name,
    shared: row.shared === 1,
    initialised: row.initialised_at !== null,
    repositoryId: row.repository_id,
    recoveryKeyId: row.recovery_key_id,
    createdAt: iso(row.created_at)!,
  };
}

export interface DataSourceView {
  id: string;
  buId: string;
  vaultId: string;
  name: string;
  hostname: string;
  os: string | null;
  status: DataSourceRow['status'];
  policyOverride: Record<string, unknown> | null;
  createdAt: string;
  enrolledAt: string | null;
  lastSeenAt: string | null;
  agentVersion: string | null;
}

/** A data source as listings and reads show it: with its health. */
export interface DataSourceWithHealth extends DataSourceView {
  health: DataSourceHealth;
}

export function dataSourceView(row: DataSourceRow): DataSourceView {
  return {
    id: row.id,
    buId: row.bu_id,
    vaultId: row.vault_id,
    name: row.name,
    hostname: row.hostname,
    os: row.os,
    status: row.status,
    policyOverride: row.policy_override ? (JSON.parse(row.policy_override) as Record<string, unknown>) : null,
    createdAt: iso(row.created_at)!,
    enrolledAt: iso(row.enrolled_at),
    lastSeenAt: iso(row.last_seen_at),
    agentVersion: row.agent_version,
  };
}

export interface SnapshotView {
  id: string;
  vaultId: string;
  dataSourceId: string | null;
  jobId: string | null;
  time: string;
  blobCount: number;
  plainBytes: number;
  storedBytes: number;
  uniqueBytes: number;
  committedAt: string;
}

export function snapshotView(row: SnapshotRow): SnapshotView {
  return {
    id: row.id,
    vaultId: row.vault_id,
    dataSourceId: row.data_source_id,
    jobId: row.job_id,
    time: iso(row.time_ms)!,
    blobCount: row.ref_count,
    plainBytes: row.plain_bytes,
    storedBytes: row.stored_bytes,
    uniqueBytes: row.unique_bytes,
    committedAt: iso(row.committed_at)!,
  };
}

export interface JobView {
  id: string;
  dataSourceId: string;
  buId: string;
  vaultId: string;
  kind: JobRow['kind'];
  trigger: JobRow['trigger'];
  status: JobRow['status'];
  scheduleName: string | null;
  scheduledFor: string | null;
  full: boolean;
  restore: Record<string, unknown> | null;
  groupId: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  attempts: number;
  snapshotId: string | null;
  error: string | null;
  warnings: { path: string; error: string }[];
  progress: Record<string, unknown> | null;
  stats: Record<string, unknown> | null;
  linkRate: number | null;
}

export function jobView(row: JobRow): JobView {
  return {
    id: row.id,
    dataSourceId: row.data_source_id,
    buId: row.bu_id,
    vaultId: row.vault_id,
    kind: row.kind,
    trigger: row.trigger,
    status: row.status,
    scheduleName: row.schedule_name,
    scheduledFor: iso(row.scheduled_for),
    full: row.full === 1,
    restore: row.params ? (JSON.parse(row.params) as Record<string, unknown>) : null,
    groupId: row.group_id,
    createdAt: iso(row.created_at)!,
    startedAt: iso(row.started_at),
    finishedAt: iso(row.finished_at),
    attempts: row.attempts,
    snapshotId: row.snapshot_id,
    error: row.error,
    warnings: row.warnings ? (JSON.parse(row.warnings) as { path: string; error: string }[]) : [],
    progress: row.progress ? (JSON.parse(row.progress) as Record<string, unknown>) : null,
    stats: row.stats ? (JSON.parse(row.stats) as Record<string, unknown>) : null,
    linkRate: row.link_rate,
  };
}
