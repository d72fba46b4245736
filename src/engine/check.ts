import { createHash } from 'node:crypto';
import type { BlobLocation } from './blob-index.ts';
import { toHex } from './bytes.ts';
import { packKey } from './format.ts';
import { catalogPacks } from './keyless.ts';
import { recordHeaderLength, verifyPackStructure } from './pack.ts';
import type { Repository } from './repository.ts';
import { decodeReferences } from './snapshot-file.ts';

/** Options of `checkRepository`. */
export interface CheckOptions {
  /** Download and verify every pack (hash, structure, every blob decrypted and ID-checked). */
  readonly readData?: boolean;
  /** Verify this fraction (0–1] of the packs, chosen at random, instead of all. */
  readonly readDataSubset?: number;
  readonly onProgress?: (done: number, total: number) => void;
}

/** A pack that failed verification, or is missing although the index lists it. */
export interface DamagedPack {
  readonly packId: string;
  readonly error: string;
  /** Blobs of the pack that cannot be read (all of them when the pack is missing). */
  readonly blobs: readonly string[];
}

/** A snapshot that depends on damaged or missing data, and the paths affected. */
export interface AffectedSnapshot {
  readonly snapshotId: string;
  readonly time: string;
  readonly paths: readonly string[];
}

/** Result of a check; `ok` is true when nothing is damaged or missing. */
export interface CheckReport {
  readonly ok: boolean;
  readonly errors: readonly string[];
  readonly damagedPacks: readonly DamagedPack[];
  readonly damagedIndexFiles: readonly string[];
  readonly damagedSnapshots: readonly string[];
  readonly affectedSnapshots: readonly AffectedSnapshot[];
  /** Packs without an index entry (left by an interrupted backup; harmless, adopted by the next one). */
  readonly unindexedPacks: readonly string[];
  readonly packsChecked: number;
  readonly blobsChecked: number;
  readonly snapshotsChecked: number;
}

/**
 * Verifies a repository. Always: index files, pack presence and sizes, snapshots, every
 * tree reachable from them, that every referenced blob is indexed, and that each snapshot's
 * reference list covers what its trees use. With `readData` (or a subset), also the bytes
 * of the packs. Names every damaged pack and the snapshots and files that depend on it.
 */
export async function checkRepository(repository: Repository, options: CheckOptions = {}): Promise<CheckReport> {
  const errors: string[] = [];
  const damagedPacks: DamagedPack[] = [];
  const badBlobs = new Map<string, string>();
  const { damaged: damagedIndex } = await repository.loadIndex();
  for (const file of damagedIndex) errors.push(`index file ${file.key}: ${file.error}`);
  const catalog = await catalogPacks(repository.store);
  const present = catalog.sizes;
  for (const packId of catalog.missing) {
    const blobs = [...repository.index.entries()]
      .filter((blob) => blob.packId === packId)
      .map((blob) => toHex(blob.id));
    damagedPacks.push({ packId, error: 'pack is missing', blobs });
    for (const blob of blobs) badBlobs.set(blob, `pack ${packId.slice(0, 12)} is missing`);
  }
  for (const { packId, error } of catalog.unreadable)
    errors.push(`pack ${packId} without index entry is unreadable: ${error}`);
  for (const [packId, info] of repository.indexedPacks) {
    const size = present.get(packId);
    if (size !== undefined && size !== info.size) {
      const blobs = (catalog.packs.get(packId)?.blobs ?? []).map((blob) => toHex(blob.id));
      damagedPacks.push({ packId, error: `pack size is ${size}, the index says ${info.size}`, blobs });
      for (const blob of blobs) badBlobs.set(blob, `pack ${packId.slice(0, 12)} has the wrong size`);
    }
  }
  // Blobs only in unindexed packs still count as present (the next backup adopts them).
  repository.addIndexedPacks(catalog.unindexed.map((packId) => catalog.packs.get(packId)!));

  let packsChecked = 0;
  let blobsChecked = 0;
  if (options.readData || options.readDataSubset !== undefined) {
    const byPack = repository.index.byPack();
    let packIds = [...byPack.keys()].filter(
      (packId) => present.has(packId) && !damagedPacks.some((d) => d.packId === packId),
    );
    if (options.readDataSubset !== undefined && !options.readData) {
      const fraction = Math.min(1, Math.max(0, options.readDataSubset));
      packIds = packIds.filter(() => Math.random() < fraction);
    }
    for (const packId of packIds) {
      options.onProgress?.(packsChecked, packIds.length);
      const result = await verifyPack(repository, packId, byPack.get(packId)!);
      packsChecked += 1;
      blobsChecked += result.checked;
      if (result.error) {
        damagedPacks.push({ packId, error: result.error, blobs: [...result.bad.keys()] });
        for (const [blob, error] of result.bad) badBlobs.set(blob, error);
      }
    }
  }

  const { snapshots, damaged: damagedSnapshots } = await repository.listSnapshots();
  const unreadableSnapshots = [...damagedSnapshots];
  const affectedSnapshots: AffectedSnapshot[] = [];
  const treeMemo = new Map<string, { paths: string[]; used: Set<string> }>();
  for (const snapshot of snapshots) {
    const { paths, used } = await walkTree(repository, snapshot.meta.tree, badBlobs, treeMemo);
    if (paths.length > 0) affectedSnapshots.push({ snapshotId: snapshot.id, time: snapshot.meta.time, paths });
    let listed: Set<string>;
    try {
      const full = await repository.readSnapshot(snapshot.id);
      listed = new Set(decodeReferences(full.envelope).map((reference) => toHex(reference.id)));
    } catch (error) {
      unreadableSnapshots.push({ id: snapshot.id, error: (error as Error).message });
      continue;
    }
    for (const blob of used) {
      if (!listed.has(blob)) {
        errors.push(`snapshot ${snapshot.id.slice(0, 12)}: its reference list lacks blob ${blob.slice(0, 12)}`);
        break;
      }
    }
  }
  for (const snapshot of unreadableSnapshots) errors.push(`snapshot ${snapshot.id}: ${snapshot.error}`);
  for (const pack of damagedPacks) errors.push(`pack ${pack.packId}: ${pack.error}`);
  for (const affected of affectedSnapshots) {
    errors.push(
      `snapshot ${affected.snapshotId.slice(0, 12)} has ${affected.paths.length} damaged path(s), e.g. ${affected.paths[0]}`,
    );
  }
  return {
    ok: errors.length === 0,
    errors,
    damagedPacks,
    damagedIndexFiles: damagedIndex.map((file) => file.key),
    damagedSnapshots: unreadableSnapshots.map((snapshot) => snapshot.id),
    affectedSnapshots,
    unindexedPacks: catalog.unindexed,
    packsChecked,
    blobsChecked,
    snapshotsChecked: snapshots.length,
  };
}

