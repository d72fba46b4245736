import {
  applyRetention,
  CorruptDataError,
  encodeIndexFile,
  listPackObjects,
  PackBuilder,
  type PackedBlob,
  packKey,
  recordHeaderLength,
  trailerFooterLength,
  verifyPackStructure,
} from '../engine/index.ts';
import { newId } from '../platform/index.ts';
import { BlobNotFoundError, type BlobStore } from '../storage/index.ts';
import { effectiveSetting } from '../tenancy/index.ts';
import { adoptPack, adoptSnapshot } from './adopt.ts';
import { catalogSidecarKey } from './catalog.ts';
import { refreshVaultConsumption } from './consumption.ts';
import type { ProtectionContext } from './context.ts';
import { protectionDb } from './db.ts';
import { recordVerification } from './events.ts';
import {
  allBlobs,
  blobsOfPack,
  condemnPacks,
  deletePackRows,
  forgetSnapshotRow,
  insertPack,
  listPacks,
  listSnapshots,
  locatedElsewhere,
  lockVaultRow,
  openSessions,
  type PackRow,
  referencedAmong,
  referencedBlobIds,
  revivePack,
} from './index-store.ts';
import { effectivePolicy } from './policy.ts';
import type { ProtectionRuntime } from './runtime.ts';
import { claimMaintenance, dataSourcesOfVault, findVault, releaseMaintenance, type VaultRow } from './source-store.ts';
import { requireVault } from './sources.ts';

/**
 * Retention and garbage collection on the server, without any key (docs/decisions/0010):
 * forget snapshots by policy (never before the inherited earliest-deletion days), then
 * condemn packs no live snapshot needs and repack partly used ones by copying their live
 * records byte for byte. Condemned packs disappear from the index at once (new backups do
 * not deduplicate against them) and are deleted only after the grace period, once every
 * session that might have seen them has ended, and only if still unreferenced.
 */

const dayMs = 86_400_000;
/** Bytes of one trailer entry (docs/FORMAT.md §7). */
const trailerEntryLength = 46;
/** The maintenance lease; a crashed maintainer's vault is free again after it. */
const maintenanceLeaseMs = 30 * 60_000;

/** What one maintenance run did. */
export interface MaintenanceReport {
  vaultId: string;
  skipped?: 'busy' | 'not_initialised';
  snapshotsForgotten: number;
  packsAdopted: number;
  snapshotsAdopted: number;
  packsMissing: string[];
  /** Packs whose bytes no longer match their name or structure (left in place, reported). */
  packsDamaged: string[];
  /** Packs re-read and checked by the nightly verification. */
  packsVerified: number;
  packsCondemned: number;
  packsRepacked: number;
  packsWritten: number;
  packsDeleted: number;
  packsRevived: number;
  bytesDeleted: number;
  indexRewritten: boolean;
}

function emptyReport(vaultId: string): MaintenanceReport {
  return {
    vaultId,
    snapshotsForgotten: 0,
    packsAdopted: 0,
    snapshotsAdopted: 0,
    packsMissing: [],
    packsDamaged: [],
    packsVerified: 0,
    packsCondemned: 0,
    packsRepacked: 0,
    packsWritten: 0,
    packsDeleted: 0,
    packsRevived: 0,
    bytesDeleted: 0,
    indexRewritten: false,
  };
}

