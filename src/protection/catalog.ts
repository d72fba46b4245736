import {
  CorruptDataError,
  decodeReferences,
  decodeSnapshotEnvelope,
  type Reference,
  type SnapshotEnvelope,
} from '../engine/index.ts';
import { ValidationError } from '../platform/index.ts';
import { protectionDb } from './db.ts';
import { InvalidUploadError, MissingBlobsError } from './errors.ts';
import {
  deleteSnapshotRow,
  findSnapshot,
  insertSnapshot,
  lockVaultRow,
  presentBlobs,
  referencedElsewhere,
  type SnapshotRow,
} from './index-store.ts';
import type { ProtectionRuntime } from './runtime.ts';
import { translateStorageError } from './storage-errors.ts';
import type { VaultAccess } from './upload.ts';

/** Key of the server's sidecar for a snapshot: which data source and job made it (for rebuilds). */
export function catalogSidecarKey(snapshotId: string): string {
  return `catalog/${snapshotId}`;
}

/** Decodes a snapshot upload without the key (envelope and reference list); InvalidUploadError when it is not one. */
export function decodeUploadedSnapshot(
  bytes: Uint8Array,
  id: string,
): { envelope: SnapshotEnvelope; references: Reference[] } {
  try {
    const envelope = decodeSnapshotEnvelope(bytes, id);
    return { envelope, references: decodeReferences(envelope) };
  } catch (error) {
    if (error instanceof CorruptDataError)
      throw new InvalidUploadError(`snapshot ${id} refused: ${error.message}`, error);
    throw error;
  }
}

/**
 * Commits a snapshot: decodes its keyless envelope, refuses it (MissingBlobsError) unless
 * every blob it references is in the vault's blob index, records it in the catalog with
 * its reference list, then stores the object. The check and the catalog insert run in one
 * transaction holding the vault, so a concurrent sweep cannot remove a blob in between.
 * A repeated commit of the same snapshot is a no-op (it re-stores a lost object).
 */
export async function commitSnapshot(
  rt: ProtectionRuntime,
  access: VaultAccess,
  id: string,
  bytes: Uint8Array,
): Promise<{ snapshot: SnapshotRow; created: boolean }> {
  const session = access.session;
  if (!session) throw new ValidationError('a snapshot commit needs an upload session (header x-coffer-session)');
  if (session.kind !== 'backup') throw new ValidationError('a restore session cannot commit snapshots');
  const { envelope, references } = decodeUploadedSnapshot(bytes, id);
  const db = protectionDb(rt.database);
  const existing = await findSnapshot(db, access.vault.id, id);
  if (existing && existing.forgotten_at === null) {
    if (!(await access.store.head(`snapshots/${id}`))) await store(access, id, bytes);
    return { snapshot: existing, created: false };
  }
  const blobIds = references.map((reference) => Buffer.from(reference.id).toString('hex'));
  const now = rt.clock.now();
  const row = await db.transaction().execute(async (trx) => {
    await lockVaultRow(trx, rt.database, access.vault.id);
    const present = await presentBlobs(trx, access.vault.id, blobIds);
    const missing = blobIds.filter((blobId) => !present.has(blobId));
    if (missing.length > 0) throw new MissingBlobsError(missing);
    const shared = await referencedElsewhere(trx, access.vault.id, id, blobIds);
    let plain = 0;
    let stored = 0;
    let unique = 0;
    references.forEach((reference, i) => {
      plain += reference.plainLength;
      stored += reference.storedLength;
      if (!shared.has(blobIds[i]!)) unique += reference.storedLength;
    });
    const snapshot: SnapshotRow = {
      vault_id: access.vault.id,
      id,
      data_source_id: session.data_source_id,
      job_id: session.job_id,
      time_ms: envelope.timeMs,
      ref_count: blobIds.length,
      plain_bytes: plain,
      stored_bytes: stored,
      unique_bytes: unique,
      committed_at: now,
      forgotten_at: null,
    };
    await insertSnapshot(trx, snapshot, blobIds);
    return snapshot;
  });
  try {
    await store(access, id, bytes);
  } catch (error) {
    // The catalog must not name a snapshot the zone lacks: undo, then report the cause.
    await deleteSnapshotRow(db, access.vault.id, id);
    throw error;
  }
  await access.store
    .put(
      catalogSidecarKey(id),
      Buffer.from(JSON.stringify({ dataSourceId: session.data_source_id, jobId: session.job_id, committedAt: now })),
    )
    .catch((error: unknown) => rt.log.warn({ err: error, snapshot: id }, 'snapshot sidecar not written'));
  return { snapshot: row, created: true };
}

async function store(access: VaultAccess, id: string, bytes: Uint8Array): Promise<void> {
  try {
    await access.store.put(`snapshots/${id}`, bytes);
  } catch (error) {
    translateStorageError(error, `snapshots/${id}`);
  }
}

/** Of the given blob IDs (hex), those the vault does not hold. */
export async function missingBlobs(
  rt: ProtectionRuntime,
  vaultId: string,
  blobIds: readonly string[],
): Promise<string[]> {
  const present = await presentBlobs(protectionDb(rt.database), vaultId, blobIds);
  return blobIds.filter((blobId) => !present.has(blobId));
}
