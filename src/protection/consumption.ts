import { recordConsumption } from '../usage/index.ts';
import { protectionDb } from './db.ts';
import { listSnapshots, type SnapshotRow, vaultStoredBytes } from './index-store.ts';
import type { JobRow } from './job-store.ts';
import type { ProtectionRuntime } from './runtime.ts';
import { type DataSourceRow, dataSourcesOfVault } from './source-store.ts';
import { addDailyUsage, findDailyUsage, insertSnapshotUsage, latestSnapshotUsage } from './usage-store.ts';

const dayMs = 86_400_000;

/**
 * Stored bytes attributed to each data source of a vault: all of it for a vault of its
 * own; in a shared vault, split in proportion to the stored size of each data source's
 * latest snapshot (deduplicated data has no single owner).
 */
export async function storedShares(rt: ProtectionRuntime, vaultId: string): Promise<Map<string, number>> {
  const db = protectionDb(rt.database);
  const { bytes } = await vaultStoredBytes(db, vaultId);
  const sources = await dataSourcesOfVault(db, vaultId);
  const shares = new Map<string, number>();
  if (sources.length === 1) {
    shares.set(sources[0]!.id, bytes);
    return shares;
  }
  const latest = new Map<string, number>();
  for (const snapshot of await listSnapshots(db, vaultId)) {
    if (snapshot.data_source_id) latest.set(snapshot.data_source_id, snapshot.stored_bytes);
  }
  const total = [...latest.values()].reduce((sum, value) => sum + value, 0);
  for (const source of sources) {
    shares.set(source.id, total === 0 ? 0 : Math.round((bytes * (latest.get(source.id) ?? 0)) / total));
  }
  return shares;
}

async function sendSample(rt: ProtectionRuntime, source: DataSourceRow, storedBytes: number): Promise<void> {
  const db = protectionDb(rt.database);
  const now = rt.clock.now();
  const day = Math.floor(now / dayMs);
  const latest = await latestSnapshotUsage(db, source.id);
  const today = await findDailyUsage(db, source.id, day);
  const snapshots = (await listSnapshots(db, source.vault_id, { dataSourceId: source.id })).length;
  await recordConsumption(
    rt.database,
    {
      dataSourceId: source.id,
      buId: source.status === 'retired' ? null : source.bu_id,
      day,
      protectedBytes: latest?.protected_bytes ?? 0,
      storedBytes,
      transferredBytes: today?.bytes_transferred ?? 0,
      snapshotCount: snapshots,
      clientActive: source.status === 'active',
      asOf: now,
    },
    now,
  );
}

/**
 * Records the raw consumption of a finished backup: one record for the snapshot and the
 * data source's day (protected bytes, stored bytes unique to the vault, bytes added,
 * bytes transferred, file count, duration), then the day's sample for the usage module.
 */
export async function recordBackupConsumption(
  rt: ProtectionRuntime,
  job: JobRow,
  snapshot: SnapshotRow,
  stats: Record<string, number>,
  transfer: { bytesTransferred: number; bytesAdded: number },
): Promise<void> {
  const db = protectionDb(rt.database);
  const now = rt.clock.now();
  const day = Math.floor(now / dayMs);
  const protectedBytes = Math.max(0, Math.round(stats['totalBytes'] ?? snapshot.plain_bytes));
  const files = Math.max(0, Math.round(stats['files'] ?? 0));
  const duration = Math.max(0, Math.round(stats['durationMs'] ?? now - (job.started_at ?? now)));
  await insertSnapshotUsage(db, {
    vault_id: snapshot.vault_id,
    snapshot_id: snapshot.id,
    data_source_id: job.data_source_id,
    day,
    protected_bytes: protectedBytes,
    stored_bytes_unique: snapshot.unique_bytes,
    bytes_added: transfer.bytesAdded,
    bytes_transferred: transfer.bytesTransferred,
    file_count: files,
    duration_ms: duration,
    recorded_at: now,
  });
  const shares = await storedShares(rt, snapshot.vault_id);
  await addDailyUsage(
    db,
    {
      data_source_id: job.data_source_id,
      day,
      protected_bytes: protectedBytes,
      stored_bytes: shares.get(job.data_source_id) ?? 0,
      bytes_added: transfer.bytesAdded,
      bytes_transferred: transfer.bytesTransferred,
      file_count: files,
      duration_ms: duration,
      updated_at: now,
    },
    1,
  );
  await refreshVaultConsumption(rt, snapshot.vault_id, shares);
}

/** Sends every data source of the vault's current figures to the usage module (after backups and prunes). */
export async function refreshVaultConsumption(
  rt: ProtectionRuntime,
  vaultId: string,
  shares?: Map<string, number>,
): Promise<void> {
  const current = shares ?? (await storedShares(rt, vaultId));
  for (const source of await dataSourcesOfVault(protectionDb(rt.database), vaultId)) {
    await sendSample(rt, source, current.get(source.id) ?? 0);
  }
}
