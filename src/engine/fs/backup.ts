import { type BigIntStats, lstatSync, readlinkSync } from 'node:fs';
import { hostname as osHostname, userInfo } from 'node:os';
import { join, resolve, sep } from 'node:path';
import { IdTable } from '../blob-index.ts';
import { bytesEqual, toHex } from '../bytes.ts';
import { EngineError } from '../errors.ts';
import { blobTypeData, blobTypeTree, packKey } from '../format.ts';
import { encodeIndexedPack, type IndexedPack } from '../index-file.ts';
import { type LockEnvironment, processLockEnvironment } from '../locks.ts';
import { PackAssembler, type StoredPack } from '../pack-assembler.ts';
import type { LockedIndex, Repository, SnapshotInfo } from '../repository.ts';
import { ReferenceSection, type SnapshotSummary } from '../snapshot-file.ts';
import { type Extent, encodeTree, type TreeEntry } from '../tree.ts';
import { type BuiltPack, TreePacker } from '../tree-packer.ts';
import { BackupPool } from '../workers/backup-pool.ts';
import { DirectoryScanner, type ScannedEntry } from './directory-scanner.ts';
import { makeExcluder } from './exclude.ts';
import { entryFromStats, entryKind, unchangedSince } from './stat-entry.ts';
import { UserNames } from './user-names.ts';

/** What to back up and how. */
export interface BackupOptions {
  readonly paths: readonly string[];
  readonly excludes?: readonly string[];
  readonly tags?: readonly string[];
  /** Re-read every file even when its metadata matches the parent snapshot. */
  readonly force?: boolean;
  /** Parent snapshot ID; by default the latest snapshot of the same host and paths. */
  readonly parent?: string;
  readonly hostname?: string;
  /**
   * Worker threads that read, chunk and seal, besides the main thread, which does too when
   * they are busy (default: one fewer than the available cores).
   */
  readonly workers?: number;
  /**
   * Files of at least twice this size are read in segments of this size, by all workers at
   * once (default 32 MiB; docs/FORMAT.md §5). Tests set other sizes; `Infinity` reads every
   * file whole.
   */
  readonly segmentBytes?: number;
  /** Slots of the run's shared claim table (a power of two; default 2^18). Tests make it tiny to fill it. */
  readonly claimSlots?: number;
  readonly lockEnvironment?: LockEnvironment;
  /** How long to wait for a conflicting (prune) lock before failing. */
  readonly lockWaitMs?: number;
  /** Live counters, updated as the backup goes (for progress displays). */
  readonly progress?: BackupProgress;
  readonly now?: () => Date;
  /**
   * Directory listings already under way (`startBackupScan` with the same paths and
   * excludes), so a caller can start reading the folders while it opens the repository.
   */
  readonly scan?: DirectoryScanner;
  /**
   * The backup's shared lock and the index, taken from the repository's store beforehand
   * (`lockAndReadIndex` for 'backup'); the backup releases the lock. Without, it takes both
   * itself.
   */
  readonly prepared?: LockedIndex;
}

/**
 * Starts listing the folders of a backup (readdir and lstat, several at a time) before
 * the backup itself runs; pass the result as `BackupOptions.scan`.
 */
export function startBackupScan(paths: readonly string[], excludes: readonly string[] = []): DirectoryScanner {
  return new DirectoryScanner(
    paths.map((path) => resolve(path)),
    makeExcluder(excludes),
  );
}

/** `lstat` of one path as a scanned entry (the few parent folders of the requested paths). */
function statEntry(name: string, path: string): ScannedEntry {
  try {
    return { name, path, stats: lstatSync(path, { bigint: true }), error: undefined };
  } catch (error) {
    return { name, path, stats: undefined, error: error as Error };
  }
}

/** Counters a progress display may read while the backup runs. */
export interface BackupProgress {
  files: number;
  bytes: number;
}

/** One entry that could not be backed up. */
export interface BackupWarning {
  readonly path: string;
  readonly error: string;
}

/** Result of a backup. */
export interface BackupResult {
  readonly snapshotId: string;
  readonly parent: string | null;
  readonly summary: SnapshotSummary;
  readonly warnings: readonly BackupWarning[];
}

/** Write an index file after this many new packs, so a killed backup leaves indexed packs. */
const packsPerIndex = 32;

/** A directory node of the virtual root built from the backup paths. */
interface VirtualNode {
  readonly path: string;
  /** True for a requested path (walk all of it); false for a parent folder of one. */
  complete: boolean;
  readonly children: Map<string, VirtualNode>;
}

