import { toHex } from './bytes.ts';
import { blobTypeData } from './format.ts';
import { catalogPacks } from './keyless.ts';
import type { Repository } from './repository.ts';
import { decodeReferences, type Reference } from './snapshot-file.ts';

/** Per-snapshot figures of `repositoryStats`. */
export interface SnapshotStats {
  readonly id: string;
  readonly time: string;
  readonly logicalBytes: number;
  /** Stored bytes of blobs that no other snapshot references (what forgetting it would free). */
  readonly uniqueStoredBytes: number;
  readonly blobs: number;
}

/** Repository-wide figures. */
export interface RepositoryStats {
  readonly snapshots: number;
  /** Sum of the logical (file) sizes of all snapshots. */
  readonly logicalBytes: number;
  /** Plain bytes of the distinct data blobs all snapshots reference (after dedup, before compression). */
  readonly uniqueBytes: number;
  /** Bytes of all packs in the store. */
  readonly storedBytes: number;
  readonly packs: number;
  readonly blobs: number;
  /** logicalBytes / uniqueBytes. */
  readonly dedupRatio: number;
  /** uniqueBytes / stored bytes of referenced blobs. */
  readonly compressionRatio: number;
  readonly perSnapshot: readonly SnapshotStats[];
}

/**
 * Sizes from reference lists, the index and snapshot summaries. Everything but the
 * logical sizes could be computed without the key.
 */
export async function repositoryStats(repository: Repository): Promise<RepositoryStats> {
  const { snapshots } = await repository.listSnapshots();
  const catalog = await catalogPacks(repository.store);
  const owners = new Map<string, { count: number; stored: number; plain: number; type: number }>();
  const referencesOf = new Map<string, Reference[]>();
  for (const snapshot of snapshots) {
    const references = decodeReferences((await repository.readSnapshot(snapshot.id)).envelope);
    referencesOf.set(snapshot.id, references);
    for (const reference of references) {
      const key = toHex(reference.id);
      const owner = owners.get(key);
      if (owner) owner.count += 1;
      else
        owners.set(key, {
          count: 1,
          stored: reference.storedLength,
          plain: reference.plainLength,
          type: reference.type,
        });
    }
  }
  let uniqueBytes = 0;
  let referencedStored = 0;
  for (const owner of owners.values()) {
    if (owner.type === blobTypeData) uniqueBytes += owner.plain;
    referencedStored += owner.stored;
  }
  let storedBytes = 0;
  let blobs = 0;
  for (const pack of catalog.packs.values()) {
    storedBytes += pack.size;
    blobs += pack.blobs.length;
  }
  const logicalBytes = snapshots.reduce((sum, snapshot) => sum + snapshot.meta.summary.totalBytes, 0);
  return {
    snapshots: snapshots.length,
    logicalBytes,
    uniqueBytes,
    storedBytes,
    packs: catalog.packs.size,
    blobs,
    dedupRatio: uniqueBytes === 0 ? 1 : logicalBytes / uniqueBytes,
    compressionRatio: referencedStored === 0 ? 1 : uniqueBytes / referencedStored,
    perSnapshot: snapshots.map((snapshot) => {
      let unique = 0;
      const references = referencesOf.get(snapshot.id)!;
      for (const reference of references) {
        if (owners.get(toHex(reference.id))!.count === 1) unique += reference.storedLength;
      }
      return {
        id: snapshot.id,
        time: snapshot.meta.time,
        logicalBytes: snapshot.meta.summary.totalBytes,
        uniqueStoredBytes: unique,
        blobs: references.length,
      };
    }),
  };
}
