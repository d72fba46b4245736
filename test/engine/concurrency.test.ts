import { existsSync, mkdirSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  backup,
  checkRepository,
  openRepository,
  prune,
  RepositoryLockedError,
  restore,
} from '../../src/engine/index.ts';
import { deterministicBytes } from '../../src/engine/testing/deterministic-bytes.ts';
import { type BlobUpload, FsBlobStore, StorageError } from '../../src/storage/index.ts';
import {
  cleanup,
  createTestRepository,
  describeTree,
  password,
  reopen,
  temporaryDirectory,
  testLocks,
} from './helpers.ts';

/** A local store that answers every pack put late (like a remote store) and counts the puts in flight. */
class SlowPackStore extends FsBlobStore {
  override readonly writesInFlight: number;
  inFlight = 0;
  mostInFlight = 0;
  constructor(directory: string, writesInFlight: number) {
    super(directory, { durable: false });
    this.writesInFlight = writesInFlight;
  }
  /** Packs stream into uploads: each commit (a pack being stored) is made slow and counted. */
  override async startUpload(folder: string): Promise<BlobUpload> {
    const upload = await super.startUpload(folder);
    return {
      write: (bytes, offset) => upload.write(bytes, offset),
      abort: () => upload.abort(),
      commit: async (key) => {
        this.inFlight++;
        this.mostInFlight = Math.max(this.mostInFlight, this.inFlight);
        try {
          await new Promise((resolve) => setTimeout(resolve, 50));
          await upload.commit(key);
        } finally {
          this.inFlight--;
        }
      },
    };
  }
}

/**
 * A local store on a disk that fills up: once `budget` bytes are written, every further
 * write fails as the filesystem store fails on ENOSPC (the partial file is discarded).
 */
class FillingStore extends FsBlobStore {
  budget: number;
  constructor(directory: string, budget: number) {
    super(directory, { durable: false });
    this.budget = budget;
  }
  #spend(bytes: number, what: string): void {
    this.budget -= bytes;
    if (this.budget < 0) {
      throw new StorageError('blob_write_failed', `cannot write ${what}: ENOSPC: no space left on device, write`);
    }
  }
  override async put(key: string, data: Uint8Array): Promise<void> {
    this.#spend(data.byteLength, key);
    await super.put(key, data);
  }
  override async startUpload(folder: string): Promise<BlobUpload> {
    const upload = await super.startUpload(folder);
    return {
      write: async (bytes, offset) => {
        try {
          this.#spend(bytes.byteLength, `an object in ${folder}`);
        } catch (error) {
          await upload.abort();
          throw error;
        }
        await upload.write(bytes, offset);
      },
      commit: (key) => upload.commit(key),
      abort: () => upload.abort(),
    };
  }
}

function makeSource(path: string, seed: string, files = 20): void {
  mkdirSync(path, { recursive: true });
  for (let i = 0; i < files; i++) writeFileSync(join(path, `f${i}`), deterministicBytes(`${seed}${i}`, 30_000));
}

