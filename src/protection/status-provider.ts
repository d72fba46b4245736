import type { Database } from '../platform/index.ts';
import { protectionDb } from './db.ts';
import { lastBackupIn } from './job-store.ts';
import { listDataSources } from './source-store.ts';
import { latestDailyUsage, latestSnapshotUsage } from './usage-store.ts';

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
 * of a subtree with its last backup outcome, sizes and agent contact. Data sources always
 * belong to a unit here, and storage problems surface in job records, so those lists are empty.
 */
export function createDataSourceStatusProvider(database: Database) {
  const db = protectionDb(database);
  return {
    async listForSubtree(buId: string, at: number): Promise<DataSourceBackupStatus[]> {
      const sources = await listDataSources(db, buId, { subtree: true, includeRetired: false, limit: 1_000_000 });
      const day = Math.floor(at / 86_400_000);
      const statuses: DataSourceBackupStatus[] = [];
      for (const source of sources) {
        const last = await lastBackupIn(db, source.id, ['success', 'warning', 'failed', 'missed'], at);
        const good = await lastBackupIn(db, source.id, ['success', 'warning'], at);
        const usage = await latestSnapshotUsage(db, source.id);
        const daily = await latestDailyUsage(db, source.id, day);
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
    async listUnassigned(): Promise<{ id: string; name: string; storedBytes: number; since: number }[]> {
      return [];
    },
    async storageProblems(): Promise<{ at: number; zone: string; message: string }[]> {
      return [];
    },
  };
}
