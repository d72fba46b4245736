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

/** Opaque position of a snapshot in the newest-first order: its time and id. */
function snapshotCursor(view: SnapshotView): string {
  return Buffer.from(JSON.stringify({ t: Date.parse(view.time), id: view.id }), 'utf8').toString('base64url');
}

function readSnapshotCursor(cursor: string): { timeMs: number; id: string } {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { t?: unknown; id?: unknown };
    if (Number.isSafeInteger(parsed.t) && typeof parsed.id === 'string' && parsed.id !== '') {
      return { timeMs: parsed.t as number, id: parsed.id };
    }
  } catch {
    // Falls through to the refusal below.
  }
  throw new ValidationError('cursor is not valid', { field: 'cursor' });
}

/**
 * Snapshots of a data source, newest first (by snapshot time, then id), `limit` per page;
 * `nextCursor` asks for the page after. Requires `datasource.read`.
 */
export async function listDataSourceSnapshots(
  ctx: ProtectionContext,
  dataSourceId: string,
  options: { limit?: number; cursor?: string } = {},
): Promise<{ items: SnapshotView[]; nextCursor: string | null }> {
  await requireDataSource(ctx, dataSourceId, 'datasource.read');
  const limit = options.limit ?? 50;
  const before = options.cursor ? readSnapshotCursor(options.cursor) : undefined;
  const rows = await snapshotsOfDataSource(protectionDb(ctx.database), dataSourceId, limit + 1, before);
  const items = rows.slice(0, limit).map(snapshotView);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last ? snapshotCursor(last) : null };
}

function parseDay(text: string): number {
  const ms = Date.parse(`${text}T00:00:00Z`);
  if (Number.isNaN(ms)) throw new ValidationError(`${text} is not a date (YYYY-MM-DD)`);
  return Math.floor(ms / dayMs);
}

function formatDay(day: number): string {
  return new Date(day * dayMs).toISOString().slice(0, 10);
}

/** One UTC day of a data source's raw consumption. */
export interface ConsumptionDay {
  day: string;
  protectedBytes: number;
  storedBytes: number;
  bytesAdded: number;
  bytesTransferred: number;
  fileCount: number;
  durationMs: number;
  backups: number;
}

/** The raw consumption one backup recorded with its snapshot. */
export interface ConsumptionSnapshot {
  snapshotId: string;
  vaultId: string;
  day: string;
  protectedBytes: number;
  storedBytesUnique: number;
  bytesAdded: number;
  bytesTransferred: number;
  fileCount: number;
  durationMs: number;
  recordedAt: string;
}

/** Raw consumption records of a data source in [from, to] (UTC days; default the last 31). */
export async function getConsumption(
  ctx: ProtectionContext,
  dataSourceId: string,
  range: { from?: string; to?: string },
): Promise<{ days: ConsumptionDay[]; snapshots: ConsumptionSnapshot[] }> {
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