/** Applies each data source's retention rules to its snapshots in the vault. */
async function forgetByPolicy(rt: ProtectionRuntime, vault: VaultRow, store: BlobStore, report: MaintenanceReport) {
  const db = protectionDb(rt.database);
  const now = rt.clock.now();
  for (const source of await dataSourcesOfVault(db, vault.id)) {
    const { policy } = await effectivePolicy(rt.database, source.bu_id, source.policy_override);
    const rules = policy.retention;
    if (Object.values(rules).every((value) => value === undefined || value <= 0)) continue;
    const earliest = (await effectiveSetting(rt.database, source.bu_id, 'retention.earliestDeletionDays')).value;
    const snapshots = await listSnapshots(db, vault.id, { dataSourceId: source.id });
    const decisions = applyRetention(
      snapshots.map((snapshot) => ({ id: snapshot.id, timeMs: snapshot.time_ms, group: source.id })),
      rules,
    );
    const byId = new Map(snapshots.map((snapshot) => [snapshot.id, snapshot]));
    for (const decision of decisions) {
      const snapshot = byId.get(decision.id)!;
      if (decision.keep || snapshot.time_ms > now - earliest * dayMs) continue;
      // Tombstone first: a crash before the object is gone leaves a row that says so.
      await forgetSnapshotRow(db, vault.id, snapshot.id, now);
      await store.delete(`snapshots/${snapshot.id}`);
      await store.delete(catalogSidecarKey(snapshot.id));
      report.snapshotsForgotten += 1;
    }
  }
}

/** Records zone objects the database lacks (a crash between object and row) and drops rows of lost packs. */
async function reconcile(rt: ProtectionRuntime, vault: VaultRow, store: BlobStore, report: MaintenanceReport) {
  const db = protectionDb(rt.database);
  const inZone = await listPackObjects(store);
  const known = new Map((await listPacks(db, vault.id)).map((pack) => [pack.pack_id, pack]));
  for (const [packId, size] of inZone) {
    if (known.has(packId)) continue;
    try {
      await adoptPack(rt, vault, store, packId, size);
      report.packsAdopted += 1;
    } catch (error) {
      rt.log.warn({ err: error, vault: vault.id, pack: packId }, 'unreadable pack left in the zone');
    }
  }
  for (const [packId] of known) {
    if (inZone.has(packId)) continue;
    rt.log.error({ vault: vault.id, pack: packId }, 'a pack recorded in the index is missing from the zone');
    await deletePackRows(db, vault.id, packId);
    report.packsMissing.push(packId);
  }
  const catalog = new Map((await listSnapshots(db, vault.id, { includeForgotten: true })).map((row) => [row.id, row]));
  for await (const info of store.list('snapshots/')) {
    const id = info.key.slice('snapshots/'.length);
    if (!/^[0-9a-f]{64}$/.test(id)) continue;
    const row = catalog.get(id);
    if (row?.forgotten_at) {
      await store.delete(info.key);
      continue;
    }
    if (row) continue;
    try {
      await adoptSnapshot(rt, vault, store, id);
      report.snapshotsAdopted += 1;
    } catch (error) {
      rt.log.warn({ err: error, vault: vault.id, snapshot: id }, 'unreadable snapshot left in the zone');
    }
  }
}

/** Deletes condemned packs whose grace has passed and that no open session may still read. */
async function sweep(rt: ProtectionRuntime, vault: VaultRow, store: BlobStore, report: MaintenanceReport) {
  const db = protectionDb(rt.database);
  const now = rt.clock.now();
  const sessions = await openSessions(db, vault.id, now);
  for (const pack of await listPacks(db, vault.id, 'condemned')) {
    const condemnedAt = pack.condemned_at ?? 0;
    if (condemnedAt > now - rt.limits.pruneGraceMs) continue;
    if (sessions.some((session) => session.started_at <= condemnedAt)) continue;
    const outcome = await db.transaction().execute(async (trx) => {
      await lockVaultRow(trx, rt.database, vault.id);
      const blobIds = (await blobsOfPack(trx, vault.id, pack.pack_id)).map((blob) => blob.blob_id);
      const needed = await referencedAmong(trx, vault.id, blobIds);
      const elsewhere = await locatedElsewhere(trx, vault.id, pack.pack_id, [...needed]);
      if ([...needed].some((blobId) => !elsewhere.has(blobId))) {
        // A backup that started before the condemnation referenced it after all.
        await revivePack(trx, vault.id, pack.pack_id);
        return 'revived' as const;
      }
      await deletePackRows(trx, vault.id, pack.pack_id);
      return 'deleted' as const;
    });
    if (outcome === 'revived') {
      report.packsRevived += 1;
      continue;
    }
    await store.delete(packKey(pack.pack_id));
    report.packsDeleted += 1;
    report.bytesDeleted += pack.size;
  }
}

