import { existsSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Database } from '../platform/index.ts';
import { type ProtectionDb, protectionDb } from './db.ts';
import { latestBackups } from './job-store.ts';
import { listDataSources } from './source-store.ts';
import { listStorageProblems } from './storage-problems.ts';
import { latestDailyUsages, latestSnapshotUsages } from './usage-store.ts';
import { filesystemZoneRoot } from './zones.ts';

/** One data source's backup state as reports show it (the shape reporting's DataSourceProvider asks for). */
export interface DataSourceBackupStatus {
  readonly id: string;
  readonly name: string;
  readonly buId: string;
  readonly lastOutcome: 'success' | 'warning' | 'failed' | 'missed' | 'never';
  readonly lastRunAt: number | null;
  readonly lastGoodAt: number | null;
  readonly protectedBytes: number;
  readonly storedBytes: number;
  readonly warnings: readonly string[];
  readonly failureReason: string | null;
  readonly agentLastSeenAt: number | null;
}

/**
 * The data path's view for reports (reporting's `DataSourceProvider`): every data source
 * of a subtree with its last backup outcome, sizes and agent contact; the data no data
 * source owns; the storage problems met on the zones.
 */
export function createDataSourceStatusProvider(database: Database, options: { dataDir?: string } = {}) {
  const db = protectionDb(database);
  return {
    async listForSubtree(buId: string, at: number): Promise<DataSourceBackupStatus[]> {
      const sources = await listDataSources(db, buId, { subtree: true, includeRetired: false, limit: 1_000_000 });
      const day = Math.floor(at / 86_400_000);
      // Three grouped queries per batch of sources, not four per source: a daily report of a
      // reseller with tens of thousands of machines stays a handful of round trips.
      const ids = sources.map((source) => source.id);
      const [{ last: lastJobs, good: goodJobs }, usages, dailies] = await Promise.all([
        latestBackups(db, ids, at),
        latestSnapshotUsages(db, ids),
        latestDailyUsages(db, ids, day),
      ]);
      const statuses: DataSourceBackupStatus[] = [];
      for (const source of sources) {
        const last = lastJobs.get(source.id);
        const good = goodJobs.get(source.id);
        const usage = usages.get(source.id);
        const daily = dailies.get(source.id);
        const warnings = last?.warnings ? (JSON.parse(last.warnings) as { path: string; error: string }[]) : [];
        statuses.push({
          id: source.id,
          name: source.name,
          buId: source.bu_id,
          lastOutcome: (last?.status as DataSourceBackupStatus['lastOutcome'] | undefined) ?? 'never',
          lastRunAt: last
            ? last.status === 'missed'
              ? last.scheduled_for
              : (last.started_at ?? last.finished_at)
            : null,
          lastGoodAt: good?.finished_at ?? null,
          protectedBytes: usage?.protected_bytes ?? 0,
          storedBytes: daily?.stored_bytes ?? 0,
          warnings: warnings.map((warning) => `${warning.path}: ${warning.error}`),
          failureReason: last && (last.status === 'failed' || last.status === 'missed') ? last.error : null,
          agentLastSeenAt: source.last_seen_at,
        });
      }
      return statuses;
    },
    /**
     * Snapshots in the catalog that belong to no data source (found in a zone by index
     * rebuild or maintenance without a sidecar naming their source, or whose source record is
     * gone), one entry per vault: data that is stored, and costs, but no unit is billed for.
     */
    async listUnassigned(): Promise<{ id: string; name: string; storedBytes: number; since: number }[]> {
      const vaults = await db
        .selectFrom('protection_snapshots as s')
        .innerJoin('protection_vaults as v', 'v.id', 's.vault_id')
        .leftJoin('protection_data_sources as d', 'd.id', 's.data_source_id')
        .select((eb) => [
          's.vault_id',
          'v.name',
          eb.fn.countAll<number>().as('snapshots'),
          eb.fn.min('s.committed_at').as('since'),
        ])
        .where('s.forgotten_at', 'is', null)
        .where('d.id', 'is', null)
        .groupBy(['s.vault_id', 'v.name'])
        .orderBy('s.vault_id')
        .execute();
      const entries = [];
      for (const vault of vaults) {
        entries.push({
          id: vault.vault_id,
          name: `${vault.name}: ${Number(vault.snapshots)} snapshot(s) of no data source`,
          storedBytes: await unassignedStoredBytes(db, vault.vault_id),
          since: Number(vault.since),
        });
      }
      return entries;
    },
    /**
     * Every zone with the pack bytes its vaults hold; for filesystem zones also the size and
     * free space of the file system it lives on (S3-compatible stores report no capacity).
     */
    async zoneCapacity(): Promise<
      {
        zone: string;
        kind: string;
        storedBytes: number;
        capacityBytes: number | null;
        freeBytes: number | null;
        error?: string;
      }[]
    > {
      const zones = await db.selectFrom('protection_zones').selectAll().orderBy('name').execute();
      const stored = await db
        .selectFrom('protection_packs as p')
        .innerJoin('protection_vaults as v', 'v.id', 'p.vault_id')
        .select((eb) => ['v.zone_id', eb.fn.sum<number | string>('p.size').as('bytes')])
        .groupBy('v.zone_id')
        .execute();
      const bytesByZone = new Map(stored.map((row) => [row.zone_id, Number(row.bytes)]));
      const result = [];
      for (const zone of zones) {
        const entry = { zone: zone.name, kind: zone.kind, storedBytes: bytesByZone.get(zone.id) ?? 0 };
        if (zone.kind !== 'filesystem' || options.dataDir === undefined) {
          result.push({ ...entry, capacityBytes: null, freeBytes: null });
          continue;
        }
        try {
          const stats = await statfs(nearestExisting(filesystemZoneRoot(zone, options.dataDir)));
          result.push({
            ...entry,
            capacityBytes: Number(stats.blocks) * Number(stats.bsize),
            freeBytes: Number(stats.bavail) * Number(stats.bsize),
          });
        } catch (error) {
          result.push({
            ...entry,
            capacityBytes: null,
            freeBytes: null,
            error: `the zone's path cannot be read: ${(error as Error).message}`,
          });
        }
      }
      return result;
    },
    /** Storage problems met on the zones whose span overlaps [since, until], newest first. */
    async storageProblems(since: number, until: number): Promise<{ at: number; zone: string; message: string }[]> {
      const problems = await listStorageProblems(database, since, until);
      return problems.map((problem) => ({
        at: Number(problem.last_at),
        zone: problem.zone_name ?? problem.zone_id,
        message:
          Number(problem.occurrences) > 1
            ? `${problem.kind}: ${problem.message} (${problem.occurrences} times since ${new Date(Number(problem.first_at)).toISOString()})`
            : `${problem.kind}: ${problem.message}`,
      }));
    },
  };
}

