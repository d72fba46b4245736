import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { backup, checkRepository, restore } from '../../src/engine/index.ts';
import { deterministicBytes } from '../../src/engine/testing/deterministic-bytes.ts';
import type { Extent, TreeEntry } from '../../src/engine/tree.ts';
import type { ToBackupWorker } from '../../src/engine/workers/backup-messages.ts';
import { cleanup, createTestRepository, describeTree, reopen, temporaryDirectory, testLocks } from './helpers.ts';

const mib = 1024 * 1024;
const segmentBytes = 1 * mib;

/**
 * A 12 MiB file: random bytes, a compressible stretch, and zero runs — one of them across
 * the nominal split at 5 MiB, so a sparse extent spans a segment join.
 */
function writeLargeFile(path: string): Buffer {
  const bytes = Buffer.from(deterministicBytes('segments', 12 * mib));
  bytes.fill(0, 5 * mib - 200 * 1024, 5 * mib + 300 * 1024);
  bytes.fill(0, 9 * mib, 9 * mib + 128 * 1024);
  bytes.fill('coffer log line\n', 2 * mib, 3 * mib);
  writeFileSync(path, bytes);
  return bytes;
}

/**
 * The extents (chunk IDs and zero runs) a snapshot records for the file at `path`. Compared
 * directly rather than through "bytes added": the trees of the parent folders change
 * whenever another test touches /tmp.
 */
async function extentsOf(directory: string, snapshotId: string, path: string): Promise<readonly Extent[]> {
  const repository = await reopen(directory);
  await repository.loadIndex();
  let tree: Uint8Array | undefined = Buffer.from((await repository.findSnapshot(snapshotId)).meta.tree, 'hex');
  const parts = path.split('/').filter(Boolean);
  for (const [i, part] of parts.entries()) {
    const entries: readonly TreeEntry[] = await repository.readTree(tree!);
    const entry = entries.find((candidate) => candidate.name === part);
    if (!entry) throw new Error(`${path} is not in snapshot ${snapshotId}`);
    if (i === parts.length - 1) return entry.extents;
    tree = entry.subtree;
  }
  throw new Error('empty path');
}

/** Segment tasks the backup workers were given while `run` ran. */
async function segmentTasks(run: () => Promise<unknown>): Promise<number> {
  const post = vi.spyOn(Worker.prototype, 'postMessage');
  try {
    await run();
    return post.mock.calls
      .map(([message]) => message as ToBackupWorker)
      .filter((message) => message.kind === 'job')
      .flatMap((message) => (message.kind === 'job' ? message.files : []))
      .filter((task) => task.from !== undefined).length;
  } finally {
    post.mockRestore();
  }
}