async function verifyPack(
  repository: Repository,
  packId: string,
  blobs: readonly BlobLocation[],
): Promise<{ error: string | undefined; bad: Map<string, string>; checked: number }> {
  const bad = new Map<string, string>();
  let bytes: Uint8Array;
  try {
    bytes = await repository.store.get(packKey(packId));
  } catch (error) {
    for (const blob of blobs) bad.set(toHex(blob.id), `pack ${packId.slice(0, 12)} is unreadable`);
    return { error: `pack cannot be read: ${(error as Error).message}`, bad, checked: 0 };
  }
  let error: string | undefined;
  if (createHash('sha256').update(bytes).digest('hex') !== packId)
    error = 'pack content does not match its name (hash mismatch)';
  try {
    verifyPackStructure(bytes);
  } catch (cause) {
    error ??= (cause as Error).message;
  }
  let checked = 0;
  for (const blob of blobs) {
    checked += 1;
    const end = blob.offset + recordHeaderLength + blob.storedLength;
    try {
      if (end > bytes.byteLength) throw new Error('pack is truncated');
      repository.openBlob(blob, bytes.subarray(blob.offset, end));
    } catch (cause) {
      bad.set(toHex(blob.id), `blob in pack ${packId.slice(0, 12)}: ${(cause as Error).message}`);
    }
  }
  if (bad.size > 0) error ??= `${bad.size} blob(s) fail verification`;
  return { error, bad, checked };
}

/** Affected paths below a tree (relative, `/`-joined) and every blob it uses, memoized per tree. */
async function walkTree(
  repository: Repository,
  treeHex: string,
  badBlobs: Map<string, string>,
  memo: Map<string, { paths: string[]; used: Set<string> }>,
): Promise<{ paths: string[]; used: Set<string> }> {
  const cached = memo.get(treeHex);
  if (cached) return cached;
  const paths: string[] = [];
  const used = new Set<string>([treeHex]);
  let entries: Awaited<ReturnType<Repository['readTree']>>;
  try {
    if (badBlobs.has(treeHex)) throw new Error(badBlobs.get(treeHex));
    entries = await repository.readTree(Buffer.from(treeHex, 'hex'));
  } catch (error) {
    const result = { paths: [`/ (tree ${treeHex.slice(0, 12)}: ${(error as Error).message})`], used };
    memo.set(treeHex, result);
    return result;
  }
  for (const entry of entries) {
    if (entry.kind === 'dir' && entry.subtree) {
      const child = await walkTree(repository, toHex(entry.subtree), badBlobs, memo);
      for (const path of child.paths)
        paths.push(path.startsWith('/ (') ? `/${entry.name}${path.slice(1)}` : `/${entry.name}${path}`);
      for (const blob of child.used) used.add(blob);
    } else if (entry.kind === 'file') {
      let broken = false;
      for (const extent of entry.extents) {
        if (!('blob' in extent)) continue;
        const key = toHex(extent.blob);
        used.add(key);
        if (badBlobs.has(key) || !repository.index.has(extent.blob)) broken = true;
      }
      if (broken) paths.push(`/${entry.name}`);
    }
  }
  const result = { paths, used };
  memo.set(treeHex, result);
  return result;
}
