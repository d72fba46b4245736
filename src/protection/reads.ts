import { ValidationError } from '../platform/index.ts';
import type { ProtectionContext } from './context.ts';
import { protectionDb } from './db.ts';
import { listSnapshots, snapshotsOfDataSource, vaultStoredBytes } from './index-store.ts';
import { dataSourcesOfVault } from './source-store.ts';
import { requireDataSource, requireVault } from './sources.ts';
import { dailyUsageRange, snapshotUsageOf } from './usage-store.ts';
import { type SnapshotView, snapshotView, type VaultView, vaultView } from './views.ts';

const dayMs = 86_400_000;

/** A vault with its stored size and counts. Requires `datasource.read`. */
export async function getVaultDetail(
  ctx: ProtectionContext,
  vaultId: string,
): Promise<VaultView & { storedBytes: number; packs: number; snapshots: number; dataSources: string[] }> {
  const vault = await requireVault(ctx, vaultId);
  const db = protectionDb(ctx.database);
  const stored = await vaultStoredBytes(db, vault.id);
  return {
    ...vaultView(vault),
    storedBytes: stored.bytes,
    packs: stored.packs,
    snapshots: (await listSnapshots(db, vault.id)).length,
    dataSources: (await dataSourcesOfVault(db, vault.id)).map((source) => source.id),
  };
}

/** Snapshots of a data source, newest first. Requires `datasource.read`. */
export async function listDataSourceSnapshots(
  ctx: ProtectionContext,
  dataSourceId: string,
  limit = 100,
): Promise<SnapshotView[]> {
  await requireDataSource(ctx, dataSourceId, 'datasource.read');
  return (await snapshotsOfDataSource(protectionDb(ctx.database), dataSourceId, limit)).map(snapshotView);
}

function parseDay(text: string): number {
  const ms = Date.parse(`${text}T00:00:00Z`);
  if (Number.isNaN(ms)) throw new ValidationError(`${text} is not a date (YYYY-MM-DD)`);
  return Math.floor(ms / dayMs);
}

function formatDay(day: number): string {
  return new Date(day * dayMs).toISOString().slice(0, 10);
}

/** Raw consumption records of a data source in [from, to] (UTC days; default the last 31). */
export async function getConsumption(
  ctx: ProtectionContext,
  dataSourceId: string,
  range: { from?: string; to?: string },
): Promise<{ days: Record<string, unknown>[]; snapshots: Record<string, unknown>[] }> {
  await requireDataSource(ctx, dataSourceId, 'datasource.read');
  const today = Math.floor(ctx.clock.now() / dayMs);
  const to = range.to ? parseDay(range.to) : today;
  const from = range.from ? parseDay(range.from) : to - 30;
  if (from > to) throw new ValidationError('from is after to');
  if (to - from > 366) throw new ValidationError('ask for at most 366 days at once');
  const db = protectionDb(ctx.database);
  const days = await dailyUsageRange(db, dataSourceId, from, to);
  const snapshots = await snapshotUsageOf(db, dataSourceId, from * dayMs, (to + 1) * dayMs);
  return {
    days: days.map((row) => ({
      day: formatDay(row.day),
      protectedBytes: row.protected_bytes,
      storedBytes: row.stored_bytes,
      bytesAdded: row.bytes_added,
      bytesTransferred: row.bytes_transferred,
      fileCount: row.file_count,
      durationMs: row.duration_ms,
      backups: row.backups,
    })),
    snapshots: snapshots.map((row) => ({
      snapshotId: row.snapshot_id,
      vaultId: row.vault_id,
      day: formatDay(row.day),
      protectedBytes: row.protected_bytes,
      storedBytesUnique: row.stored_bytes_unique,
      bytesAdded: row.bytes_added,
      bytesTransferred: row.bytes_transferred,
      fileCount: row.file_count,
      durationMs: row.duration_ms,
      recordedAt: new Date(row.recorded_at).toISOString(),
    })),
  };
}