/** Condemns unneeded packs and repacks mostly-unneeded ones (copying sealed records verbatim). */
async function collect(rt: ProtectionRuntime, vault: VaultRow, store: BlobStore, report: MaintenanceReport) {
  const db = protectionDb(rt.database);
  const now = rt.clock.now();
  const sessions = await openSessions(db, vault.id, now);
  const leased = new Set(sessions.map((session) => session.id));
  const referenced = await referencedBlobIds(db, vault.id);
  const live = await listPacks(db, vault.id, 'live');
  // Fresh packs and packs of open sessions belong to backups still in flight.
  const protectedPack = (pack: PackRow) =>
    pack.created_at > now - rt.limits.pruneGraceMs || (pack.session_id !== null && leased.has(pack.session_id));
  const blobsByPack = new Map<string, Awaited<ReturnType<typeof allBlobs>>>();
  for (const blob of await allBlobs(db, vault.id)) {
    const list = blobsByPack.get(blob.pack_id) ?? [];
    list.push(blob);
    blobsByPack.set(blob.pack_id, list);
  }
  const located = new Set<string>();
  for (const pack of live) {
    if (!protectedPack(pack)) continue;
    for (const blob of blobsByPack.get(pack.pack_id) ?? []) if (referenced.has(blob.blob_id)) located.add(blob.blob_id);
  }
  const condemn: string[] = [];
  const repack: { pack: PackRow; used: Awaited<ReturnType<typeof allBlobs>> }[] = [];
  for (const pack of live) {
    if (protectedPack(pack)) continue;
    const blobs = blobsByPack.get(pack.pack_id) ?? [];
    const used = blobs.filter((blob) => referenced.has(blob.blob_id) && !located.has(blob.blob_id));
    for (const blob of used) located.add(blob.blob_id);
    if (used.length === 0) {
      condemn.push(pack.pack_id);
      continue;
    }
    const usedBytes = used.reduce((sum, blob) => sum + recordHeaderLength + blob.stored_length + trailerEntryLength, 0);
    if (1 - usedBytes / pack.size >= rt.limits.repackThreshold) repack.push({ pack, used });
  }
  const packSize = vault.pack_size ?? 16 * 1024 * 1024;
  const builders = new Map<number, PackBuilder>();
  const flush = async (type: number) => {
    const builder = builders.get(type);
    builders.delete(type);
    if (!builder || builder.blobCount === 0) return;
    const { bytes, id } = builder.finish();
    const packId = Buffer.from(id).toString('hex');
    await store.put(packKey(packId), bytes);
    await insertPack(
      db,
      {
        vault_id: vault.id,
        pack_id: packId,
        size: bytes.byteLength,
        type,
        blob_count: builder.blobCount,
        created_at: now,
        session_id: null,
        state: 'live',
        condemned_at: null,
        verified_at: now,
      },
      builder.entries.map((entry: PackedBlob) => ({
        vault_id: vault.id,
        blob_id: Buffer.from(entry.id).toString('hex'),
        pack_id: packId,
        type: entry.type,
        flags: entry.flags,
        pack_offset: entry.offset,
        plain_length: entry.plainLength,
        stored_length: entry.storedLength,
      })),
    );
    report.packsWritten += 1;
  };
  for (const { pack, used } of repack) {
    let bytes: Uint8Array;
    try {
      bytes = await store.get(packKey(pack.pack_id));
      verifyPackStructure(bytes, Buffer.from(pack.pack_id, 'hex'));
    } catch (error) {
      if (!(error instanceof CorruptDataError)) throw error;
      // A damaged pack is left as it is: deleting it could lose its good records.
      rt.log.error({ err: error, vault: vault.id, pack: pack.pack_id }, 'pack not repacked: it is damaged');
      report.packsDamaged.push(pack.pack_id);
      continue;
    }
    for (const blob of used) {
      const record = bytes.subarray(blob.pack_offset, blob.pack_offset + recordHeaderLength + blob.stored_length);
      let builder = builders.get(pack.type);
      if (
        builder &&
        builder.length + (builder.blobCount + 1) * trailerEntryLength + record.byteLength + trailerFooterLength >
          packSize
      ) {
        await flush(pack.type);
        builder = undefined;
      }
      if (!builder) {
        builder = new PackBuilder(pack.type as 0 | 1, new Uint8Array(Math.min(packSize, 4 << 20)));
        builders.set(pack.type, builder);
      }
      builder.addRecord(record);
    }
    condemn.push(pack.pack_id);
    report.packsRepacked += 1;
  }
  for (const type of [...builders.keys()]) await flush(type);
  await condemnPacks(db, vault.id, condemn, now);
  report.packsCondemned += condemn.length;
}