function buildVirtualRoot(paths: readonly string[]): VirtualNode {
  const root: VirtualNode = { path: sep, complete: false, children: new Map() };
  for (const path of paths) {
    const parts = resolve(path).split(sep).filter(Boolean);
    let node = root;
    if (parts.length === 0) root.complete = true;
    for (const [i, part] of parts.entries()) {
      let child = node.children.get(part);
      if (!child) {
        child = { path: join(node.path, part), complete: false, children: new Map() };
        node.children.set(part, child);
      }
      node = child;
      if (i === parts.length - 1) node.complete = true;
    }
  }
  return root;
}

/**
 * Backs up `paths` into `repository` and writes a snapshot. Order of writes: packs → index
 * → snapshot, so a snapshot never references data that is not durable. Takes a shared lock.
 */
export async function backup(repository: Repository, options: BackupOptions): Promise<BackupResult> {
  const started = performance.now();
  const hostname = options.hostname ?? osHostname();
  const environment = options.lockEnvironment ?? processLockEnvironment(hostname);
  const lock = options.prepared?.lock ?? (await repository.lock('backup', false, environment, options.lockWaitMs ?? 0));
  try {
    return await runBackup(repository, options, hostname, started);
  } finally {
    await lock.release();
  }
}

async function runBackup(
  repository: Repository,
  options: BackupOptions,
  hostname: string,
  started: number,
): Promise<BackupResult> {
  const now = options.now ?? (() => new Date());
  const paths = options.paths.map((path) => resolve(path)).sort();
  if (paths.length === 0) throw new EngineError('invalid_arguments', 'nothing to back up: no paths given');
  if (options.prepared) repository.useIndex(options.prepared.index);
  else await repository.loadIndex();
  const { adopted } = await repository.adoptUnindexedPacks();
  if (adopted.length > 0) await repository.writeIndex(adopted);

  const parent = await findParent(repository, options, hostname, paths);
  const store = repository.store;
  /** Stored packs whose index file is not written yet, encoded as they will be listed in it. */
  let unindexed: Uint8Array[] = [];
  let bytesAdded = 0;
  let storedBytesAdded = 0;
  const persist = async (pack: BuiltPack, type: 0 | 1): Promise<void> => {
    await store.put(packKey(pack.packId), pack.bytes);
    await stored({ packId: pack.packId, size: pack.bytes.byteLength, blobs: pack.blobs }, type);
  };
  /** Indexes a pack now durable in the store (an index file per `packsPerIndex` packs). */
  const stored = async ({ packId, size, blobs }: StoredPack, type: 0 | 1): Promise<void> => {
    const indexed: IndexedPack = { packId, type, size, blobs };
    repository.addIndexedPacks([indexed]);
    unindexed.push(encodeIndexedPack(indexed));
    storedBytesAdded += size;
    for (const blob of blobs) bytesAdded += blob.plainLength;
    if (unindexed.length >= packsPerIndex) {
      const batch = unindexed;
      unindexed = [];
      storedBytesAdded += (await writeIndexMeasured(repository, batch)).size;
    }
  };

  const dataPacks = new PackAssembler(blobTypeData, repository.config.packSize, store, (pack) =>
    stored(pack, blobTypeData),
  );
  const pool = new BackupPool(
    {
      idKey: repository.keys.idKey,
      blobKey: repository.keys.blobKey,
      gear: repository.keys.gear,
      chunker: repository.config.chunker,
      compressionLevel: repository.config.compressionLevel,
    },
    repository.index,
    (records, ends, release) => dataPacks.add(records, ends, release),
    options.workers,
    options.segmentBytes,
    options.claimSlots,
  );
  const treePacker = new TreePacker(repository.keys, repository.config.packSize, repository.config.compressionLevel);
  const treeWrites = new Set<Promise<void>>();
  /** Every blob the snapshot references (its reference list). */
  const references = new IdTable();
  const warnings: BackupWarning[] = [];
  const scanner = options.scan ?? startBackupScan(paths, options.excludes ?? []);
  const names = new UserNames();
  const hardLinks = new Map<string, Promise<TreeEntry['extents'] | undefined>>();
  const progress = options.progress ?? { files: 0, bytes: 0 };
  let files = 0;
  let directories = 0;
  let totalBytes = 0;
  let bytesRead = 0;

  const storeTree = (entries: TreeEntry[]): Uint8Array => {
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const { id, full } = treePacker.add(encodeTree(entries), (candidate) => pool.claim(candidate));
    references.add(id);
    if (full) {
      const write = persist(full, blobTypeTree);
      treeWrites.add(write);
      void write.finally(() => treeWrites.delete(write)).catch(() => undefined);
    }
    return id;
  };

  const loadParentTree = async (id: Uint8Array | undefined): Promise<Map<string, TreeEntry>> => {
    if (!id || !repository.index.has(id)) return new Map();
    try {
      return new Map((await repository.readTree(id)).map((entry) => [entry.name, entry]));
    } catch {
      return new Map();
    }
  };

  /**
   * Fast path of an unchanged file: size, mtime, ctime and inode equal the parent's entry
   * (mode, owner and link count changes move ctime), so that entry is reused as it is —
   * no promise, no new object.
   */
  const reuseUnchanged = (stats: BigIntStats, previous: TreeEntry | undefined): TreeEntry | undefined => {
    if (options.force || !unchangedSince(previous, stats)) return undefined;
    for (const extent of previous.extents) if ('blob' in extent && !pool.isKnown(extent.blob)) return undefined;
    for (const extent of previous.extents) if ('blob' in extent) references.add(extent.blob);
    files += 1;
    totalBytes += previous.size;
    progress.files += 1;
    progress.bytes += previous.size;
    return previous;
  };

  const fileEntry = async (
    path: string,
    name: string,
    stats: BigIntStats,
    previous: TreeEntry | undefined,
  ): Promise<{ entry: Promise<TreeEntry | undefined> }> => {
    const size = Number(stats.size);
    files += 1;
    totalBytes += size;
    const reusable =
      !options.force &&
      unchangedSince(previous, stats) &&
      previous.extents.every((extent) => 'zeros' in extent || pool.isKnown(extent.blob));
    let extentsPromise: Promise<readonly Extent[] | undefined>;
    const linkKey = stats.nlink > 1n ? `${stats.dev}:${stats.ino}` : undefined;
    const linked = linkKey ? hardLinks.get(linkKey) : undefined;
    if (reusable) {
      extentsPromise = Promise.resolve(previous.extents);
      progress.files += 1;
      progress.bytes += size;
    } else if (linked) {
      extentsPromise = linked;
    } else {
      const { outcome } = await pool.submit(path, size);
      extentsPromise = outcome.then((result) => {
        bytesRead += result.bytesRead;
        progress.files += 1;
        progress.bytes += result.bytesRead;
        if (result.error !== undefined) {
          warnings.push({ path, error: result.error });
          return undefined;
        }
        return result.extents;
      });
      if (linkKey) hardLinks.set(linkKey, extentsPromise);
    }
    const entry = extentsPromise.then((extents) => {
      if (!extents) return undefined;
      let length = 0;
      for (const extent of extents) {
        if ('blob' in extent) {
          references.add(extent.blob);
          length += extent.length;
        } else {
          length += extent.zeros;
        }
      }
      return entryFromStats(name, 'file', stats, names, { extents, size: length });
    });
    return { entry };
  };

  // Returns once the directory is walked and its files queued; `tree` resolves when all are stored.
  const walk = async (
    node: VirtualNode,
    previousTree: Uint8Array | undefined,
  ): Promise<{ tree: Promise<Uint8Array> }> => {
    directories += 1;
    const previousEntries = await loadParentTree(previousTree);
    let children: readonly ScannedEntry[];
    if (node.complete) {
      const listing = await scanner.take(node.path);
      if (listing.error) warnings.push({ path: node.path, error: listing.error.message });
      children = listing.entries;
    } else {
      children = [...node.children.keys()].map((name) => statEntry(name, join(node.path, name)));
    }
    const pending: (TreeEntry | undefined | Promise<TreeEntry | undefined>)[] = [];
    for (const { name, path, stats, error } of children) {
      if (!stats) {
        warnings.push({ path, error: (error as Error).message });
        continue;
      }
      const kind = entryKind(stats);
      if (!kind) continue;
      const previous = previousEntries.get(name);
      if (kind === 'dir') {
        const child = node.complete ? { path, complete: true, children: new Map() } : node.children.get(name)!;
        const { tree } = await walk(child, previous?.kind === 'dir' ? previous.subtree : undefined);
        pending.push(tree.then((id) => entryFromStats(name, 'dir', stats, names, { subtree: id })));
      } else if (!node.complete) {
        // A requested path that is a file (or link) rather than a folder.
        pending.push(
          kind === 'file'
            ? (reuseUnchanged(stats, previous) ?? (await fileEntry(path, name, stats, previous)).entry)
            : otherEntry(path, name, kind, stats),
        );
      } else if (kind === 'file') {
        pending.push(reuseUnchanged(stats, previous) ?? (await fileEntry(path, name, stats, previous)).entry);
      } else {
        pending.push(otherEntry(path, name, kind, stats));
      }
    }
    const tree = Promise.all(pending).then((results) => {
      const entries = results.filter((entry): entry is TreeEntry => entry !== undefined);
      // An unchanged folder keeps its tree blob: no encoding, hashing or compression.
      if (
        previousTree &&
        pool.isKnown(previousTree) &&
        previousEntries.size === entries.length &&
        entries.every((entry) => sameEntry(entry, previousEntries.get(entry.name)))
      ) {
        references.add(previousTree);
        return previousTree;
      }
      return storeTree(entries);
    });
    return { tree };
  };

  const otherEntry = (
    path: string,
    name: string,
    kind: TreeEntry['kind'],
    stats: BigIntStats,
  ): TreeEntry | undefined => {
    if (kind !== 'symlink') return entryFromStats(name, kind, stats, names, {});
    try {
      return entryFromStats(name, kind, stats, names, { target: readlinkSync(path, 'utf8') });
    } catch (error) {
      warnings.push({ path, error: (error as Error).message });
      return undefined;
    }
  };

  let rootId: Uint8Array;
  try {
    const parentRoot = parent ? Buffer.from(parent.meta.tree, 'hex') : undefined;
    rootId = await (await walk(buildVirtualRoot(paths), parentRoot)).tree;
    await pool.finish();
    await dataPacks.flush();
    const lastTrees = treePacker.flush();
    if (lastTrees) treeWrites.add(persist(lastTrees, blobTypeTree));
    await Promise.all([...treeWrites]);
  } finally {
    await pool.close();
  }
  if (unindexed.length > 0) storedBytesAdded += (await writeIndexMeasured(repository, unindexed)).size;

  // The reference section, in ID order, straight from the table and the index.
  const { index } = repository;
  const refs = new ReferenceSection(references.size);
  for (const entry of references.sortedEntries()) {
    const id = references.idView(entry);
    const at = index.entryOf(id);
    if (at < 0)
      throw new EngineError(
        'internal_error',
        `blob ${toHex(id)} vanished from the index before the snapshot was written`,
      );
    refs.add(id, index.typeAt(at), index.storedLengthAt(at), index.plainLengthAt(at));
  }
  const summary: SnapshotSummary = {
    files,
    directories,
    totalBytes,
    bytesRead,
    bytesAdded,
    storedBytesAdded,
    durationMs: Math.round(performance.now() - started),
    warnings: warnings.length,
  };
  const snapshotId = await repository.writeSnapshot(
    {
      version: 1,
      time: now().toISOString(),
      hostname,
      username: safeUsername(),
      paths,
      tags: [...(options.tags ?? [])],
      excludes: [...(options.excludes ?? [])],
      parent: parent?.id ?? null,
      tree: toHex(rootId),
      summary,
    },
    refs,
  );
  return { snapshotId, parent: parent?.id ?? null, summary, warnings };
}