/** The path itself, or its nearest existing parent (a zone's folder appears with its first object). */
function nearestExisting(path: string): string {
  let current = path;
  while (!existsSync(current) && dirname(current) !== current) current = dirname(current);
  return current;
}

/** Stored bytes of the blobs only the vault's unassigned snapshots reference. */
async function unassignedStoredBytes(db: ProtectionDb, vaultId: string): Promise<number> {
  const live = (unassigned: boolean) =>
    db
      .selectFrom('protection_snapshot_refs as r')
      .innerJoin('protection_snapshots as s', (join) =>
        join.onRef('s.vault_id', '=', 'r.vault_id').onRef('s.id', '=', 'r.snapshot_id'),
      )
      .leftJoin('protection_data_sources as d', 'd.id', 's.data_source_id')
      .select('r.blob_id')
      .where('r.vault_id', '=', vaultId)
      .where('s.forgotten_at', 'is', null)
      .where('d.id', unassigned ? 'is' : 'is not', null);
  const row = await db
    .selectFrom('protection_blobs as b')
    .select((eb) => eb.fn.sum<number | string | null>('b.stored_length').as('bytes'))
    .where('b.vault_id', '=', vaultId)
    .where('b.blob_id', 'in', live(true))
    .where('b.blob_id', 'not in', live(false))
    .executeTakeFirst();
  return Number(row?.bytes ?? 0);
}
