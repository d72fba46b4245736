import { type Selectable, sql } from 'kysely';
import type { Database } from '../platform/index.ts';
import { chunked, insertBatch, type ProtectionDb } from './db.ts';
import type { BlobTable, PackTable, SessionTable, SnapshotTable } from './tables.ts';

/** Queries of the keyless blob index (packs, blobs), the snapshot catalog and upload sessions. */

export type PackRow = Selectable<PackTable>;
export type SnapshotRow = Selectable<SnapshotTable>;
export type SessionRow = Selectable<SessionTable>;

/**
 * Serialises commits and sweeps of one vault: on PostgreSQL a row lock on the vault (SQLite
 * runs one write transaction at a time anyway). Call first inside the transaction.
 */
export async function lockVaultRow(db: ProtectionDb, database: Database, vaultId: string): Promise<void> {
  if (database.dialect !== 'postgres') return;
  await sql`select id from protection_vaults where id = ${vaultId} for update`.execute(db);
}

export async function findPack(db: ProtectionDb, vaultId: string, packId: string): Promise<PackRow | undefined> {
  return db
    .selectFrom('protection_packs')
    .selectAll()
    .where('vault_id', '=', vaultId)
    .where('pack_id', '=', packId)
    .executeTakeFirst();
}

/** Inserts a pack and its blobs (a retried upload finds them present and changes nothing). */
export async function insertPack(db: ProtectionDb, pack: PackTable, blobs: readonly BlobTable[]): Promise<boolean> {
  const result = await db
    .insertInto('protection_packs')
    .values(pack)
    .onConflict((oc) => oc.columns(['vault_id', 'pack_id']).doNothing())
    .executeTakeFirst();
  for (const batch of chunked(blobs, insertBatch)) {
    await db
      .insertInto('protection_blobs')
      .values(batch)
      .onConflict((oc) => oc.columns(['vault_id', 'blob_id', 'pack_id']).doNothing())
      .execute();
  }
  return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
}

/** Live packs of a vault, oldest first. */
export async function listPacks(db: ProtectionDb, vaultId: string, state?: PackTable['state']): Promise<PackRow[]> {
  let query = db.selectFrom('protection_packs').selectAll().where('vault_id', '=', vaultId);
  if (state) query = query.where('state', '=', state);
  return query.orderBy('created_at').orderBy('pack_id').execute();
}

export async function blobsOfPack(db: ProtectionDb, vaultId: string, packId: string): Promise<Selectable<BlobTable>[]> {
  return db
    .selectFrom('protection_blobs')
    .selectAll()
    .where('vault_id', '=', vaultId)
    .where('pack_id', '=', packId)
    .orderBy('pack_offset')
    .execute();
}

/** Every blob row of the vault (one per location). */
export async function allBlobs(db: ProtectionDb, vaultId: string): Promise<Selectable<BlobTable>[]> {
  return db.selectFrom('protection_blobs').selectAll().where('vault_id', '=', vaultId).execute();
}

/** Which of `blobIds` (hex) have at least one location in the vault. */
export async function presentBlobs(
  db: ProtectionDb,
  vaultId: string,
  blobIds: readonly string[],
): Promise<Set<string>> {
  const present = new Set<string>();
  for (const batch of chunked([...new Set(blobIds)], insertBatch)) {
    const rows = await db
      .selectFrom('protection_blobs')
      .select('blob_id')
      .distinct()
      .where('vault_id', '=', vaultId)
      .where('blob_id', 'in', batch)
      .execute();
    for (const row of rows) present.add(row.blob_id);
  }
  return present;
}

export async function condemnPacks(db: ProtectionDb, vaultId: string, packIds: readonly string[], now: number) {
  for (const batch of chunked(packIds, insertBatch)) {
    await db
      .updateTable('protection_packs')
      .set({ state: 'condemned', condemned_at: now })
      .where('vault_id', '=', vaultId)
      .where('pack_id', 'in', batch)
      .where('state', '=', 'live')
      .execute();
  }
}

export async function revivePack(db: ProtectionDb, vaultId: string, packId: string): Promise<void> {
  await db
    .updateTable('protection_packs')
    .set({ state: 'live', condemned_at: null })
    .where('vault_id', '=', vaultId)
    .where('pack_id', '=', packId)
    .execute();
}

export async function deletePackRows(db: ProtectionDb, vaultId: string, packId: string): Promise<void> {
  await db.deleteFrom('protection_blobs').where('vault_id', '=', vaultId).where('pack_id', '=', packId).execute();
  await db.deleteFrom('protection_packs').where('vault_id', '=', vaultId).where('pack_id', '=', packId).execute();
}

export async function findSnapshot(db: ProtectionDb, vaultId: string, id: string): Promise<SnapshotRow | undefined> {
  return db
    .selectFrom('protection_snapshots')
    .selectAll()
    .where('vault_id', '=', vaultId)
    .where('id', '=', id)
    .executeTakeFirst();
}

