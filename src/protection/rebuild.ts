import { listPackObjects } from '../engine/index.ts';
import { NotFoundError } from '../platform/index.ts';
import { adoptPack, adoptSnapshot } from './adopt.ts';
import { protectionDb } from './db.ts';
import { clearVaultIndex, forgottenSnapshotIds } from './index-store.ts';
import { maintainVault } from './retention.ts';
import type { ProtectionRuntime } from './runtime.ts';
import { claimMaintenance, findVault, listVaultIds, releaseMaintenance } from './source-store.ts';

/** What a rebuild found in one vault. */
export interface RebuildReport {
  vaultId: string;
  packs: number;
  blobs: number;
  snapshots: number;
  unreadablePacks: string[];
  unreadableSnapshots: string[];
}

/**
 * Rebuilds a vault's blob index and snapshot catalog from its zone alone (pack trailers,
 * snapshot envelopes and the server's sidecars; no key): drops the vault's rows, adopts
 * every pack and snapshot object, then runs maintenance, which writes a fresh index file.
 * Forgotten snapshots (tombstones) stay forgotten.
 */
export async function rebuildVaultIndex(rt: ProtectionRuntime, vaultId: string): Promise<RebuildReport> {
  const db = protectionDb(rt.database);
  const vault = await findVault(db, vaultId);
  if (!vault) throw new NotFoundError(`Vault ${vaultId}`);
  const owner = `rebuild-${process.pid}-${rt.clock.now()}`;
  if (!(await claimMaintenance(db, vault.id, owner, rt.clock.now(), rt.clock.now() + 3_600_000))) {
    throw new Error(`vault ${vaultId} is being maintained by another process; try again later`);
  }
  const report: RebuildReport = {
    vaultId,
    packs: 0,
    blobs: 0,
    snapshots: 0,
    unreadablePacks: [],
    unreadableSnapshots: [],
  };
  try {
    const store = await rt.zones.vaultStore(vault);
    await db.transaction().execute((trx) => clearVaultIndex(trx, vault.id));
    for (const [packId, size] of await listPackObjects(store)) {
      try {
        report.blobs += await adoptPack(rt, vault, store, packId, size);
        report.packs += 1;
      } catch {
        report.unreadablePacks.push(packId);
      }
    }
    const forgotten = await forgottenSnapshotIds(db, vault.id);
    for await (const info of store.list('snapshots/')) {
      const id = info.key.slice('snapshots/'.length);
      if (!/^[0-9a-f]{64}$/.test(id) || forgotten.has(id)) continue;
      try {
        await adoptSnapshot(rt, vault, store, id);
        report.snapshots += 1;
      } catch {
        report.unreadableSnapshots.push(id);
      }
    }
  } finally {
    await releaseMaintenance(db, vault.id, owner);
  }
  await maintainVault(rt, vault.id, { rewriteIndex: true });
  return report;
}

/** Rebuilds every vault (or the one named). */
export async function rebuildIndexes(rt: ProtectionRuntime, vaultId?: string): Promise<RebuildReport[]> {
  const ids = vaultId ? [vaultId] : await listVaultIds(protectionDb(rt.database));
  const reports: RebuildReport[] = [];
  for (const id of ids) reports.push(await rebuildVaultIndex(rt, id));
  return reports;
}
