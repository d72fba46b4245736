import type { BlobStore } from '../storage/index.ts';
import { isBlobNotFound } from './errors.ts';
import { dataPrefix, indexPrefix, packIdFromKey, packKey, snapshotsPrefix } from './format.ts';
import { decodeIndexFile, encodeIndexFile, type IndexedPack } from './index-file.ts';
import { parseTrailer, trailerFooterLength, trailerLength } from './pack.ts';
import { decodeSnapshotEnvelope, type SnapshotEnvelope } from './snapshot-file.ts';

/**
 * Repository reads that need no key: what a server holding only ciphertext can do
 * (docs/FORMAT.md §13). Prune, stats and the structural part of check build on these.
 */

/** Every pack object: ID → size. */
export async function listPackObjects(store: BlobStore): Promise<Map<string, number>> {
  const packs = new Map<string, number>();
  for await (const info of store.list(dataPrefix)) {
    const id = packIdFromKey(info.key);
    if (id) packs.set(id, info.size);
  }
  return packs;
}

/** A pack's blob list from its trailer (two ranged reads). */
export async function readPackTrailer(store: BlobStore, packId: string, size: number): Promise<IndexedPack> {
  const key = packKey(packId);
  const footer = await store.get(key, { offset: size - trailerFooterLength, length: trailerFooterLength });
  const length = trailerLength(footer, size);
  const trailer = await store.get(key, { offset: size - length, length });
  const blobs = parseTrailer(trailer, size);
  return { packId, type: blobs[0]?.type ?? 0, size, blobs };
}

/** Index files read at once: each read is a wait on a disk or a network round trip. */
const indexFilesAhead = 4;

/**
 * Decodes and hash-checks every index file in turn, reading a few ahead while the one before
 * is decoded, and hands each to `visit` (so a caller can fold them into its index without
 * holding them all); returns the unreadable ones. A file gone since the listing is skipped.
 */
export async function forEachIndexFile(
  store: BlobStore,
  visit: (id: string, packs: IndexedPack[]) => void,
): Promise<{ id: string; error: string }[]> {
  const keys: string[] = [];
  for await (const info of store.list(indexPrefix)) keys.push(info.key);
  const reads: (Promise<Uint8Array> | undefined)[] = [];
  const damaged: { id: string; error: string }[] = [];
  for (const [i, key] of keys.entries()) {
    while (reads.length < Math.min(i + indexFilesAhead, keys.length)) {
      const read = store.get(keys[reads.length]!);
      // A failed read surfaces when its turn comes.
      read.catch(() => undefined);
      reads.push(read);
    }
    const id = key.slice(indexPrefix.length);
    try {
      visit(id, decodeIndexFile(await reads[i]!, id));
    } catch (error) {
      if (!isBlobNotFound(error)) damaged.push({ id, error: (error as Error).message });
    }
    reads[i] = undefined;
  }
  return damaged;
}

/** Every index file, decoded and hash-checked; unreadable ones are returned apart. */
export async function readIndexFiles(
  store: BlobStore,
): Promise<{ files: { id: string; packs: IndexedPack[] }[]; damaged: { id: string; error: string }[] }> {
  const files: { id: string; packs: IndexedPack[] }[] = [];
  const damaged = await forEachIndexFile(store, (id, packs) => files.push({ id, packs }));
  return { files, damaged };
}

/** Every snapshot's keyless envelope (time and reference list). */
export async function readSnapshotEnvelopes(
  store: BlobStore,
): Promise<{ snapshots: { id: string; envelope: SnapshotEnvelope }[]; damaged: { id: string; error: string }[] }> {
  const snapshots: { id: string; envelope: SnapshotEnvelope }[] = [];
  const damaged: { id: string; error: string }[] = [];
  for await (const info of store.list(snapshotsPrefix)) {
    const id = info.key.slice(snapshotsPrefix.length);
    if (!/^[0-9a-f]{64}$/.test(id)) continue;
    try {
      snapshots.push({ id, envelope: decodeSnapshotEnvelope(await store.get(info.key), id) });
    } catch (error) {
      if (isBlobNotFound(error)) continue;
      damaged.push({ id, error: (error as Error).message });
    }
  }
  return { snapshots, damaged };
}

/**
 * The complete pack catalogue: packs listed by index files (deduplicated) plus packs that
 * exist without an index entry (their trailers are read). Packs an index lists but the
 * store lacks are reported as missing.
 */
export async function catalogPacks(store: BlobStore): Promise<{
  packs: Map<string, IndexedPack>;
  /** Actual object sizes of the packs present in the store. */
  sizes: Map<string, number>;
  indexFiles: string[];
  damagedIndexFiles: { id: string; error: string }[];
  missing: string[];
  unindexed: string[];
  unreadable: { packId: string; error: string }[];
}> {
  const present = await listPackObjects(store);
  const { files, damaged } = await readIndexFiles(store);
  const packs = new Map<string, IndexedPack>();
  const missing = new Set<string>();
  for (const file of files) {
    for (const pack of file.packs) {
      if (!present.has(pack.packId)) missing.add(pack.packId);
      else if (!packs.has(pack.packId)) packs.set(pack.packId, pack);
    }
  }
  const unindexed: string[] = [];
  const unreadable: { packId: string; error: string }[] = [];
  for (const [packId, size] of present) {
    if (packs.has(packId)) continue;
    try {
      packs.set(packId, await readPackTrailer(store, packId, size));
      unindexed.push(packId);
    } catch (error) {
      unreadable.push({ packId, error: (error as Error).message });
    }
  }
  return {
    packs,
    sizes: present,
    indexFiles: files.map((file) => file.id),
    damagedIndexFiles: damaged,
    missing: [...missing],
    unindexed,
    unreadable,
  };
}

/**
 * Rebuilds the index from the packs alone: reads every pack's trailer, writes one index
 * file listing them, then deletes the old index files. Unreadable packs are reported.
 */
export async function rebuildIndex(
  store: BlobStore,
): Promise<{ packs: number; blobs: number; unreadable: { packId: string; error: string }[] }> {
  const present = await listPackObjects(store);
  const packs: IndexedPack[] = [];
  const unreadable: { packId: string; error: string }[] = [];
  for (const [packId, size] of present) {
    try {
      packs.push(await readPackTrailer(store, packId, size));
    } catch (error) {
      unreadable.push({ packId, error: (error as Error).message });
    }
  }
  const old: string[] = [];
  for await (const info of store.list(indexPrefix)) old.push(info.key);
  const { bytes, id } = encodeIndexFile(packs);
  await store.put(`${indexPrefix}${id}`, bytes);
  for (const key of old) if (key !== `${indexPrefix}${id}`) await store.delete(key);
  return { packs: packs.length, blobs: packs.reduce((sum, pack) => sum + pack.blobs.length, 0), unreadable };
}
