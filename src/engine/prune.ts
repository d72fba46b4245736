import type { BlobStore } from '../storage/index.ts';
import { toHex } from './bytes.ts';
import { EngineError } from './errors.ts';
import { type BlobType, indexPrefix, packKey } from './format.ts';
import { encodeIndexFile, type IndexedPack } from './index-file.ts';
import { catalogPacks, readSnapshotEnvelopes } from './keyless.ts';
import { acquireLock, type LockEnvironment } from './locks.ts';
import {
  PackBuilder,
  type PackedBlob,
  recordHeaderLength,
  trailerEntryLength,
  trailerFooterLength,
  verifyPackStructure,
} from './pack.ts';
import { decodeReferences } from './snapshot-file.ts';

/** Options of `prune`. */
export interface PruneOptions {
  readonly dryRun?: boolean;
  /** Repack a pack when at least this fraction of its bytes is unused (default 0.2). */
  readonly repackThreshold?: number;
  readonly packSize: number;
  readonly lockEnvironment: LockEnvironment;
  readonly lockWaitMs?: number;
}

/** What prune did (or would do, on a dry run). */
export interface PruneReport {
  readonly dryRun: boolean;
  readonly packsDeleted: number;
  readonly packsRepacked: number;
  readonly packsWritten: number;
  readonly blobsRemoved: number;
  readonly bytesFreed: number;
  readonly indexFilesReplaced: number;
  readonly damagedPacksKept: readonly string[];
  readonly missingPacks: readonly string[];
  /** Partial packs of killed backups (a local repository's `.tmp-*` files) removed. */
  readonly partialFilesRemoved: number;
}

/**
 * Partial files at least this old are removed by prune. Its exclusive lock already keeps
 * backups out; the margin covers a writer that outlived its lock (stale after 30 minutes).
 */
const partialFileAgeMs = 60 * 60 * 1000;

/**
 * Removes data no snapshot references, without any key: it reads only snapshot reference
 * lists, index files and pack trailers, and repacks by copying sealed records verbatim.
 * Holds the exclusive lock, so no backup runs meanwhile. Write order for crash safety:
 * new packs → new index → delete old index files → delete old packs (docs/FORMAT.md §12).
 * Refuses to run when any snapshot cannot be read (its references would be unknown).
 */
export async function prune(store: BlobStore, options: PruneOptions): Promise<PruneReport> {
  const lock = await acquireWithWait(store, options);
  try {
    return await runPrune(store, options);
  } finally {
    await lock.release();
  }
}

async function acquireWithWait(store: BlobStore, options: PruneOptions) {
  const deadline = options.lockEnvironment.now() + (options.lockWaitMs ?? 0);
  for (;;) {
    try {
      return await acquireLock(store, 'prune', true, options.lockEnvironment);
    } catch (error) {
      if (options.lockEnvironment.now() >= deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200 + Math.random() * 800));
    }
  }
}