/**
 * Re-reads the live packs checked longest ago, up to the night's budget, and checks each
 * against its name (SHA-256) and structure without any key. A damaged pack is reported and
 * left in place; a store that cannot be reached fails the pass (and is recorded as a storage
 * problem), it does not make packs look damaged.
 */
async function verifySample(rt: ProtectionRuntime, vault: VaultRow, store: BlobStore, report: MaintenanceReport) {
  const db = protectionDb(rt.database);
  const packs = await db
    .selectFrom('protection_packs')
    .select(['pack_id', 'size'])
    .where('vault_id', '=', vault.id)
    .where('state', '=', 'live')
    .orderBy('verified_at', (order) => order.asc().nullsFirst())
    .orderBy('pack_id')
    .execute();
  const total = packs.reduce((sum, pack) => sum + Number(pack.size), 0);
  let budget = Math.max(rt.limits.verifyMinBytes, Math.ceil(total / rt.limits.verifyEveryDays));
  for (const pack of packs) {
    if (budget <= 0) break;
    budget -= Number(pack.size);
    if (report.packsDamaged.includes(pack.pack_id) || report.packsMissing.includes(pack.pack_id)) continue;
    try {
      verifyPackStructure(await store.get(packKey(pack.pack_id)), Buffer.from(pack.pack_id, 'hex'));
    } catch (error) {
      if (error instanceof BlobNotFoundError) {
        rt.log.error({ vault: vault.id, pack: pack.pack_id }, 'a pack recorded in the index is missing from the zone');
        report.packsMissing.push(pack.pack_id);
        continue;
      }
      if (!(error instanceof CorruptDataError)) throw error;
      rt.log.error({ err: error, vault: vault.id, pack: pack.pack_id }, 'verification found a damaged pack');
      report.packsDamaged.push(pack.pack_id);
      continue;
    }
    await db
      .updateTable('protection_packs')
      .set({ verified_at: rt.clock.now() })
      .where('vault_id', '=', vault.id)
      .where('pack_id', '=', pack.pack_id)
      .execute();
    report.packsVerified += 1;
  }
}

/** Tells reporting how the vault's verification went, for each of its data sources. */
async function reportVerification(rt: ProtectionRuntime, vault: VaultRow, report: MaintenanceReport) {
  const db = protectionDb(rt.database);
  const problems =
    report.packsMissing.length + report.packsDamaged.length > 0
      ? {
          vaultId: vault.id,
          packsMissing: report.packsMissing.slice(0, 20),
          packsDamaged: report.packsDamaged.slice(0, 20),
          reason: `${report.packsMissing.length} pack(s) missing and ${report.packsDamaged.length} damaged in vault ${vault.name}`,
        }
      : null;
  const sources = await dataSourcesOfVault(db, vault.id);
  await recordVerification(db, {
    dataSourceIds: sources.map((source) => source.id),
    problems,
    at: rt.clock.now(),
  });
}