describe('large files read in segments by several workers', () => {
  const base = temporaryDirectory('segments');
  afterAll(() => cleanup(base));
  afterEach(() => vi.restoreAllMocks());

  it('cut exactly where one worker reading the whole file cuts, and restore identical', async () => {
    const directory = join(base, 'repo');
    const source = join(base, 'source');
    mkdirSync(source, { recursive: true });
    writeLargeFile(join(source, 'disk.img'));
    writeFileSync(join(source, 'small.txt'), 'beside the large file\n');
    await createTestRepository(directory);

    const whole = await backup(await reopen(directory), {
      paths: [source],
      workers: 1,
      segmentBytes: Number.POSITIVE_INFINITY,
      lockEnvironment: testLocks,
    });
    expect(whole.summary.bytesAdded).toBeGreaterThan(0);

    /** A backup that reads every file again, in segments, with `workers` worker threads. */
    const forcedBackup = async (workers: number) =>
      backup(await reopen(directory), {
        paths: [source],
        workers,
        segmentBytes,
        force: true,
        lockEnvironment: testLocks,
      });
    let segmented: Awaited<ReturnType<typeof backup>> | undefined;
    const tasks = await segmentTasks(async () => {
      segmented = await forcedBackup(2);
    });
    // 12 segments of 1 MiB (the last one runs to the end of the file), each read once: the
    // workers took most, the main thread's lane the others.
    expect(tasks).toBeGreaterThan(0);
    expect(tasks).toBeLessThanOrEqual(12);
    expect(segmented!.summary.bytesRead).toBe(12 * mib + 'beside the large file\n'.length);
    // Same chunks, same zero runs.
    const image = join(source, 'disk.img');
    const wholeExtents = await extentsOf(directory, whole.snapshotId, image);
    expect(wholeExtents.some((extent) => 'zeros' in extent)).toBe(true);
    expect(await extentsOf(directory, segmented!.snapshotId, image)).toEqual(wholeExtents);
    // The main thread alone reads the same segments one after another (cuts must not depend
    // on the cores), and posts no job to a worker.
    let mainOnly: Awaited<ReturnType<typeof backup>> | undefined;
    const workerTasks = await segmentTasks(async () => {
      mainOnly = await forcedBackup(0);
    });
    expect(workerTasks).toBe(0);
    expect(mainOnly!.summary.bytesRead).toBe(12 * mib + 'beside the large file\n'.length);
    expect(await extentsOf(directory, mainOnly!.snapshotId, image)).toEqual(wholeExtents);

    const repository = await reopen(directory);
    expect((await checkRepository(repository, { readData: true })).errors).toEqual([]);
    await repository.loadIndex();
    const target = join(base, 'restored');
    const result = await restore(repository, await repository.findSnapshot(segmented!.snapshotId), {
      target,
      workers: 2,
    });
    expect(result.failures).toEqual([]);
    expect(describeTree(join(target, source))).toEqual(describeTree(source));
  });

  it('store little more than the inserted bytes after an insertion in the middle', async () => {
    const directory = join(base, 'repo-insert');
    const source = join(base, 'source-insert');
    mkdirSync(source, { recursive: true });
    const path = join(source, 'disk.img');
    const original = writeLargeFile(path);
    await createTestRepository(directory);
    const first = await backup(await reopen(directory), {
      paths: [source],
      workers: 2,
      segmentBytes,
      lockEnvironment: testLocks,
    });
    expect(first.summary.bytesAdded).toBeGreaterThan(10 * mib);

    // 3,000 bytes inserted at 6.5 MiB shift every later byte against the nominal splits.
    const inserted = Buffer.from(deterministicBytes('inserted', 3000));
    const at = 6.5 * mib;
    const fd = openSync(path, 'w');
    writeSync(fd, original.subarray(0, at));
    writeSync(fd, inserted);
    writeSync(fd, original.subarray(at));
    closeSync(fd);

    const second = await backup(await reopen(directory), {
      paths: [source],
      workers: 2,
      segmentBytes,
      lockEnvironment: testLocks,
    });
    // New: the chunks around the insertion (the test chunker's average 4 KiB, at most
    // 16 KiB) and the folder's tree, which lists the file's ~3,100 extents (~110 KB).
    expect(second.summary.bytesAdded).toBeLessThan(160 * 1024);
    // One worker reading the shifted file whole finds exactly the same chunks.
    const sequential = await backup(await reopen(directory), {
      paths: [source],
      workers: 1,
      segmentBytes: Number.POSITIVE_INFINITY,
      force: true,
      lockEnvironment: testLocks,
    });
    expect(await extentsOf(directory, sequential.snapshotId, path)).toEqual(
      await extentsOf(directory, second.snapshotId, path),
    );

    const repository = await reopen(directory);
    await repository.loadIndex();
    const target = join(base, 'restored-insert');
    const result = await restore(repository, await repository.findSnapshot(second.snapshotId), {
      target,
      workers: 2,
    });
    expect(result.failures).toEqual([]);
    expect(readFileSync(join(target, path)).equals(readFileSync(path))).toBe(true);
  });

  it('store a consistent file when it changes while its segments are read', async () => {
    const directory = join(base, 'repo-changing');
    const source = join(base, 'source-changing');
    mkdirSync(source, { recursive: true });
    const path = join(source, 'disk.img');
    writeLargeFile(path);
    await createTestRepository(directory);
    // Rewrite 64 KiB somewhere in the file every 2 ms while the backup reads it (prepared
    // buffers: the writer shares the event loop with the backup and must stay cheap).
    const changes = Array.from({ length: 8 }, (_, i) => Buffer.from(deterministicBytes(`change-${i}`, 64 * 1024)));
    const fd = openSync(path, 'r+');
    let round = 0;
    const writer = setInterval(() => {
      round += 1;
      writeSync(fd, changes[round % changes.length]!, 0, 64 * 1024, (round * 7919 * 1024) % (12 * mib - 64 * 1024));
    }, 2);
    let result: Awaited<ReturnType<typeof backup>>;
    try {
      result = await backup(await reopen(directory), {
        paths: [source],
        workers: 2,
        segmentBytes,
        lockEnvironment: testLocks,
      });
    } finally {
      clearInterval(writer);
      closeSync(fd);
    }
    expect(result.warnings).toEqual([]);
    const extents = await extentsOf(directory, result.snapshotId, path);
    const length = extents.reduce((sum, extent) => sum + ('zeros' in extent ? extent.zeros : extent.length), 0);
    expect(length).toBe(12 * mib);
    const repository = await reopen(directory);
    expect((await checkRepository(repository, { readData: true })).errors).toEqual([]);
    await repository.loadIndex();
    const target = join(base, 'restored-changing');
    const restored = await restore(repository, await repository.findSnapshot(result.snapshotId), {
      target,
      workers: 2,
    });
    expect(restored.failures).toEqual([]);
    expect(readFileSync(join(target, path)).byteLength).toBe(12 * mib);
  });
});
