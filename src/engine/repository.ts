import { randomBytes } from 'node:crypto';
import type { BlobStore } from '../storage/index.ts';
import { computeBlobId } from './blob-id.ts';
import { BlobIndex, type BlobLocation } from './blob-index.ts';
import { bytesEqual, toHex } from './bytes.ts';
import { type ChunkerParams, defaultChunkerParams } from './chunker.ts';
import { BlobDecompressor, defaultCompressionLevel } from './compression.ts';
import { CorruptDataError, isBlobNotFound, NotFoundInRepositoryError, RepositoryError } from './errors.ts';
import {
  type BlobType,
  configKey,
  defaultPackSize,
  flagCompressed,
  indexPrefix,
  keysPrefix,
  packKey,
  repositoryVersion,
  snapshotsPrefix,
} from './format.ts';
import { encodeIndexedPack, type IndexedPack, joinIndexFile } from './index-file.ts';
import { createKeySlot, encodeKeySlot, type KdfParams, type SlotSecret } from './key-slot.ts';
import { forEachIndexFile, listPackObjects, readPackTrailer } from './keyless.ts';
import { deriveVaultKeys, newMasterKey, type VaultKeys } from './keys.ts';
import { acquireLock, type HeldLock, type LockEnvironment } from './locks.ts';
import { openRecord, recordHeaderLength } from './pack.ts';
import { encodeConfig, type RepositoryConfig } from './repository-config.ts';
import {
  decodeSnapshotEnvelope,
  decodeSnapshotHeader,
  encodeSnapshot,
  openSnapshotMeta,
  type Reference,
  type ReferenceSection,
  type SnapshotEnvelope,
  type SnapshotMeta,
  snapshotHeaderLength,
} from './snapshot-file.ts';
import { decodeTree, type TreeEntry } from './tree.ts';
import { readRepositoryConfig, type UnlockedRepository, unlockRepository } from './unlock.ts';

/** Options of `initRepository`. */
export interface InitOptions {
  readonly chunker?: ChunkerParams;
  readonly packSize?: number;
  readonly compressionLevel?: number;
  readonly kdf?: KdfParams;
  readonly label?: string;
}

/** A snapshot as listed: its ID, keyless envelope and decrypted meta. */
export interface SnapshotInfo {
  readonly id: string;
  readonly meta: SnapshotMeta;
  readonly envelope: SnapshotEnvelope;
}

/** Creates a repository in an empty store and returns it opened. */
export async function initRepository(
  store: BlobStore,
  secret: SlotSecret,
  options: InitOptions = {},
): Promise<Repository> {
  if (await store.head(configKey)) throw new RepositoryError('a repository already exists there');
  const config: RepositoryConfig = {
    format: 'coffer-repository',
    version: repositoryVersion,
    id: toHex(randomBytes(16)),
    chunker: options.chunker ?? defaultChunkerParams,
    packSize: options.packSize ?? defaultPackSize,
    compressionLevel: options.compressionLevel ?? defaultCompressionLevel,
  };
  const master = newMasterKey();
  const slot = await createKeySlot(master, config.id, secret, {
    ...(options.kdf ? { kdf: options.kdf } : {}),
    label: options.label ?? '',
  });
  // Key first, config last: a store with a config is always openable.
  await store.put(`${keysPrefix}${slot.id}`, encodeKeySlot(slot));
  await store.put(configKey, encodeConfig(config));
  return new Repository(store, config, deriveVaultKeys(master, Buffer.from(config.id, 'hex')), master);
}

/** Opens a repository, trying every key slot; throws `WrongPasswordError` when none opens. */
export async function openRepository(store: BlobStore, secret: SlotSecret): Promise<Repository> {
  return openUnlockedRepository(store, await unlockRepository(store, secret));
}

/** The repository whose master key `unlockRepository` took from a key slot. */
export function openUnlockedRepository(store: BlobStore, { config, master }: UnlockedRepository): Repository {
  return new Repository(store, config, deriveVaultKeys(master, Buffer.from(config.id, 'hex')), master);
}

/** Cache of whole tree packs: trees are small and read over and over. */
const treePackCacheBytes = 64 * 1024 * 1024;

/**
 * An opened repository: keys, config, the blob index and the operations every command
 * shares. Works only through `BlobStore`; never touches the local filesystem.
 */
