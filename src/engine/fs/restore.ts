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
import type { BlobIndex } from '../blob-index.ts';
import { toHex } from '../bytes.ts';
import { NotFoundInRepositoryError } from '../errors.ts';
import { packKey } from '../format.ts';
import { recordHeaderLength } from '../pack.ts';
import type { Repository, SnapshotInfo } from '../repository.ts';
import type { TreeEntry } from '../tree.ts';
import { BlobRestorer } from '../workers/blob-restorer.ts';
import type {
  Destination,
  FileFinish,
  FromRestoreWorker,
  RestoreTask,
  RestoreWorkerSetup,
} from '../workers/restore-messages.ts';

/** What to restore and where. */
export interface RestoreOptions {
  readonly target: string;
  /** Paths inside the snapshot (absolute, as listed by `ls`); everything when empty. */
  readonly includes?: readonly string[];
  /**
   * Worker threads that restore content, besides the main thread, which restores too
   * (default: one fewer than the available cores).
   */
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

/** Reads of one pack merge blobs closer than this into one range. */
const mergeGap = 1024 * 1024;
/**
 * Largest merged range. Each read lane's buffer is touched as far as its largest range, so
 * this (or the largest record, if larger) is what a lane costs: 2 MiB ranges instead of 4 MiB
 * lowered a 1 GiB restore's peak by 9 MiB in the same time (docs/decisions/0020), 1 MiB
 * instead of 2 MiB by 10 MiB more, again in the same time (0021).
 */
const maxRange = 1024 * 1024;
/**
 * Ranges read ahead of the workers, beyond one per worker: the restore reads through this
 * many read lanes plus one per worker, each with its buffer. With one range ahead, each worker
 * waited 0.6–1 s of a 1 GiB cold restore for its next range; with three ranges of 4 MiB
 * (instead of one of 8 MiB, so the same memory), 0.2–0.4 s (docs/decisions/0017); with the
 * lanes reading at once instead of one after another, less again (docs/decisions/0019).
 */
const rangesAhead = 3;
/**
 * The main thread restores a range only when every worker has this many more waiting than
 * it has (docs/decisions/0022-main-thread-lane.md): 0 left the worker idle half the time.
 */
const mainLaneHandicap = 3;

/** An extent's blob that the index does not hold (`PlannedFiles.extentEntries`). */
const missingBlob = -1;
/** A zero run (`PlannedFiles.extentEntries`). */
const zeroRun = -2;

/**
 * The regular files of a restore, numbered in snapshot order. A restore of many files holds
 * its whole plan at once, so it is kept in flat arrays: objects per file and per extent (and
 * a copy of each blob ID) were ~2.3 KiB per file; the main thread's old space in a 1 GiB
 * restore went from 26 to 12 MiB (docs/decisions/0018).
 */
class PlannedFiles {
  /** Local path of each file. */
  readonly paths: string[] = [];
  readonly finishes: FileFinish[] = [];
  /** Where each file's extents start in the extent arrays (one more element than files). */
  readonly extentStarts: number[] = [0];
  /** Per extent: the blob's index entry, `missingBlob` or `zeroRun`. */
  readonly extentEntries: number[] = [];
  readonly extentLengths: number[] = [];
  /** IDs of blobs the index lacks, by extent number (for the failure message). */
  readonly missingIds = new Map<number, string>();

  get count(): number {
    return this.paths.length;
  }

  add(path: string, finish: FileFinish, entry: TreeEntry, index: BlobIndex): void {
    for (const extent of entry.extents) {
      if ('zeros' in extent) {
        this.extentEntries.push(zeroRun);
        this.extentLengths.push(extent.zeros);
        continue;
      }
      const blob = index.entryOf(extent.blob);
      if (blob < 0) this.missingIds.set(this.extentEntries.length, toHex(extent.blob));
      this.extentEntries.push(blob < 0 ? missingBlob : blob);
      this.extentLengths.push(extent.length);
    }
    this.paths.push(path);
    this.finishes.push(finish);
    this.extentStarts.push(this.extentEntries.length);
  }
}

/**
 * The blobs to write and where: each distinct blob once (its index entry), with a list of
 * destinations (file number and offset) linked through `destinationNext`.
 */
class BlobWrites {
  readonly entries: number[] = [];
  readonly firstDestination: number[] = [];
  readonly destinationFiles: number[] = [];
  readonly destinationOffsets: number[] = [];
  readonly destinationNext: number[] = [];
  readonly #byEntry = new Map<number, number>();