describe('concurrent use of one repository', () => {
  const base = temporaryDirectory('concurrent');
  afterAll(() => cleanup(base));

  it('two concurrent backups both commit and restore', async () => {
    const repository = join(base, 'repo-two');
    await createTestRepository(repository);
    makeSource(join(base, 'one'), 'one');
    makeSource(join(base, 'two'), 'two');
    const [a, b] = await Promise.all([
      backup(await reopen(repository), { paths: [join(base, 'one')], workers: 1, lockEnvironment: testLocks }),
      backup(await reopen(repository), { paths: [join(base, 'two')], workers: 1, lockEnvironment: testLocks }),
    ]);
    expect((await checkRepository(await reopen(repository), { readData: true })).errors).toEqual([]);
    for (const [result, name] of [
      [a, 'one'],
      [b, 'two'],
    ] as const) {
      const repo = await reopen(repository);
      await repo.loadIndex();
      const target = join(base, `restored-${name}`);
      expect(
        (await restore(repo, await repo.findSnapshot(result.snapshotId), { target, workers: 1 })).failures,
      ).toEqual([]);
      expect(describeTree(join(target, base, name))).toEqual(describeTree(join(base, name)));
    }
  });

  it('prune running against a backup never deletes what the backup references', async () => {
    const repository = join(base, 'repo-prune');
    const repo = await createTestRepository(repository);
    const source = join(base, 'prune-source');
    makeSource(source, 'p');
    const old = await backup(repo, { paths: [source], workers: 1, lockEnvironment: testLocks });
    // Forget the only snapshot: all its blobs become unreferenced, yet the next backup of
    // the same data deduplicates against them.
    await repo.deleteSnapshot(old.snapshotId);
    const running = backup(await reopen(repository), {
      paths: [source],
      workers: 1,
      lockEnvironment: testLocks,
      lockWaitMs: 30_000,
    });
    const pruning = prune(repo.store, { packSize: repo.config.packSize, lockEnvironment: testLocks }).then(
      (report) => report,
      (error: unknown) => error,
    );
    const [result, pruned] = await Promise.all([running, pruning]);
    if (pruned instanceof Error) expect(pruned).toBeInstanceOf(RepositoryLockedError);
    // Whatever the interleaving, the backup's snapshot is complete, and a later prune keeps it so.
    await prune(repo.store, { packSize: repo.config.packSize, lockEnvironment: testLocks });
    expect((await checkRepository(await reopen(repository), { readData: true })).errors).toEqual([]);
    const reader = await reopen(repository);
    await reader.loadIndex();
    const target = join(base, 'prune-restored');
    expect(
      (await restore(reader, await reader.findSnapshot(result.snapshotId), { target, workers: 1 })).failures,
    ).toEqual([]);
    expect(describeTree(join(target, source))).toEqual(describeTree(source));
  });

  it('prune removes the partial packs of killed backups once they are an hour old', async () => {
    const repository = join(base, 'repo-partial');
    const repo = await createTestRepository(repository);
    const source = join(base, 'partial-source');
    makeSource(source, 'q');
    await backup(repo, { paths: [source], workers: 1, lockEnvironment: testLocks });
    // What a backup killed while streaming a pack leaves: a temporary file beside the packs.
    const stale = join(repository, 'data', '.tmp-0123456789abcdef');
    const fresh = join(repository, 'data', '.tmp-fedcba9876543210');
    writeFileSync(stale, deterministicBytes('partial', 50_000));
    writeFileSync(fresh, deterministicBytes('partial', 50_000));
    const twoHoursAgo = new Date(Date.now() - 2 * 60 * 60 * 1000);
    utimesSync(stale, twoHoursAgo, twoHoursAgo);
    const options = { packSize: repo.config.packSize, lockEnvironment: testLocks };
    expect((await prune(repo.store, { ...options, dryRun: true })).partialFilesRemoved).toBe(0);
    expect(existsSync(stale)).toBe(true);
    expect((await prune(repo.store, options)).partialFilesRemoved).toBe(1);
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(fresh)).toBe(true);
    expect((await checkRepository(await reopen(repository), { readData: true })).errors).toEqual([]);
  });

  it('a backup that runs out of disk space fails clearly and leaves the repository whole', async () => {
    const repository = join(base, 'repo-full');
    const repo = await createTestRepository(repository);
    const source = join(base, 'full-source');
    makeSource(source, 'full', 10);
    const kept = await backup(repo, { paths: [source], workers: 2, lockEnvironment: testLocks });
    // New data (~1.2 MB) on a disk with room for about a third of it.
    const more = join(base, 'full-more');
    makeSource(more, 'full-more', 40);
    const filling = await openRepository(new FillingStore(repository, 400_000), password);
    await expect(backup(filling, { paths: [source, more], workers: 2, lockEnvironment: testLocks })).rejects.toThrow(
      /no space left on device/,
    );
    // Nothing partial stays behind, the earlier snapshot is intact, and the next backup (with
    // room again) completes and restores.
    const partial = readdirSync(join(repository, 'data'), { recursive: true }).filter((name) =>
      String(name).includes('.tmp-'),
    );
    expect(partial).toEqual([]);
    const reader = await reopen(repository);
    expect((await checkRepository(reader, { readData: true })).errors).toEqual([]);
    expect((await reader.listSnapshots()).snapshots.map((snapshot) => snapshot.id)).toEqual([kept.snapshotId]);
    const again = await backup(await reopen(repository), {
      paths: [source, more],
      workers: 2,
      lockEnvironment: testLocks,
    });
    expect(again.summary.bytesRead).toBeGreaterThan(0);
    const after = await reopen(repository);
    expect((await checkRepository(after, { readData: true })).errors).toEqual([]);
    await after.loadIndex();
    const target = join(base, 'full-restored');
    expect((await restore(after, await after.findSnapshot(again.snapshotId), { target, workers: 2 })).failures).toEqual(
      [],
    );
    expect(describeTree(join(target, more))).toEqual(describeTree(more));
  });

  it('a backup that died after uploading packs is reused by the next one', async () => {
    const repository = join(base, 'repo-resume');
    const repo = await createTestRepository(repository);
    const source = join(base, 'resume-source');
    makeSource(source, 'r');
    const first = await backup(repo, { paths: [source], workers: 1, lockEnvironment: testLocks });
    // What a crash between pack upload and snapshot commit leaves: packs, no index, no snapshot.
    rmSync(join(repository, 'index'), { recursive: true });
    rmSync(join(repository, 'snapshots'), { recursive: true });
    const second = await backup(await reopen(repository), { paths: [source], workers: 1, lockEnvironment: testLocks });
    expect(first.summary.bytesAdded).toBeGreaterThan(500_000);
    expect(second.summary.bytesAdded).toBeLessThan(1000);
    expect((await checkRepository(await reopen(repository), { readData: true })).errors).toEqual([]);
  });

  it('prune removes unreferenced data and repacks partly used packs without the key', async () => {
    const repository = join(base, 'repo-gc');
    const repo = await createTestRepository(repository);
    const source = join(base, 'gc-source');
    makeSource(source, 'g');
    const old = await backup(repo, { paths: [source], workers: 1, lockEnvironment: testLocks });
    for (let i = 0; i < 10; i++) rmSync(join(source, `f${i}`));
    const kept = await backup(repo, { paths: [source], workers: 1, lockEnvironment: testLocks });
    await repo.deleteSnapshot(old.snapshotId);
    const report = await prune(repo.store, { packSize: repo.config.packSize, lockEnvironment: testLocks });
    expect(report.blobsRemoved).toBeGreaterThan(0);
    expect(report.bytesFreed).toBeGreaterThan(200_000);
    expect((await checkRepository(await reopen(repository), { readData: true })).errors).toEqual([]);
    const reader = await reopen(repository);
    await reader.loadIndex();
    const target = join(base, 'gc-restored');
    expect(
      (await restore(reader, await reader.findSnapshot(kept.snapshotId), { target, workers: 1 })).failures,
    ).toEqual([]);
    expect(describeTree(join(target, source))).toEqual(describeTree(source));
  });

  it('keeps as many pack uploads in flight as the store asks for, and no more', async () => {
    const source = join(base, 'in-flight-source');
    makeSource(source, 'in-flight', 40);
    const most: Record<string, number> = {};
    for (const [name, writesInFlight] of [
      ['one', 1],
      ['two', 2],
    ] as const) {
      const directory = join(base, `repo-in-flight-${name}`);
      await createTestRepository(directory);
      const store = new SlowPackStore(directory, writesInFlight);
      const result = await backup(await openRepository(store, password), {
        paths: [source],
        workers: 1,
        lockEnvironment: testLocks,
      });
      most[name] = store.mostInFlight;
      const repository = await reopen(directory);
      expect((await checkRepository(repository, { readData: true })).errors).toEqual([]);
      await repository.loadIndex();
      const target = join(base, `restored-in-flight-${name}`);
      const restored = await restore(repository, await repository.findSnapshot(result.snapshotId), {
        target,
        workers: 1,
      });
      expect(restored.failures).toEqual([]);
      expect(describeTree(join(target, source))).toEqual(describeTree(source));
    }
    // One pack filling and one being stored; both being stored while the producer waits.
    expect(most['one']).toBe(2);
    expect(most['two']).toBe(3);
  });
});