export class Repository {
  readonly store: BlobStore;
  readonly config: RepositoryConfig;
  readonly keys: VaultKeys;
  readonly #master: Uint8Array;
  index = new BlobIndex();
  /** Index files loaded, by ID. */
  indexFiles = new Set<string>();
  /** Packs listed by loaded index files, with their type and size. */
  indexedPacks = new Map<string, { type: BlobType; size: number }>();
  readonly #treePackCache = new Map<string, Uint8Array>();
  #treePackCacheSize = 0;
  /** One zstd context for every blob this thread opens (a fresh one per tree cost ~0.2 ms). */
  readonly #decompressor = new BlobDecompressor();

  constructor(store: BlobStore, config: RepositoryConfig, keys: VaultKeys, master: Uint8Array) {
    this.store = store;
    this.config = config;
    this.keys = keys;
    this.#master = master;
  }

  /** Adds another key slot (passphrase or raw key) for the same master key. */
  async addKeySlot(secret: SlotSecret, options: { label?: string; kdf?: KdfParams } = {}): Promise<string> {
    const slot = await createKeySlot(this.#master, this.config.id, secret, options);
    await this.store.put(`${keysPrefix}${slot.id}`, encodeKeySlot(slot));
    return slot.id;
  }

  /** Takes a repository lock (see locks.ts), retrying for up to `waitMs` on conflicts. */
  lock(operation: string, exclusive: boolean, environment: LockEnvironment, waitMs = 0): Promise<HeldLock> {
    return lockStore(this.store, operation, exclusive, environment, waitMs);
  }

  /** Loads every index file into a fresh in-memory index. Unreadable index files are reported, not fatal. */
  async loadIndex(): Promise<{ damaged: { key: string; error: string }[] }> {
    return this.useIndex(await readIndex(this.store));
  }

  /** Takes an index read from this repository's store (`readIndex`) as its in-memory index. */
  useIndex({ index, indexFiles, indexedPacks, damaged }: LoadedIndex): { damaged: { key: string; error: string }[] } {
    this.index = index;
    this.indexFiles = indexFiles;
    this.indexedPacks = indexedPacks;
    return { damaged };
  }

  /** Adds packs to the in-memory index. */
  addIndexedPacks(packs: readonly IndexedPack[]): void {
    addPacks(this.index, this.indexedPacks, packs);
  }

  /** Writes an index file listing `packs` and returns its ID. */
  async writeIndex(packs: readonly IndexedPack[]): Promise<string> {
    return this.writeEncodedIndex(packs.map(encodeIndexedPack));
  }

  /** Writes an index file listing packs encoded by `encodeIndexedPack` and returns its ID. */
  async writeEncodedIndex(packs: readonly Uint8Array[]): Promise<string> {
    const { bytes, id } = joinIndexFile(packs);
    await this.store.put(`${indexPrefix}${id}`, bytes);
    this.indexFiles.add(id);
    return id;
  }

  /**
   * Finds packs that exist but no index lists (a backup died before writing its index, or
   * the index was lost), reads their trailers and adds them to the in-memory index.
   * Returns them so the caller can persist an index for them.
   */
  async adoptUnindexedPacks(): Promise<{ adopted: IndexedPack[]; unreadable: string[] }> {
    const adopted: IndexedPack[] = [];
    const unreadable: string[] = [];
    for (const [packId, size] of await listPackObjects(this.store)) {
      if (this.indexedPacks.has(packId)) continue;
      try {
        const pack = await readPackTrailer(this.store, packId, size);
        adopted.push(pack);
      } catch {
        unreadable.push(packId);
      }
    }
    this.addIndexedPacks(adopted);
    return { adopted, unreadable };
  }

  async #packBytes(location: BlobLocation): Promise<Uint8Array> {
    const key = packKey(location.packId);
    const length = recordHeaderLength + location.storedLength;
    if (location.type !== 1) return this.store.get(key, { offset: location.offset, length });
    let pack = this.#treePackCache.get(location.packId);
    if (!pack) {
      pack = await this.store.get(key);
      this.#treePackCache.set(location.packId, pack);
      this.#treePackCacheSize += pack.byteLength;
      for (const [id, cached] of this.#treePackCache) {
        if (this.#treePackCacheSize <= treePackCacheBytes) break;
        this.#treePackCache.delete(id);
        this.#treePackCacheSize -= cached.byteLength;
      }
    }
    if (location.offset + length > pack.byteLength) throw new CorruptDataError(`pack ${location.packId} is truncated`);
    return pack.subarray(location.offset, location.offset + length);
  }

  /**
   * Plaintext of a blob, authenticated (AEAD with the header as associated data), decompressed
   * and checked against its keyed ID. Throws `NotFoundInRepositoryError` when unindexed and
   * `CorruptDataError` on any mismatch.
   */
  async readBlob(id: Uint8Array): Promise<Uint8Array> {
    const location = this.index.get(id);
    if (!location) throw new NotFoundInRepositoryError(`blob ${toHex(id)} is not in the index`);
    return this.openBlob(location, await this.#packBytes(location));
  }

  /** Decrypts, decompresses and verifies one record read from a pack. */
  openBlob(location: BlobLocation, record: Uint8Array): Uint8Array {
    const payload = openRecord(this.keys.blobKey, record, location);
    const plain =
      (location.flags & flagCompressed) !== 0 ? this.#decompressor.decompress(payload, location.plainLength) : payload;
    if (plain.byteLength !== location.plainLength)
      throw new CorruptDataError(`blob ${toHex(location.id)} has the wrong length`);
    if (!bytesEqual(computeBlobId(this.keys.idKey, plain), location.id)) {
      throw new CorruptDataError(`blob ${toHex(location.id)} does not match its ID`);
    }
    return plain;
  }

  /** Decoded tree blob. */
  async readTree(id: Uint8Array): Promise<TreeEntry[]> {
    return decodeTree(await this.readBlob(id));
  }

  /** Writes a snapshot object (after its packs and index are durable) and returns its ID. */
  async writeSnapshot(meta: SnapshotMeta, references: readonly Reference[] | ReferenceSection): Promise<string> {
    const { bytes, id } = encodeSnapshot(this.keys.snapshotKey, meta, references);
    await this.store.put(`${snapshotsPrefix}${id}`, bytes);
    return id;
  }

  /** IDs of all snapshot objects. */
  async listSnapshotIds(): Promise<string[]> {
    const ids: string[] = [];
    for await (const info of this.store.list(snapshotsPrefix)) {
      const id = info.key.slice(snapshotsPrefix.length);
      if (/^[0-9a-f]{64}$/.test(id)) ids.push(id);
    }
    return ids;
  }

  /** Reads and decrypts one snapshot. */
  async readSnapshot(id: string): Promise<SnapshotInfo> {
    let bytes: Uint8Array;
    try {
      bytes = await this.store.get(`${snapshotsPrefix}${id}`);
    } catch (error) {
      if (isBlobNotFound(error)) throw new NotFoundInRepositoryError(`snapshot ${id} does not exist`);
      throw error;
    }
    const envelope = decodeSnapshotEnvelope(bytes, id);
    return { id, envelope, meta: openSnapshotMeta(this.keys.snapshotKey, envelope) };
  }

  /**
   * Metadata of one snapshot from two small ranged reads (header, then the sealed meta),
   * without reading its reference list; the AEAD binds the meta to the header, and the
   * header to the references through their digest. `referenceSection` is left empty.
   */
  async readSnapshotMeta(id: string): Promise<SnapshotInfo> {
    const key = `${snapshotsPrefix}${id}`;
    let header: Uint8Array;
    try {
      header = await this.store.get(key, { offset: 0, length: snapshotHeaderLength });
    } catch (error) {
      if (isBlobNotFound(error)) throw new NotFoundInRepositoryError(`snapshot ${id} does not exist`);
      throw error;
    }
    const { timeMs, referenceCount, metaLength } = decodeSnapshotHeader(header);
    const sealedMeta = await this.store.get(key, { offset: snapshotHeaderLength, length: metaLength });
    const envelope: SnapshotEnvelope = {
      timeMs,
      referenceCount,
      referenceSection: new Uint8Array(0),
      header,
      sealedMeta,
    };
    return { id, envelope, meta: openSnapshotMeta(this.keys.snapshotKey, envelope) };
  }

  /**
   * All snapshots, oldest first, without their reference sections (`referenceSection` is
   * empty; `readSnapshot` has it). Damaged ones are returned separately.
   */
  async listSnapshots(): Promise<{ snapshots: SnapshotInfo[]; damaged: { id: string; error: string }[] }> {
    const snapshots: SnapshotInfo[] = [];
    const damaged: { id: string; error: string }[] = [];
    for (const id of await this.listSnapshotIds()) {
      try {
        snapshots.push(await this.readSnapshotMeta(id));
      } catch (error) {
        if (error instanceof NotFoundInRepositoryError) continue;
        damaged.push({ id, error: (error as Error).message });
      }
    }
    snapshots.sort((a, b) => a.envelope.timeMs - b.envelope.timeMs || a.id.localeCompare(b.id));
    return { snapshots, damaged };
  }

  /** Resolves `latest`, a full ID or a unique prefix (≥ 4 hex digits) to a snapshot. */
  async findSnapshot(reference: string): Promise<SnapshotInfo> {
    if (reference === 'latest') {
      const { snapshots } = await this.listSnapshots();
      const latest = snapshots[snapshots.length - 1];
      if (!latest) throw new NotFoundInRepositoryError('the repository has no snapshots');
      return latest;
    }
    if (!/^[0-9a-f]{4,64}$/.test(reference)) throw new NotFoundInRepositoryError(`no snapshot ${reference}`);
    const matches = (await this.listSnapshotIds()).filter((id) => id.startsWith(reference));
    if (matches.length === 0) throw new NotFoundInRepositoryError(`no snapshot ${reference}`);
    if (matches.length > 1) throw new NotFoundInRepositoryError(`snapshot prefix ${reference} is ambiguous`);
    return this.readSnapshotMeta(matches[0]!);
  }

  /** Removes a snapshot object. */
  async deleteSnapshot(id: string): Promise<void> {
    await this.store.delete(`${snapshotsPrefix}${id}`);
  }
}

/** Takes a lock on `store` (see locks.ts), retrying for up to `waitMs` on conflicts. */
async function lockStore(
  store: BlobStore,
  operation: string,
  exclusive: boolean,
  environment: LockEnvironment,
  waitMs = 0,
): Promise<HeldLock> {
  const deadline = environment.now() + waitMs;
  for (;;) {
    try {
      return await acquireLock(store, operation, exclusive, environment);
    } catch (error) {
      if (environment.now() >= deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200 + Math.random() * 800));
    }
  }
}

/** The in-memory index as read from a store's index files. */
export interface LoadedIndex {
  readonly index: BlobIndex;
  /** Index files read, by ID. */
  readonly indexFiles: Set<string>;
  /** Packs they list, with their type and size. */
  readonly indexedPacks: Map<string, { type: BlobType; size: number }>;
  /** Index files that could not be read or decoded. */
  readonly damaged: { key: string; error: string }[];
}

function addPacks(
  index: BlobIndex,
  indexedPacks: Map<string, { type: BlobType; size: number }>,
  packs: readonly IndexedPack[],
): void {
  for (const pack of packs) {
    indexedPacks.set(pack.packId, { type: pack.type, size: pack.size });
    for (const blob of pack.blobs) index.add(pack.packId, blob);
  }
}

/**
 * Reads every index file of `store` into a fresh index. Index files are not encrypted, so
 * this needs no key: a backup or a restore reads them while its key is derived
 * (`lockAndReadIndex`). Unreadable index files are reported, not fatal.
 */
async function readIndex(store: BlobStore): Promise<LoadedIndex> {
  const index = new BlobIndex();
  const indexFiles = new Set<string>();
  const indexedPacks = new Map<string, { type: BlobType; size: number }>();
  const damaged = await forEachIndexFile(store, (id, packs) => {
    addPacks(index, indexedPacks, packs);
    indexFiles.add(id);
  });
  return {
    index,
    indexFiles,
    indexedPacks,
    damaged: damaged.map(({ id, error }) => ({ key: `${indexPrefix}${id}`, error })),
  };
}

/** A lock held on a store and the index read once it was taken (`lockAndReadIndex`). */
export interface LockedIndex {
  readonly lock: HeldLock;
  readonly index: LoadedIndex;
}

/**
 * Takes a shared lock on `store` for `operation` and then reads its index, neither of which
 * needs the key: a command starts this while the key is derived (argon2id leaves the main
 * thread idle 50–150 ms) and hands the index to `Repository.useIndex`. The index is read only
 * once the lock is held, so no prune can remove what it lists while the lock is held. Nothing
 * is written where there is no repository (a mistyped path); the lock is released if the index
 * cannot be read.
 */
export async function lockAndReadIndex(
  store: BlobStore,
  operation: string,
  environment: LockEnvironment,
  waitMs = 0,
): Promise<LockedIndex> {
  await readRepositoryConfig(store);
  const lock = await lockStore(store, operation, false, environment, waitMs);
  try {
    return { lock, index: await readIndex(store) };
  } catch (error) {
    await lock.release();
    throw error;
  }
}
