import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  fchmodSync,
  fchownSync,
  constants as fsConstants,
  ftruncateSync,
  futimesSync,
  lchownSync,
  linkSync,
  lutimesSync,
  mkdirSync,
  openSync,
  rmSync,
  symlinkSync,
  utimesSync,
} from 'node:fs';
import { availableParallelism } from 'node:os';
import { posix, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { BlobLocation } from '../blob-index.ts';
import { toHex } from '../bytes.ts';
import { NotFoundInRepositoryError } from '../errors.ts';
import { packKey } from '../format.ts';
import { recordHeaderLength } from '../pack.ts';
import type { Repository, SnapshotInfo } from '../repository.ts';
import type { TreeEntry } from '../tree.ts';
import type { Destination, FileFinish, FromRestoreWorker, RestoreTask } from '../workers/restore-messages.ts';

/** What to restore and where. */
export interface RestoreOptions {
  readonly target: string;
  /** Paths inside the snapshot (absolute, as listed by `ls`); everything when empty. */
  readonly includes?: readonly string[];
  readonly workers?: number;
  readonly progress?: { files: number; bytes: number };
}

/** A file or blob that could not be restored. */
export interface RestoreFailure {
  readonly path: string;
  readonly error: string;
}

/** Result of a restore. */
export interface RestoreResult {
  readonly files: number;
  readonly directories: number;
  readonly bytesWritten: number;
  readonly durationMs: number;
  readonly failures: readonly RestoreFailure[];
}

interface Planned {
  readonly path: string;
  readonly entry: TreeEntry;
}

/** A byte range of one pack and the blobs to restore from it. */
interface RangeTask {
  readonly rangeOffset: number;
  readonly length: number;
  readonly blobs: RestoreTask['blobs'];
}

/** Reads of one pack merge blobs closer than this into one range. */
const mergeGap = 1024 * 1024;
const maxRange = 4 * 1024 * 1024;
/**
 * Ranges read ahead of the workers, beyond one per worker. With one, each worker waited
 * 0.6–1 s of a 1 GiB cold restore for its next range; with three ranges of 4 MiB (instead
 * of one of 8 MiB, so the same memory), 0.2–0.4 s (docs/decisions/0017).
 */
const rangesAhead = 3;

function selector(includes: readonly string[]): (path: string) => 'all' | 'partial' | 'none' {
  const normalized = includes.map((include) => posix.normalize(`/${include}`).replace(/\/+$/, '') || '/');
  if (normalized.length === 0 || normalized.includes('/')) return () => 'all';
  return (path) => {
    for (const include of normalized) if (path === include || path.startsWith(`${include}/`)) return 'all';
    for (const include of normalized) if (include.startsWith(`${path}/`) || path === '/') return 'partial';
    return 'none';
  };
}

/** Collects the selected entries of a snapshot in depth-first order. */
async function plan(repository: Repository, snapshot: SnapshotInfo, includes: readonly string[]) {
  const select = selector(includes);
  const directories: Planned[] = [];
  const files: Planned[] = [];
  const others: Planned[] = [];
  let matched = includes.length === 0;
  const visit = async (treeId: Uint8Array, path: string, all: boolean): Promise<void> => {
    for (const entry of await repository.readTree(treeId)) {
      const childPath = path === '/' ? `/${entry.name}` : `${path}/${entry.name}`;
      const state = all ? 'all' : select(childPath);
      if (state === 'none') continue;
      if (state === 'all') matched = true;
      if (entry.kind === 'dir') {
        directories.push({ path: childPath, entry });
        await visit(entry.subtree!, childPath, state === 'all');
      } else if (state === 'all') {
        (entry.kind === 'file' ? files : others).push({ path: childPath, entry });
      }
    }
  };
  await visit(Buffer.from(snapshot.meta.tree, 'hex'), '/', select('/') === 'all');
  if (!matched)
    throw new NotFoundInRepositoryError(`none of ${includes.join(', ')} is in snapshot ${snapshot.id.slice(0, 8)}`);
  return { directories, files, others };
}

/**
 * Restores a snapshot (or the included paths of it) below `target`, keeping the paths it
 * was taken from. Every blob is authenticated and checked against its keyed ID; file
 * content, modes, owners (when run as root), times, symlinks, hard links and sparse runs
 * are restored. Blobs that fail are reported with the files they belong to.
 */
export async function restore(
  repository: Repository,
  snapshot: SnapshotInfo,
  options: RestoreOptions,
): Promise<RestoreResult> {
  const started = performance.now();
  if (repository.index.size === 0) await repository.loadIndex();
  const { directories, files, others } = await plan(repository, snapshot, options.includes ?? []);
  const failures: RestoreFailure[] = [];
  const progress = options.progress ?? { files: 0, bytes: 0 };
  // Snapshot paths are absolute and normalized ('/a/b'): below the resolved target they are
  // a concatenation (path.join normalized every one of them, ~40 ms for 11,000 files).
  const root = resolve(options.target);
  const base = root === '/' ? '' : root;
  const local = (path: string): string => base + path;
  const asRoot = process.getuid?.() === 0;
  let bytesWritten = 0;
  let restoredCount = 0;
  let pendingLinks: { path: string; target: string; planned: Planned }[] = [];
  // Workers start now: loading their modules overlaps creating folders and the plan below.
  const wantedWorkers = Math.max(1, options.workers ?? availableParallelism());
  const pool = files.some((file) => file.entry.extents.some((extent) => 'blob' in extent))
    ? startRestoreWorkers(repository, Math.min(wantedWorkers, files.length))
    : { workers: [], errors: [] };
  try {
    // Folders that did not exist before hold no old files, which then need no removal.
    const freshFolders = new Set<string>();
    if (mkdirSync(root, { recursive: true }) !== undefined) freshFolders.add('/');
    for (const directory of directories) {
      if (mkdirSync(local(directory.path), { recursive: true, mode: 0o700 }) !== undefined)
        freshFolders.add(directory.path);
    }
    const inFreshFolder = (path: string): boolean => freshFolders.has(posix.dirname(path));

    // Map blobs to destinations; entries that share (device, inode) become hard links of the first.
    const byPack = new Map<string, Map<string, { location: BlobLocation; destinations: Destination[] }>>();
    const firstLink = new Map<string, string>();
    const links: { path: string; target: string; planned: Planned }[] = [];
    const primaries: Planned[] = [];
    for (const file of files) {
      const { entry } = file;
      const linkKey = entry.links > 1 ? `${entry.device}:${entry.inode}` : undefined;
      const linkedTo = linkKey ? firstLink.get(linkKey) : undefined;
      if (linkedTo) {
        links.push({ path: local(file.path), target: linkedTo, planned: file });
        continue;
      }
      if (linkKey) firstLink.set(linkKey, local(file.path));
      primaries.push(file);
    }
    // Workers create files as they write into them; a file that exists from before is
    // removed first, so its old bytes cannot show through in zero runs (holes).
    const restoredFiles: Planned[] = [];
    for (const file of primaries) {
      try {
        if (!inFreshFolder(file.path)) rmSync(local(file.path), { force: true });
        restoredFiles.push(file);
      } catch (error) {
        failures.push({ path: file.path, error: (error as Error).message });
      }
    }
    /** Files whose content is still being written: local path → blob writes left. */
    const writesLeft = new Map<string, { planned: Planned; left: number }>();
    const finishHere = (path: string, planned: Planned): void => {
      try {
        finishFile(path, planned.entry, asRoot);
        progress.files += 1;
      } catch (error) {
        failures.push({ path: planned.path, error: (error as Error).message });
      }
    };
    const incomplete: { path: string; planned: Planned }[] = [];
    for (const file of restoredFiles) {
      const path = local(file.path);
      const { entry } = file;
      const destinations: Destination[] = [];
      const locations: BlobLocation[] = [];
      let missing = false;
      let offset = 0;
      for (const extent of entry.extents) {
        if ('zeros' in extent) {
          offset += extent.zeros;
          continue;
        }
        const location = repository.index.get(extent.blob);
        if (!location) {
          failures.push({ path: file.path, error: `blob ${toHex(extent.blob)} is missing from the repository` });
          missing = true;
        } else {
          destinations.push({ path, offset });
          locations.push(location);
        }
        offset += extent.length;
      }
      if (missing) incomplete.push({ path, planned: file });
      else if (destinations.length === 0) finishHere(path, file);
      else writesLeft.set(path, { planned: file, left: destinations.length });
      // A file made of one blob (plus zero runs) is finished by the worker that writes it.
      if (!missing && destinations.length === 1) {
        destinations[0] = { path, offset: destinations[0]!.offset, finish: fileFinish(entry, asRoot) };
      }
      for (const [i, location] of locations.entries()) {
        const pack = byPack.get(location.packId) ?? new Map();
        byPack.set(location.packId, pack);
        const key = toHex(location.id);
        const blob = pack.get(key) ?? { location, destinations: [] };
        pack.set(key, blob);
        blob.destinations.push(destinations[i]!);
      }
    }

    /** Called once per destination as its blob is written (or fails, `failed`). */
    const written = (destination: Destination, failed: boolean): void => {
      const state = writesLeft.get(destination.path);
      if (!state) return;
      state.left -= 1;
      if (destination.finish && !failed) {
        progress.files += 1;
        writesLeft.delete(destination.path);
      } else if (state.left === 0) {
        // Every write is done: size, owner, mode and times now, overlapping other files' content.
        writesLeft.delete(destination.path);
        finishHere(destination.path, state.planned);
      }
    };

    bytesWritten = await restoreContent(repository, byPack, pool, failures, progress, base, written);
    for (const { path, planned } of incomplete) finishHere(path, planned);
    for (const { planned } of writesLeft.values()) finishHere(local(planned.path), planned);
    restoredCount = restoredFiles.length;
    pendingLinks = links;
  } finally {
    await Promise.all(pool.workers.map((worker) => worker.terminate()));
  }

  for (const other of others) {
    const path = local(other.path);
    const { entry } = other;
    try {
      rmSync(path, { force: true });
      if (entry.kind === 'symlink') symlinkSync(entry.target, path);
      else if (entry.kind === 'fifo') execFileSync('mkfifo', ['-m', (entry.mode & 0o777).toString(8), path]);
      else if ((entry.kind === 'chardev' || entry.kind === 'blockdev') && process.getuid?.() === 0) {
        const major = (entry.rdev >> 8) & 0xfff;
        const minor = (entry.rdev & 0xff) | ((entry.rdev >> 12) & 0xfff00);
        execFileSync('mknod', [path, entry.kind === 'chardev' ? 'c' : 'b', String(major), String(minor)]);
      } else {
        failures.push({ path: other.path, error: `cannot create a ${entry.kind} without root privileges` });
        continue;
      }
      applyMetadata(path, entry, true);
    } catch (error) {
      failures.push({ path: other.path, error: (error as Error).message });
    }
  }
  for (const link of pendingLinks) {
    try {
      rmSync(link.path, { force: true });
      linkSync(link.target, link.path);
    } catch (error) {
      failures.push({ path: link.planned.path, error: (error as Error).message });
    }
  }
  // Deepest first, so restoring a child does not touch its parent's times afterwards.
  for (const directory of [...directories].reverse()) {
    try {
      applyMetadata(local(directory.path), directory.entry, false);
    } catch (error) {
      failures.push({ path: directory.path, error: (error as Error).message });
    }
  }
  return {
    files: restoredCount,
    directories: directories.length,
    bytesWritten,
    durationMs: Math.round(performance.now() - started),
    failures,
  };
}

function fileFinish(entry: TreeEntry, asRoot: boolean): FileFinish {
  return {
    size: entry.size,
    mode: entry.mode,
    uid: entry.uid,
    gid: entry.gid,
    chown: asRoot,
    mtime: Number(entry.mtimeNs / 1000n) / 1e6,
  };
}

/** Gives a file its final size (creating empty and all-zero files), owner, mode and times. */
function finishFile(path: string, entry: TreeEntry, asRoot: boolean): void {
  const seconds = Number(entry.mtimeNs / 1000n) / 1e6;
  const fd = openSync(path, fsConstants.O_WRONLY | fsConstants.O_CREAT, 0o600);
  try {
    ftruncateSync(fd, entry.size);
    if (asRoot) fchownSync(fd, entry.uid, entry.gid);
    fchmodSync(fd, entry.mode);
    futimesSync(fd, seconds, seconds);
  } finally {
    closeSync(fd);
  }
}

/** Restore workers and the errors they raised (kept from the start: a worker may fail while loading). */
interface RestoreWorkers {
  readonly workers: Worker[];
  readonly errors: Error[];
}

function startRestoreWorkers(repository: Repository, count: number): RestoreWorkers {
  const errors: Error[] = [];
  const workers = Array.from({ length: count }, () => {
    const worker = new Worker(new URL('../workers/restore-worker.ts', import.meta.url), {
      workerData: { idKey: repository.keys.idKey, blobKey: repository.keys.blobKey },
    });
    worker.on('error', (error) => errors.push(error));
    return worker;
  });
  return { workers, errors };
}

function applyMetadata(path: string, entry: TreeEntry, isLink: boolean): void {
  const seconds = Number(entry.mtimeNs / 1000n) / 1e6;
  if (process.getuid?.() === 0) lchownSync(path, entry.uid, entry.gid);
  if (isLink) {
    lutimesSync(path, seconds, seconds);
    return;
  }
  chmodSync(path, entry.mode);
  utimesSync(path, seconds, seconds);
}

async function restoreContent(
  repository: Repository,
  byPack: Map<string, Map<string, { location: BlobLocation; destinations: Destination[] }>>,
  { workers, errors }: RestoreWorkers,
  failures: RestoreFailure[],
  progress: { files: number; bytes: number },
  /** The resolved target, '' for '/': local paths are `base` + snapshot path. */
  base: string,
  written: (destination: Destination, failed: boolean) => void,
): Promise<number> {
  const tasks: RangeTask[] = [];
  for (const blobs of byPack.values()) {
    const sorted = [...blobs.values()].sort((a, b) => a.location.offset - b.location.offset);
    let current: (typeof sorted)[number][] = [];
    let rangeStart = 0;
    let rangeEnd = 0;
    const flush = (): void => {
      if (current.length > 0) tasks.push({ rangeOffset: rangeStart, blobs: current, length: rangeEnd - rangeStart });
      current = [];
    };
    for (const blob of sorted) {
      const start = blob.location.offset;
      const end = start + recordHeaderLength + blob.location.storedLength;
      if (current.length > 0 && (start - rangeEnd > mergeGap || end - rangeStart > maxRange)) flush();
      if (current.length === 0) rangeStart = start;
      current.push(blob);
      rangeEnd = end;
    }
    flush();
  }
  if (tasks.length === 0) return 0;

  let bytesWritten = 0;
  // One read buffer per task in flight, each sized for the largest range and reused: buffers
  // of varying sizes, dropped when too small, stayed resident until the next full GC
  // (60–70 MiB of a 1 GiB restore). Untouched pages of a buffer cost nothing.
  const capacity = tasks.reduce((largest, task) => Math.max(largest, task.length), 0);
  const spare: ArrayBuffer[] = [];
  const localPrefix = `${base}/`;
  const creating = createFilesAhead(tasks);
  try {
    const busy = new Map<Worker, number>(workers.map((worker) => [worker, 0]));
    const pending = new Map<number, (reply: FromRestoreWorker) => void>();
    for (const worker of workers) {
      worker.on('message', (reply: FromRestoreWorker) => {
        busy.set(worker, busy.get(worker)! - 1);
        pending.get(reply.taskId)?.(reply);
        pending.delete(reply.taskId);
      });
    }
    let nextId = 1;
    const inFlight = new Set<Promise<void>>();
    for (const task of tasks) {
      while (inFlight.size >= workers.length + rangesAhead) await Promise.race(inFlight);
      if (errors.length > 0) throw errors[0];
      const packId = task.blobs[0]!.location.packId;
      const buffer = spare.pop() ?? new ArrayBuffer(capacity);
      let bytes: Uint8Array;
      try {
        bytes = await repository.store.get(packKey(packId), {
          offset: task.rangeOffset,
          length: task.length,
          into: new Uint8Array(buffer),
        });
      } catch (error) {
        spare.push(buffer);
        for (const blob of task.blobs) {
          for (const destination of blob.destinations) {
            failures.push({
              path: `/${destination.path.slice(localPrefix.length)}`,
              error: `pack ${packId}: ${(error as Error).message}`,
            });
            written(destination, true);
          }
        }
        continue;
      }
      const worker = [...busy.entries()].reduce((best, candidate) => (candidate[1] < best[1] ? candidate : best))[0];
      busy.set(worker, busy.get(worker)! + 1);
      const taskId = nextId++;
      const done = new Promise<void>((resolve) => {
        pending.set(taskId, (reply) => {
          bytesWritten += reply.bytesWritten;
          progress.bytes += reply.bytesWritten;
          spare.push(reply.buffer);
          const failedBlobs = new Set<string>();
          for (const failure of reply.failures) {
            failedBlobs.add(failure.blobId);
            for (const path of failure.paths) {
              failures.push({
                path: `/${path.slice(localPrefix.length)}`,
                error: `blob ${failure.blobId}: ${failure.error}`,
              });
            }
          }
          for (const blob of task.blobs) {
            const failed = failedBlobs.size > 0 && failedBlobs.has(toHex(blob.location.id));
            for (const destination of blob.destinations) written(destination, failed);
          }
          resolve();
        });
      });
      inFlight.add(done);
      void done.then(() => inFlight.delete(done));
      worker.postMessage({ kind: 'task', task: { taskId, bytes, rangeOffset: task.rangeOffset, blobs: task.blobs } }, [
        bytes.buffer as ArrayBuffer,
      ]);
    }
    await Promise.all(inFlight);
    if (errors.length > 0) throw errors[0];
  } finally {
    creating.stop();
    for (const worker of workers) worker.removeAllListeners('message');
  }
  return bytesWritten;
}

/**
 * Creates the restored files, empty, in the order the workers will write them, on the main
 * thread, which otherwise only waits for the workers. Creating a file (inode, directory
 * entry, journal) blocked the workers' `open` for ~1.5 s of a 1 GiB restore of 11,417 files,
 * with the two workers often creating files in the same folder; opening a file that exists
 * does not wait (docs/decisions/0016-engine-shared-claims.md). Workers still open with
 * `O_CREAT`, so a file this has not reached yet is simply created by them.
 */
function createFilesAhead(tasks: readonly RangeTask[]): { stop(): void } {
  let stopped = false;
  const created = new Set<string>();
  void (async () => {
    for (const task of tasks) {
      for (const blob of task.blobs) {
        for (const { path } of blob.destinations) {
          if (stopped) return;
          if (created.has(path)) continue;
          created.add(path);
          try {
            closeSync(openSync(path, fsConstants.O_WRONLY | fsConstants.O_CREAT, 0o600));
          } catch {
            // The worker writing this file meets the error and reports it.
          }
          // Let replies and the next tasks through between small batches.
          if (created.size % 32 === 0) await new Promise((resolve) => setImmediate(resolve));
        }
      }
    }
  })();
  return {
    stop: () => {
      stopped = true;
    },
  };
}