  add(entry: number, file: number, offset: number): void {
    let blob = this.#byEntry.get(entry);
    if (blob === undefined) {
      blob = this.entries.length;
      this.#byEntry.set(entry, blob);
      this.entries.push(entry);
      this.firstDestination.push(-1);
    }
    const destination = this.destinationFiles.length;
    this.destinationFiles.push(file);
    this.destinationOffsets.push(offset);
    this.destinationNext.push(this.firstDestination[blob]!);
    this.firstDestination[blob] = destination;
  }

  /** Calls `visit` with each destination of blob `blob`: a file number and an offset in it. */
  forEachDestination(blob: number, visit: (file: number, offset: number) => void): void {
    for (let at = this.firstDestination[blob]!; at >= 0; at = this.destinationNext[at]!)
      visit(this.destinationFiles[at]!, this.destinationOffsets[at]!);
  }
}

/** A byte range of one pack and the blobs (numbers in `BlobWrites`) to restore from it. */
interface RangeTask {
  readonly packNumber: number;
  readonly rangeOffset: number;
  readonly length: number;
  readonly blobs: readonly number[];
}

function selector(includes: readonly string[]): (path: string) => 'all' | 'partial' | 'none' {
  const normalized = includes.map((include) => posix.normalize(`/${include}`).replace(/\/+$/, '') || '/');
  if (normalized.length === 0 || normalized.includes('/')) return () => 'all';
  return (path) => {
    for (const include of normalized) if (path === include || path.startsWith(`${include}/`)) return 'all';
    for (const include of normalized) if (include.startsWith(`${path}/`) || path === '/') return 'partial';
    return 'none';
  };
}

/**
 * Collects the selected entries of a snapshot in depth-first order: folders and special
 * files as entries, regular files into `PlannedFiles` (the first of each set of hard links;
 * the others into `links`, to be linked to it). `local` maps a snapshot path to its target.
 */
async function plan(
  repository: Repository,
  snapshot: SnapshotInfo,
  includes: readonly string[],
  local: (path: string) => string,
  asRoot: boolean,
) {
  const select = selector(includes);
  const directories: Planned[] = [];
  const others: Planned[] = [];
  const files = new PlannedFiles();
  const links: { path: string; target: string; snapshotPath: string }[] = [];
  const firstLink = new Map<string, string>();
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
      } else if (state === 'all' && entry.kind === 'file') {
        // Entries that share (device, inode) become hard links of the first.
        const linkKey = entry.links > 1 ? `${entry.device}:${entry.inode}` : undefined;
        const linkedTo = linkKey ? firstLink.get(linkKey) : undefined;
        if (linkedTo) {
          links.push({ path: local(childPath), target: linkedTo, snapshotPath: childPath });
          continue;
        }
        if (linkKey) firstLink.set(linkKey, local(childPath));
        files.add(local(childPath), fileFinish(entry, asRoot), entry, repository.index);
      } else if (state === 'all') {
        others.push({ path: childPath, entry });
      }
    }
  };
  await visit(Buffer.from(snapshot.meta.tree, 'hex'), '/', select('/') === 'all');
  if (!matched)
    throw new NotFoundInRepositoryError(`none of ${includes.join(', ')} is in snapshot ${snapshot.id.slice(0, 8)}`);
  return { directories, files, others, links };
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
  // Snapshot paths are absolute and normalized ('/a/b'): below the resolved target they are
  // a concatenation (path.join normalized every one of them, ~40 ms for 11,000 files).
  const root = resolve(options.target);
  const base = root === '/' ? '' : root;
  const local = (path: string): string => base + path;
  /** The snapshot path of a local path. */
  const inSnapshot = (path: string): string => path.slice(base.length);
  const asRoot = process.getuid?.() === 0;
  const includes = options.includes ?? [];
  // No more workers than files besides the one the main thread restores, none without content.
  const wanted = (fileCount: number) =>
    Math.max(0, Math.min(options.workers ?? availableParallelism() - 1, fileCount - 1));
  // A whole snapshot's files are known from its summary: its workers start before the plan,
  // so that loading their modules (~150 ms) overlaps reading the trees and creating the
  // folders instead of the first ranges, which the main thread then restored alone.
  const { summary } = snapshot.meta;
  const pool = startRestoreWorkers(
    repository,
    includes.length === 0 && summary.totalBytes > 0 ? wanted(summary.files) : 0,
  );
  const { directories, files, others, links } = await plan(repository, snapshot, includes, local, asRoot).catch(
    async (error: unknown) => {
      await pool.terminate();
      throw error;
    },
  );
  const failures: RestoreFailure[] = [];
  const progress = options.progress ?? { files: 0, bytes: 0 };
  let bytesWritten = 0;
  let restoredCount = 0;
  // Workers not started yet start now: loading their modules overlaps creating the folders.
  pool.resize(files.extentEntries.some((entry) => entry !== zeroRun) ? wanted(files.count) : 0);
  try {
    // Folders that did not exist before hold no old files, which then need no removal.
    const freshFolders = new Set<string>();
    if (mkdirSync(root, { recursive: true }) !== undefined) freshFolders.add('/');
    for (const directory of directories) {
      if (mkdirSync(local(directory.path), { recursive: true, mode: 0o700 }) !== undefined)
        freshFolders.add(directory.path);
    }
    const inFreshFolder = (path: string): boolean => freshFolders.has(posix.dirname(path));

    // Per file: blob writes left; 0 once finished or when it cannot be restored (its old file
    // stays), or `finishAtEnd` for a file with a missing blob (its other blobs are written,
    // then its size and metadata).
    const finishAtEnd = -1;
    const writesLeft = new Int32Array(files.count);
    /** Files of exactly one blob: the worker that writes it also finishes the file. */
    const singleWrite = new Uint8Array(files.count);
    const writes = new BlobWrites();
    const finishHere = (file: number): void => {
      try {
        finishFile(files.paths[file]!, files.finishes[file]!);
        progress.files += 1;
      } catch (error) {
        failures.push({ path: inSnapshot(files.paths[file]!), error: (error as Error).message });
      }
    };
    for (let file = 0; file < files.count; file++) {
      const path = files.paths[file]!;
      // Workers create files as they write into them; a file that exists from before is
      // removed first, so its old bytes cannot show through in zero runs (holes).
      try {
        if (!inFreshFolder(inSnapshot(path))) rmSync(path, { force: true });
      } catch (error) {
        failures.push({ path: inSnapshot(path), error: (error as Error).message });
        continue;
      }
      restoredCount += 1;
      const end = files.extentStarts[file + 1]!;
      let blobs = 0;
      let missing = false;
      let offset = 0;
      for (let extent = files.extentStarts[file]!; extent < end; extent++) {
        const entry = files.extentEntries[extent]!;
        if (entry === missingBlob) {
          const id = files.missingIds.get(extent);
          failures.push({ path: inSnapshot(path), error: `blob ${id} is missing from the repository` });
          missing = true;
        } else if (entry !== zeroRun) {
          writes.add(entry, file, offset);
          blobs += 1;
        }
        offset += files.extentLengths[extent]!;
      }
      if (missing) writesLeft[file] = finishAtEnd;
      else if (blobs === 0) finishHere(file);
      else writesLeft[file] = blobs;
      if (!missing && blobs === 1) singleWrite[file] = 1;
    }

    /** Called once per destination as its blob is written (or fails, `failed`). */
    const written = (file: number, failed: boolean): void => {
      const left = writesLeft[file]!;
      if (left <= 0) return;
      writesLeft[file] = left - 1;
      if (left > 1) return;
      // Every write is done: size, owner, mode and times now, overlapping other files'
      // content, unless the worker that wrote the file's only blob did that already.
      if (singleWrite[file] === 1 && !failed) progress.files += 1;
      else finishHere(file);
    };

    bytesWritten = await restoreContent(
      repository,
      files,
      writes,
      singleWrite,
      pool,
      failures,
      progress,
      inSnapshot,
      written,
    );
    for (let file = 0; file < files.count; file++) {
      if (writesLeft[file] === finishAtEnd || writesLeft[file]! > 0) finishHere(file);
    }
  } finally {
    await pool.terminate();
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
  for (const link of links) {
    try {
      rmSync(link.path, { force: true });
      linkSync(link.target, link.path);
    } catch (error) {
      failures.push({ path: link.snapshotPath, error: (error as Error).message });
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
function finishFile(path: string, finish: FileFinish): void {
  const fd = openSync(path, fsConstants.O_WRONLY | fsConstants.O_CREAT, 0o600);
  try {
    ftruncateSync(fd, finish.size);
    if (finish.chown) fchownSync(fd, finish.uid, finish.gid);
    fchmodSync(fd, finish.mode);
    futimesSync(fd, finish.mtime, finish.mtime);
  } finally {
    closeSync(fd);
  }
}

/** The keys a restore lane needs, a worker's or the main thread's. */
function laneSetup(repository: Repository): RestoreWorkerSetup {
  return { idKey: repository.keys.idKey, blobKey: repository.keys.blobKey };
}

/** Restore workers and the errors they raised (kept from the start: a worker may fail while loading). */
interface RestoreWorkers {
  readonly workers: Worker[];
  readonly errors: Error[];
  /** Starts or stops workers until `count` run (those stopped are the last started). */
  resize(count: number): void;
  /** Stops every worker and waits until all, also those `resize` stopped, have exited. */
  terminate(): Promise<void>;
}

function startRestoreWorkers(repository: Repository, workerCount: number): RestoreWorkers {
  const errors: Error[] = [];
  const setup = laneSetup(repository);
  const workers: Worker[] = [];
  const exits: Promise<number>[] = [];
  const resize = (count: number): void => {
    while (workers.length < count) {
      const worker = new Worker(new URL('../workers/restore-worker.ts', import.meta.url), { workerData: setup });
      worker.on('error', (error) => errors.push(error));
      workers.push(worker);
    }
    for (const worker of workers.splice(count)) exits.push(worker.terminate());
  };
  const terminate = async (): Promise<void> => {
    resize(0);
    await Promise.all(exits);
  };
  resize(workerCount);
  return { workers, errors, resize, terminate };
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

/** Merges each pack's blobs into ranges of at most `maxRange` bytes, in pack order. */
function rangeTasks(index: BlobIndex, writes: BlobWrites): RangeTask[] {
  const byPack = new Map<number, number[]>();
  for (const [blob, entry] of writes.entries.entries()) {
    const pack = index.packNumberAt(entry);
    const blobs = byPack.get(pack);
    if (blobs) blobs.push(blob);
    else byPack.set(pack, [blob]);
  }
  const tasks: RangeTask[] = [];
  for (const [packNumber, blobs] of byPack) {
    const offset = (blob: number) => index.offsetAt(writes.entries[blob]!);
    blobs.sort((a, b) => offset(a) - offset(b));
    let current: number[] = [];
    let rangeStart = 0;
    let rangeEnd = 0;
    const flush = (): void => {
      if (current.length > 0)
        tasks.push({ packNumber, rangeOffset: rangeStart, blobs: current, length: rangeEnd - rangeStart });
      current = [];
    };
    for (const blob of blobs) {
      const entry = writes.entries[blob]!;
      const start = index.offsetAt(entry);
      const end = start + recordHeaderLength + index.storedLengthAt(entry);
      if (current.length > 0 && (start - rangeEnd > mergeGap || end - rangeStart > maxRange)) flush();
      if (current.length === 0) rangeStart = start;
      current.push(blob);
      rangeEnd = end;
    }
    flush();
  }
  return tasks;
}

async function restoreContent(
  repository: Repository,
  files: PlannedFiles,
  writes: BlobWrites,
  /** Files of one blob, finished by the worker that writes it. */
  singleWrite: Uint8Array,
  { workers, errors }: RestoreWorkers,
  failures: RestoreFailure[],
  progress: { files: number; bytes: number },
  inSnapshot: (path: string) => string,
  written: (file: number, failed: boolean) => void,
): Promise<number> {
  const { index } = repository;
  const tasks = rangeTasks(index, writes);
  if (tasks.length === 0) return 0;
  // The main thread is a lane too, instead of one more worker: it otherwise mostly waits, and
  // each worker costs ~20–30 MiB (its heap, its malloc arena, its lane's buffers), so on two
  // cores one worker and the main thread restore as fast as two workers did, in less memory
  // (docs/decisions/0022-main-thread-lane.md).
  const local = new BlobRestorer(laneSetup(repository));
  /** Calls `visit` with each destination (file number) of the task's blobs, blob by blob. */
  const forEachFile = (task: RangeTask, visit: (file: number, blob: number) => void): void => {
    for (const blob of task.blobs) writes.forEachDestination(blob, (file) => visit(file, blob));
  };
  /** The task as a worker takes it; its objects live only until it is posted. */
  const taskBlobs = (task: RangeTask): RestoreTask['blobs'] =>
    task.blobs.map((blob) => {
      const destinations: Destination[] = [];
      writes.forEachDestination(blob, (file, offset) => {
        const path = files.paths[file]!;
        destinations.push(singleWrite[file] === 1 ? { path, offset, finish: files.finishes[file]! } : { path, offset });
      });
      return { location: index.at(writes.entries[blob]!), destinations };
    });

  let bytesWritten = 0;
  /** Tasks with each lane: the workers by index, the main thread last. */
  const busy = new Array<number>(workers.length + 1).fill(0);
  const pending = new Map<
    number,
    { worker: Worker; resolve(reply: FromRestoreWorker): void; reject(error: Error): void }
  >();
  const onError = (worker: Worker) => (error: Error) => {
    // A worker that died answers none of its tasks: their lanes fail with its error.
    for (const [taskId, task] of pending) {
      if (task.worker !== worker) continue;
      pending.delete(taskId);
      task.reject(error);
    }
  };
  const errorListeners = workers.map(onError);
  const creating = createFilesAhead(tasks, files, forEachFile);
  try {
    for (const [i, worker] of workers.entries()) {
      worker.on('message', (reply: FromRestoreWorker) => {
        busy[i] = busy[i]! - 1;
        pending.get(reply.taskId)?.resolve(reply);
        pending.delete(reply.taskId);
      });
      worker.on('error', errorListeners[i]!);
    }
    // Read lanes, each with one buffer sized for the largest range and reused (buffers of
    // varying sizes, dropped when too small, stayed resident until the next full GC: 60–70
    // MiB of a 1 GiB restore; untouched pages of a buffer cost nothing). A lane reads its
    // next range while the others' ranges are with the workers or being read: with one read
    // at a time, each worker sat idle 0.4–1.0 s of a cold 1 GiB restore (docs/decisions/0019).
    const capacity = tasks.reduce((largest, task) => Math.max(largest, task.length), 0);
    let nextTask = 0;
    let nextId = 1;
    const runTask = async (task: RangeTask, buffer: ArrayBuffer): Promise<ArrayBuffer> => {
      const packId = index.packIdOf(task.packNumber);
      let bytes: Uint8Array;
      try {
        bytes = await repository.store.get(packKey(packId), {
          offset: task.rangeOffset,
          length: task.length,
          into: new Uint8Array(buffer),
        });
      } catch (error) {
        forEachFile(task, (file) => {
          failures.push({ path: inSnapshot(files.paths[file]!), error: `pack ${packId}: ${(error as Error).message}` });
          written(file, true);
        });
        return buffer;
      }
      if (errors.length > 0) return buffer;
      // The least busy lane, the main thread counted `mainLaneHandicap` tasks busier: its
      // other work (reads, creating files, every reply) comes first, and it blocks all of
      // that while it restores. Counted even, it took half the ranges and became the
      // bottleneck (one core saturated, the worker idle half the time).
      let chosen = 0;
      const load = (lane: number) => busy[lane]! + (lane === workers.length ? mainLaneHandicap : 0);
      for (let lane = 1; lane < busy.length; lane++) if (load(lane) < load(chosen)) chosen = lane;
      busy[chosen] = busy[chosen]! + 1;
      const taskId = nextId++;
      const message = { taskId, bytes, rangeOffset: task.rangeOffset, blobs: taskBlobs(task) };
      let reply: Promise<FromRestoreWorker>;
      if (chosen === workers.length) {
        // The main thread's lane, after what is already waiting on the event loop.
        reply = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
          busy[chosen] = busy[chosen]! - 1;
          return local.run(message);
        });
      } else {
        const worker = workers[chosen]!;
        reply = new Promise<FromRestoreWorker>((resolve, reject) => pending.set(taskId, { worker, resolve, reject }));
        worker.postMessage({ kind: 'task', task: message }, [bytes.buffer as ArrayBuffer]);
      }
      const { bytesWritten: taskBytes, failures: taskFailures, buffer: returned } = await reply;
      bytesWritten += taskBytes;
      progress.bytes += taskBytes;
      const failedBlobs = new Set<string>();
      for (const failure of taskFailures) {
        failedBlobs.add(failure.blobId);
        for (const path of failure.paths) {
          failures.push({ path: inSnapshot(path), error: `blob ${failure.blobId}: ${failure.error}` });
        }
      }
      forEachFile(task, (file, blob) => {
        const failed = failedBlobs.size > 0 && failedBlobs.has(toHex(index.at(writes.entries[blob]!).id));
        written(file, failed);
      });
      return returned;
    };
    const lane = async (): Promise<void> => {
      let buffer = new ArrayBuffer(capacity);
      while (nextTask < tasks.length && errors.length === 0) buffer = await runTask(tasks[nextTask++]!, buffer);
    };
    await Promise.all(Array.from({ length: Math.min(tasks.length, busy.length + rangesAhead) }, lane));
    if (errors.length > 0) throw errors[0];
  } finally {
    creating.stop();
    for (const [i, worker] of workers.entries()) {
      worker.removeAllListeners('message');
      worker.off('error', errorListeners[i]!);
    }
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
function createFilesAhead(
  tasks: readonly RangeTask[],
  files: PlannedFiles,
  forEachFile: (task: RangeTask, visit: (file: number) => void) => void,
): { stop(): void } {
  let stopped = false;
  const created = new Uint8Array(files.count);
  void (async () => {
    let count = 0;
    for (const task of tasks) {
      if (stopped) return;
      const batch: number[] = [];
      forEachFile(task, (file) => {
        if (created[file] === 1) return;
        created[file] = 1;
        batch.push(file);
      });
      for (const file of batch) {
        if (stopped) return;
        try {
          closeSync(openSync(files.paths[file]!, fsConstants.O_WRONLY | fsConstants.O_CREAT, 0o600));
        } catch {
          // The worker writing this file meets the error and reports it.
        }
        // Let replies and the next tasks through between small batches.
        if (++count % 32 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
    }
  })();
  return {
    stop: () => {
      stopped = true;
    },
  };
}