/** True when two tree entries would encode identically (xattrs are not captured yet). */
function sameEntry(a: TreeEntry, b: TreeEntry | undefined): boolean {
  if (
    !b ||
    a.kind !== b.kind ||
    a.mode !== b.mode ||
    a.uid !== b.uid ||
    a.gid !== b.gid ||
    a.user !== b.user ||
    a.group !== b.group ||
    a.mtimeNs !== b.mtimeNs ||
    a.ctimeNs !== b.ctimeNs ||
    a.device !== b.device ||
    a.inode !== b.inode ||
    a.links !== b.links ||
    a.size !== b.size ||
    a.target !== b.target ||
    a.rdev !== b.rdev ||
    a.xattrs.length !== 0 ||
    b.xattrs.length !== 0 ||
    a.extents.length !== b.extents.length
  ) {
    return false;
  }
  if ((a.subtree === undefined) !== (b.subtree === undefined)) return false;
  if (a.subtree && b.subtree && !bytesEqual(a.subtree, b.subtree)) return false;
  for (let i = 0; i < a.extents.length; i++) {
    const x = a.extents[i]!;
    const y = b.extents[i]!;
    if ('blob' in x) {
      if (!('blob' in y) || x.length !== y.length || !bytesEqual(x.blob, y.blob)) return false;
    } else if (!('zeros' in y) || x.zeros !== y.zeros) {
      return false;
    }
  }
  return true;
}

async function writeIndexMeasured(repository: Repository, packs: readonly Uint8Array[]): Promise<{ size: number }> {
  const id = await repository.writeEncodedIndex(packs);
  const info = await repository.store.head(`index/${id}`);
  return { size: info?.size ?? 0 };
}

async function findParent(
  repository: Repository,
  options: BackupOptions,
  hostname: string,
  paths: readonly string[],
): Promise<SnapshotInfo | undefined> {
  if (options.parent) return repository.findSnapshot(options.parent);
  const { snapshots } = await repository.listSnapshots();
  const key = JSON.stringify(paths);
  for (let i = snapshots.length - 1; i >= 0; i--) {
    const candidate = snapshots[i]!;
    if (candidate.meta.hostname === hostname && JSON.stringify([...candidate.meta.paths].sort()) === key)
      return candidate;
  }
  return undefined;
}

function safeUsername(): string {
  try {
    return userInfo().username;
  } catch {
    return '';
  }
}