/**
 * Replaces the vault's index files by one listing exactly its live packs, so agents see
 * neither condemned packs nor stale entries. Index files written meanwhile stay.
 */
async function consolidateIndex(rt: ProtectionRuntime, vault: VaultRow, store: BlobStore, report: MaintenanceReport) {
  const db = protectionDb(rt.database);
  const before: string[] = [];
  for await (const info of store.list('index/')) before.push(info.key);
  const live = await listPacks(db, vault.id, 'live');
  const blobsByPack = new Map<string, PackedBlob[]>();
  for (const blob of await allBlobs(db, vault.id)) {
    const list = blobsByPack.get(blob.pack_id) ?? [];
    list.push({
      id: Buffer.from(blob.blob_id, 'hex'),
      type: blob.type as 0 | 1,
      flags: blob.flags,
      offset: blob.pack_offset,
      plainLength: blob.plain_length,
      storedLength: blob.stored_length,
    });
    blobsByPack.set(blob.pack_id, list);
  }
  const { bytes, id } = encodeIndexFile(
    live.map((pack) => ({
      packId: pack.pack_id,
      type: pack.type as 0 | 1,
      size: pack.size,
      blobs: (blobsByPack.get(pack.pack_id) ?? []).sort((a, b) => a.offset - b.offset),
    })),
  );
  await store.put(`index/${id}`, bytes);
  for (const key of before) if (key !== `index/${id}`) await store.delete(key);
  report.indexRewritten = true;
}

/**
 * One maintenance pass over a vault: retention, reconciliation with the zone, sweep of
 * condemned packs, collection and index consolidation, then fresh consumption figures.
 * Only one process maintains a vault at a time (a lease on the vault row).
 */
export async function maintainVault(
  rt: ProtectionRuntime,
  vaultId: string,
  options: { rewriteIndex?: boolean } = {},
): Promise<MaintenanceReport> {
  const db = protectionDb(rt.database);
  const report = emptyReport(vaultId);
  const vault = await findVault(db, vaultId);
  if (!vault || vault.initialised_at === null) return { ...report, skipped: 'not_initialised' };
  const owner = newId(rt.clock.now());
  if (!(await claimMaintenance(db, vault.id, owner, rt.clock.now(), rt.clock.now() + maintenanceLeaseMs))) {
    return { ...report, skipped: 'busy' };
  }
  try {
    const store = await rt.zones.vaultStore(vault);
    await forgetByPolicy(rt, vault, store, report);
    await reconcile(rt, vault, store, report);
    await sweep(rt, vault, store, report);
    await collect(rt, vault, store, report);
    await verifySample(rt, vault, store, report);
    await reportVerification(rt, vault, report);
    const changed =
      report.packsDeleted + report.packsCondemned + report.packsWritten + report.packsRevived + report.packsAdopted >
        0 || report.packsMissing.length > 0;
    let indexFiles = 0;
    for await (const _ of store.list('index/')) indexFiles += 1;
    if (changed || indexFiles > 1 || options.rewriteIndex) await consolidateIndex(rt, vault, store, report);
    await refreshVaultConsumption(rt, vault.id);
    rt.log.info({ report }, 'vault maintenance done');
    return report;
  } finally {
    await releaseMaintenance(db, vault.id, owner);
  }
}

/** Queues a maintenance pass (retention and prune) of a vault. Requires `datasource.update`. */
export async function requestPrune(
  ctx: ProtectionContext,
  rt: ProtectionRuntime,
  vaultId: string,
): Promise<{ jobId: string }> {
  const vault = await requireVault(ctx, vaultId, 'datasource.update');
  const job = await rt.queue.enqueue('protection.prune', { vaultId: vault.id });
  await ctx.audit.record({ action: 'vault.prune', buId: vault.bu_id, resourceType: 'vault', resourceId: vault.id });
  return { jobId: job.id };
}