async function runPrune(store: BlobStore, options: PruneOptions): Promise<PruneReport> {
  const dryRun = options.dryRun ?? false;
  const threshold = options.repackThreshold ?? 0.2;
  const { snapshots, damaged } = await readSnapshotEnvelopes(store);
  if (damaged.length > 0) {
    throw new EngineError(
      'prune_refused',
      `prune refused: snapshot ${damaged[0]!.id} cannot be read (${damaged[0]!.error}); run check`,
    );
  }
  const referenced = new Set<string>();
  for (const { envelope } of snapshots)
    for (const reference of decodeReferences(envelope)) referenced.add(toHex(reference.id));

  const catalog = await catalogPacks(store);
  const located = new Set<string>();
  const keep: IndexedPack[] = [];
  const remove: IndexedPack[] = [];
  const repack: { pack: IndexedPack; used: PackedBlob[]; unusedBytes: number }[] = [];
  let blobsRemoved = 0;
  let bytesFreed = 0;
  let partialFilesRemoved = 0;
  for (const pack of catalog.packs.values()) {
    const used: PackedBlob[] = [];
    let unusedBytes = 0;
    for (const blob of pack.blobs) {
      const key = toHex(blob.id);
      if (referenced.has(key) && !located.has(key)) {
        located.add(key);
        used.push(blob);
      } else {
        unusedBytes += recordHeaderLength + blob.storedLength + trailerEntryLength;
      }
    }
    if (used.length === 0) {
      remove.push(pack);
      blobsRemoved += pack.blobs.length;
      bytesFreed += pack.size;
    } else if (unusedBytes / pack.size >= threshold) {
      repack.push({ pack, used, unusedBytes });
      blobsRemoved += pack.blobs.length - used.length;
    } else {
      keep.push(pack);
    }
  }

  const damagedPacksKept: string[] = [];
  const written: IndexedPack[] = [];
  const repacked: IndexedPack[] = [];
  if (!dryRun) {
    const builders = new Map<BlobType, PackBuilder>();
    const flush = async (type: BlobType): Promise<void> => {
      const builder = builders.get(type);
      builders.delete(type);
      if (!builder || builder.blobCount === 0) return;
      const { bytes, id } = builder.finish();
      const packId = toHex(id);
      await store.put(packKey(packId), bytes);
      written.push({ packId, type, size: bytes.byteLength, blobs: builder.entries });
    };
    for (const { pack, used } of repack) {
      let bytes: Uint8Array;
      try {
        bytes = await store.get(packKey(pack.packId));
        verifyPackStructure(bytes, Buffer.from(pack.packId, 'hex'));
      } catch {
        // A damaged pack is kept as it is: check reports it; deleting it could lose the good blobs.
        damagedPacksKept.push(pack.packId);
        keep.push(pack);
        continue;
      }
      for (const blob of used) {
        const record = bytes.subarray(blob.offset, blob.offset + recordHeaderLength + blob.storedLength);
        let builder = builders.get(pack.type);
        if (
          builder &&
          builder.length + (builder.blobCount + 1) * trailerEntryLength + record.byteLength + trailerFooterLength >
            options.packSize
        ) {
          await flush(pack.type);
          builder = undefined;
        }
        if (!builder) {
          builder = new PackBuilder(pack.type, new Uint8Array(Math.min(options.packSize, 1 << 22)));
          builders.set(pack.type, builder);
        }
        builder.addRecord(record);
      }
      repacked.push(pack);
      bytesFreed += pack.size;
    }
    for (const type of [...builders.keys()]) await flush(type);
    for (const pack of written) bytesFreed -= pack.size;

    const needsNewIndex =
      remove.length > 0 ||
      repacked.length > 0 ||
      catalog.unindexed.length > 0 ||
      catalog.missing.length > 0 ||
      catalog.damagedIndexFiles.length > 0 ||
      catalog.indexFiles.length > 1;
    if (needsNewIndex) {
      const { bytes, id } = encodeIndexFile([...keep, ...written]);
      await store.put(`${indexPrefix}${id}`, bytes);
      for (const old of [...catalog.indexFiles, ...catalog.damagedIndexFiles.map((file) => file.id)]) {
        if (old !== id) await store.delete(`${indexPrefix}${old}`);
      }
    }
    for (const pack of [...remove, ...repacked]) await store.delete(packKey(pack.packId));
    partialFilesRemoved = (await store.removeStaleTemporaryFiles?.(partialFileAgeMs)) ?? 0;
  } else {
    for (const { unusedBytes } of repack) bytesFreed += unusedBytes;
  }
  return {
    dryRun,
    packsDeleted: remove.length,
    packsRepacked: dryRun ? repack.length : repacked.length,
    packsWritten: written.length,
    blobsRemoved,
    bytesFreed,
    indexFilesReplaced: dryRun ? 0 : catalog.indexFiles.length,
    damagedPacksKept,
    missingPacks: catalog.missing,
    partialFilesRemoved,
  };
}