/** Inserts a catalog row and its reference list. */
export async function insertSnapshot(db: ProtectionDb, row: SnapshotTable, blobIds: readonly string[]): Promise<void> {
  await db
    .insertInto('protection_snapshots')
    .values(row)
    .onConflict((oc) =>
      oc.columns(['vault_id', 'id']).doUpdateSet({
        forgotten_at: null,
        data_source_id: row.data_source_id,
        job_id: row.job_id,
        committed_at: row.committed_at,
        unique_bytes: row.unique_bytes,
      }),
    )
    .execute();
  for (const batch of chunked(blobIds, insertBatch)) {
    await db
      .insertInto('protection_snapshot_refs')
      .values(batch.map((blobId) => ({ vault_id: row.vault_id, snapshot_id: row.id, blob_id: blobId })))
      .onConflict((oc) => oc.columns(['vault_id', 'snapshot_id', 'blob_id']).doNothing())
      .execute();
  }
}

/** Of `blobIds`, those referenced by another live snapshot of the vault than `snapshotId`. */
export async function referencedElsewhere(
  db: ProtectionDb,
  vaultId: string,
  snapshotId: string,
  blobIds: readonly string[],
): Promise<Set<string>> {
  const found = new Set<string>();
  for (const batch of chunked(blobIds, insertBatch)) {
    const rows = await db
      .selectFrom('protection_snapshot_refs')
      .select('blob_id')
      .distinct()
      .where('vault_id', '=', vaultId)
      .where('snapshot_id', '!=', snapshotId)
      .where('blob_id', 'in', batch)
      .execute();
    for (const row of rows) found.add(row.blob_id);
  }
  return found;
}

/** Live catalog snapshots of a vault (optionally of one data source), oldest first. */
export async function listSnapshots(
  db: ProtectionDb,
  vaultId: string,
  options: { dataSourceId?: string; includeForgotten?: boolean } = {},
): Promise<SnapshotRow[]> {
  let query = db.selectFrom('protection_snapshots').selectAll().where('vault_id', '=', vaultId);
  if (options.dataSourceId) query = query.where('data_source_id', '=', options.dataSourceId);
  if (!options.includeForgotten) query = query.where('forgotten_at', 'is', null);
  return query.orderBy('time_ms').orderBy('id').execute();
}

/** Snapshots of a data source across vaults (newest first), paged by time. */
export async function snapshotsOfDataSource(
  db: ProtectionDb,
  dataSourceId: string,
  limit: number,
  before?: { timeMs: number; id: string },
): Promise<SnapshotRow[]> {
  let query = db
    .selectFrom('protection_snapshots')
    .selectAll()
    .where('data_source_id', '=', dataSourceId)
    .where('forgotten_at', 'is', null);
  if (before) {
    query = query.where((eb) =>
      eb.or([eb('time_ms', '<', before.timeMs), eb.and([eb('time_ms', '=', before.timeMs), eb('id', '<', before.id)])]),
    );
  }
  return query.orderBy('time_ms', 'desc').orderBy('id', 'desc').limit(limit).execute();
}

/** Every blob referenced by a live snapshot of the vault. */
export async function referencedBlobIds(db: ProtectionDb, vaultId: string): Promise<Set<string>> {
  const rows = await db
    .selectFrom('protection_snapshot_refs as r')
    .innerJoin('protection_snapshots as s', (join) =>
      join.onRef('s.vault_id', '=', 'r.vault_id').onRef('s.id', '=', 'r.snapshot_id'),
    )
    .select('r.blob_id')
    .distinct()
    .where('r.vault_id', '=', vaultId)
    .where('s.forgotten_at', 'is', null)
    .execute();
  return new Set(rows.map((row) => row.blob_id));
}

/** Marks a snapshot forgotten and drops its references (the row stays as a tombstone). */
export async function forgetSnapshotRow(db: ProtectionDb, vaultId: string, id: string, now: number): Promise<void> {
  await db
    .updateTable('protection_snapshots')
    .set({ forgotten_at: now })
    .where('vault_id', '=', vaultId)
    .where('id', '=', id)
    .execute();
  await db
    .deleteFrom('protection_snapshot_refs')
    .where('vault_id', '=', vaultId)
    .where('snapshot_id', '=', id)
    .execute();
}

export async function deleteSnapshotRow(db: ProtectionDb, vaultId: string, id: string): Promise<void> {
  await db
    .deleteFrom('protection_snapshot_refs')
    .where('vault_id', '=', vaultId)
    .where('snapshot_id', '=', id)
    .execute();
  await db.deleteFrom('protection_snapshots').where('vault_id', '=', vaultId).where('id', '=', id).execute();
}

/** Drops the whole index and catalog of a vault (rebuild-index starts from nothing). */
export async function clearVaultIndex(db: ProtectionDb, vaultId: string): Promise<void> {
  await db.deleteFrom('protection_snapshot_refs').where('vault_id', '=', vaultId).execute();
  await db.deleteFrom('protection_blobs').where('vault_id', '=', vaultId).execute();
  await db.deleteFrom('protection_packs').where('vault_id', '=', vaultId).execute();
  await db
    .deleteFrom('protection_snapshots')
    .where('vault_id', '=', vaultId)
    .where('forgotten_at', 'is', null)
    .execute();
}

