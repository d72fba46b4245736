import { decodeReferences, decodeSnapshotEnvelope, readPackTrailer } from '../engine/index.ts';
import { BlobNotFoundError, type BlobStore } from '../storage/index.ts';
import { catalogSidecarKey } from './catalog.ts';
import { protectionDb } from './db.ts';
import { insertPack, insertSnapshot, referencedElsewhere } from './index-store.ts';
import type { ProtectionRuntime } from './runtime.ts';
import { dataSourcesOfVault, findDataSource, type VaultRow } from './source-store.ts';

/**
 * Brings objects found in a zone into the database without any key: a pack through its
 * trailer, a snapshot through its keyless envelope (and the server's sidecar naming its
 * data source). Used by maintenance (objects a crash left unrecorded) and rebuild-index.
 */

/** Records a pack found in the zone; its blobs come from its trailer. */
export async function adoptPack(
  rt: ProtectionRuntime,
  vault: VaultRow,
  store: BlobStore,
  packId: string,
  size: number,
): Promise<number> {
  const pack = await readPackTrailer(store, packId, size);
  await insertPack(
    protectionDb(rt.database),
    {
      vault_id: vault.id,
      pack_id: packId,
      size,
      type: pack.type,
      blob_count: pack.blobs.length,
      created_at: rt.clock.now(),
      session_id: null,
      state: 'live',
      condemned_at: null,
      verified_at: null,
    },
    pack.blobs.map((blob) => ({
      vault_id: vault.id,
      blob_id: Buffer.from(blob.id).toString('hex'),
      pack_id: packId,
      type: blob.type,
      flags: blob.flags,
      pack_offset: blob.offset,
      plain_length: blob.plainLength,
      stored_length: blob.storedLength,
    })),
  );
  return pack.blobs.length;
}

async function sidecarSource(
  rt: ProtectionRuntime,
  vault: VaultRow,
  store: BlobStore,
  id: string,
): Promise<string | null> {
  const db = protectionDb(rt.database);
  try {
    const sidecar = JSON.parse(Buffer.from(await store.get(catalogSidecarKey(id))).toString('utf8')) as {
      dataSourceId?: string;
    };
    if (sidecar.dataSourceId && (await findDataSource(db, sidecar.dataSourceId))?.vault_id === vault.id) {
      return sidecar.dataSourceId;
    }
  } catch (error) {
    if (!(error instanceof BlobNotFoundError) && !(error instanceof SyntaxError)) throw error;
  }
  const sources = await dataSourcesOfVault(db, vault.id);
  return sources.length === 1 ? sources[0]!.id : null;
}

/** Records a snapshot found in the zone with its reference list. */
export async function adoptSnapshot(
  rt: ProtectionRuntime,
  vault: VaultRow,
  store: BlobStore,
  id: string,
): Promise<void> {
  const envelope = decodeSnapshotEnvelope(await store.get(`snapshots/${id}`), id);
  const references = decodeReferences(envelope);
  const db = protectionDb(rt.database);
  const blobIds = references.map((reference) => Buffer.from(reference.id).toString('hex'));
  const shared = await referencedElsewhere(db, vault.id, id, blobIds);
  let plain = 0;
  let stored = 0;
  let unique = 0;
  references.forEach((reference, i) => {
    plain += reference.plainLength;
    stored += reference.storedLength;
    if (!shared.has(blobIds[i]!)) unique += reference.storedLength;
  });
  await insertSnapshot(
    db,
    {
      vault_id: vault.id,
      id,
      data_source_id: await sidecarSource(rt, vault, store, id),
      job_id: null,
      time_ms: envelope.timeMs,
      ref_count: blobIds.length,
      plain_bytes: plain,
      stored_bytes: stored,
      unique_bytes: unique,
      committed_at: rt.clock.now(),
      forgotten_at: null,
    },
    blobIds,
  );
}