export async function insertSession(db: ProtectionDb, row: SessionTable): Promise<void> {
  await db.insertInto('protection_sessions').values(row).execute();
}

export async function findSession(db: ProtectionDb, id: string): Promise<SessionRow | undefined> {
  return db.selectFrom('protection_sessions').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function extendSession(db: ProtectionDb, id: string, leaseUntil: number): Promise<void> {
  await db.updateTable('protection_sessions').set({ lease_until: leaseUntil }).where('id', '=', id).execute();
}

export async function addSessionBytes(
  db: ProtectionDb,
  id: string,
  received: number,
  added: number,
  packs: number,
): Promise<void> {
  await db
    .updateTable('protection_sessions')
    .set((eb) => ({
      bytes_received: eb('bytes_received', '+', received),
      bytes_added: eb('bytes_added', '+', added),
      packs_received: eb('packs_received', '+', packs),
    }))
    .where('id', '=', id)
    .execute();
}

/** Closes every open session of a job (it was cancelled: its uploads and reads stop being accepted). */
export async function closeSessionsOfJob(db: ProtectionDb, jobId: string, now: number): Promise<void> {
  await db
    .updateTable('protection_sessions')
    .set({ closed_at: now })
    .where('job_id', '=', jobId)
    .where('closed_at', 'is', null)
    .execute();
}

export async function closeSession(db: ProtectionDb, id: string, now: number): Promise<void> {
  await db
    .updateTable('protection_sessions')
    .set({ closed_at: now })
    .where('id', '=', id)
    .where('closed_at', 'is', null)
    .execute();
}

/** Sessions of the vault still holding a lease at `now`. */
export async function openSessions(db: ProtectionDb, vaultId: string, now: number): Promise<SessionRow[]> {
  return db
    .selectFrom('protection_sessions')
    .selectAll()
    .where('vault_id', '=', vaultId)
    .where('closed_at', 'is', null)
    .where('lease_until', '>', now)
    .execute();
}

export async function sessionsOfJob(db: ProtectionDb, jobId: string): Promise<SessionRow[]> {
  return db.selectFrom('protection_sessions').selectAll().where('job_id', '=', jobId).execute();
}

/** Sum of live pack bytes of a vault. */
export async function vaultStoredBytes(db: ProtectionDb, vaultId: string): Promise<{ bytes: number; packs: number }> {
  const row = await db
    .selectFrom('protection_packs')
    .select((eb) => [
      eb.fn.coalesce(eb.fn.sum<number>('size'), eb.lit(0)).as('bytes'),
      eb.fn.countAll<number>().as('packs'),
    ])
    .where('vault_id', '=', vaultId)
    .where('state', '=', 'live')
    .executeTakeFirstOrThrow();
  return { bytes: Number(row.bytes), packs: Number(row.packs) };
}

/** IDs of the vault's forgotten snapshots (tombstones). */
export async function forgottenSnapshotIds(db: ProtectionDb, vaultId: string): Promise<Set<string>> {
  const rows = await db
    .selectFrom('protection_snapshots')
    .select('id')
    .where('vault_id', '=', vaultId)
    .where('forgotten_at', 'is not', null)
    .execute();
  return new Set(rows.map((row) => row.id));
}

/** Of `blobIds`, those a live snapshot of the vault references. */
export async function referencedAmong(
  db: ProtectionDb,
  vaultId: string,
  blobIds: readonly string[],
): Promise<Set<string>> {
  const found = new Set<string>();
  for (const batch of chunked(blobIds, insertBatch)) {
    const rows = await db
      .selectFrom('protection_snapshot_refs as r')
      .innerJoin('protection_snapshots as s', (join) =>
        join.onRef('s.vault_id', '=', 'r.vault_id').onRef('s.id', '=', 'r.snapshot_id'),
      )
      .select('r.blob_id')
      .distinct()
      .where('r.vault_id', '=', vaultId)
      .where('s.forgotten_at', 'is', null)
      .where('r.blob_id', 'in', batch)
      .execute();
    for (const row of rows) found.add(row.blob_id);
  }
  return found;
}

/** Of `blobIds`, those with a location in a live pack other than `packId`. */
export async function locatedElsewhere(
  db: ProtectionDb,
  vaultId: string,
  packId: string,
  blobIds: readonly string[],
): Promise<Set<string>> {
  const found = new Set<string>();
  for (const batch of chunked(blobIds, insertBatch)) {
    const rows = await db
      .selectFrom('protection_blobs as b')
      .innerJoin('protection_packs as p', (join) =>
        join.onRef('p.vault_id', '=', 'b.vault_id').onRef('p.pack_id', '=', 'b.pack_id'),
      )
      .select('b.blob_id')
      .distinct()
      .where('b.vault_id', '=', vaultId)
      .where('b.pack_id', '!=', packId)
      .where('p.state', '=', 'live')
      .where('b.blob_id', 'in', batch)
      .execute();
    for (const row of rows) found.add(row.blob_id);
  }
  return found;
}
