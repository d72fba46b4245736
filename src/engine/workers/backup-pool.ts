import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { BlobIndex } from '../blob-index.ts';
import { toHex } from '../bytes.ts';
import { ReadAhead } from '../fs/read-ahead.ts';
import { recordBound } from '../pack.ts';
import type { Extent } from '../tree.ts';
import { createBackupLane } from './backup-lane.ts';
import type {
  BackupWorkerData,
  BackupWorkerSetup,
  FileOutcome,
  FileTask,
  FromBackupWorker,
  ToBackupWorker,
} from './backup-messages.ts';
import { SharedClaims } from './shared-claims.ts';

/** Limits that bound the memory of queued work. */
const maxQueuedFiles = 512;
const maxBatchFiles = 64;
const smallFileLimit = 256 * 1024;
const maxBatchBytes = 2 * 1024 * 1024;
/**
 * Files of at least twice this size are read in segments of this size (docs/FORMAT.md §5),
 * by all workers at once, so one large file (a disk image, a video) does not leave the
 * other cores idle.
 */
const defaultSegmentBytes = 32 * 1024 * 1024;
/**
 * Jobs a worker holds at once (one being processed, one ready); the others wait on the main
 * thread and go to whichever worker frees up first. Handed out ahead, the last segments of
 * a large file could queue behind one worker while the other had finished (docs/decisions/0017).
 */
const jobsPerWorker = 2;

/** Jobs the main thread's lane holds at once, besides workers (see `#feed`). */
const localJobs = 1;

/** Record slots per worker: one being filled while the main thread writes out the others. */
const recordSlotsPerWorker = 3;

/** What the pool needs of a lane: a `Worker`, or the main thread's own (`startLocalLane`). */
interface Lane {
  postMessage(message: ToBackupWorker, transfer?: ArrayBuffer[]): void;
  terminate(): Promise<unknown>;
}

interface WorkerState {
  readonly worker: Lane;
  /** The main thread's own lane, which takes a job only when every worker holds its share. */
  readonly local: boolean;
  /** Views of the worker's record slots (`BackupWorkerData.recordSlots`). */
  readonly slots: readonly Uint8Array[];
  queuedJobs: number;
  flushed: (() => void) | undefined;
}

interface QueuedFile {
  readonly task: FileTask;
  readonly size: number;
  readonly resolve: (outcome: FileOutcome) => void;
  readonly reject: (error: Error) => void;
}

/**
 * Receives a worker's sealed records (record i ends at `ends[i]`) in arrival order; resolves
 * once they are placed and calls `release` when their buffer may go back to the worker.
 */
export type RecordsSink = (records: Uint8Array, ends: readonly number[], release: () => void) => Promise<void>;

/**
 * The backup's lanes — worker threads and the main thread's own (`backup-lane.ts`), one
 * fewer worker than cores by default — seen from the main thread: hands out files (small
 * ones in batches), shares
 * the run's claims with them (`shared-claims.ts`: workers settle new chunks themselves),
 * answers the dedup queries they cannot settle (indexed blobs) against the index, and
 * passes sealed records to `onRecords`.
 */
export class BackupPool {
  readonly #workers: WorkerState[] = [];
  readonly #index: BlobIndex;
  readonly #claims: SharedClaims;
  /** Claims made once the shared table is full (decided here, on the main thread, alone). */
  readonly #overflow = new Set<string>();
  readonly #jobs = new Map<number, QueuedFile[]>();
  /** Jobs not yet handed to a worker, oldest first. */
  readonly #unassigned: { jobId: number; files: QueuedFile[] }[] = [];
  #drained: (() => void) | undefined;
  readonly #onRecords: RecordsSink;
  #records: Promise<void> = Promise.resolve();
  #nextJobId = 1;
  #batch: QueuedFile[] = [];
  #batchBytes = 0;
  #batchTimer: NodeJS.Immediate | undefined;
  #queuedFiles = 0;
  #capacityWaiters: (() => void)[] = [];
  #failure: Error | undefined;
  readonly #readAhead = new ReadAhead();

  readonly #setup: BackupWorkerSetup;
  readonly #workerCount: number;
  readonly #segmentBytes: number;

  constructor(
    setup: BackupWorkerSetup,
    index: BlobIndex,
    onRecords: RecordsSink,
    /** Worker threads besides the main thread, which backs up too. */
    workers = availableParallelism() - 1,
    segmentBytes = defaultSegmentBytes,
    claimSlots?: number,
  ) {
    this.#index = index;
    this.#claims = new SharedClaims(SharedClaims.allocate(index.size, claimSlots));
    this.#onRecords = onRecords;
    this.#setup = setup;
    this.#workerCount = Math.max(0, workers);
    // A segment holds several max-size chunks, so a join (less than one chunk past its
    // nominal offset) always falls inside it.
    this.#segmentBytes = Math.max(segmentBytes, 4 * setup.chunker.maxSize);
  }

  /** Workers start on the first file to read, so a backup with nothing new starts none. */
  #startWorkers(): void {
    if (this.#workers.length > 0) return;
    // The index filter only serves the workers: a backup that reads no file never builds it.
    this.#index.forEachId((ids, offset) => this.#claims.addIndexed(ids, offset));
    // Room for the largest record as a worker builds it: a max-size chunk compressed in place.
    const slotBytes = recordBound(this.#setup.chunker.maxSize);
    // The workers, then the main thread's lane (docs/decisions/0022-main-thread-lane.md).
    for (let i = 0; i <= this.#workerCount; i++) {
      // Shared, not transferred: records cross to the main thread without a copy and without
      // the external-memory accounting of transferred buffers, which set off a full
      // collection of the main heap every few dozen MiB (docs/decisions/0017).
      const recordSlots = Array.from({ length: recordSlotsPerWorker }, () => new SharedArrayBuffer(slotBytes));
      const workerData: BackupWorkerData = { ...this.#setup, claims: this.#claims.memory, recordSlots };
      const slots = recordSlots.map((memory) => new Uint8Array(memory));
      const local = i === this.#workerCount;
      let state: WorkerState;
      const onMessage = (message: FromBackupWorker): void => this.#handle(state, message);
      if (local) {
        state = { worker: startLocalLane(workerData, onMessage), local, slots, queuedJobs: 0, flushed: undefined };
      } else {
        const worker = new Worker(new URL('./backup-worker.ts', import.meta.url), {
          workerData,
          // A small young generation: the worker's garbage is tiny, its data lives in fixed buffers.
          resourceLimits: { maxYoungGenerationSizeMb: 4 },
        });
        worker.on('message', onMessage);
        worker.on('error', (error) => this.#fail(error));
        state = { worker, local, slots, queuedJobs: 0, flushed: undefined };
      }
      this.#workers.push(state);
    }
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    for (const files of this.#jobs.values()) for (const file of files) file.reject(error);
    this.#jobs.clear();
    this.#unassigned.length = 0;
    this.#drained?.();
    for (const waiter of this.#capacityWaiters) waiter();
    this.#capacityWaiters = [];
    for (const state of this.#workers) state.flushed?.();
  }

  /** True when `id` is stored or claimed by this run (so it need not be written again). */
  isKnown(id: Uint8Array): boolean {
    return this.#index.has(id) || this.#claims.has(id) || (this.#overflow.size > 0 && this.#overflow.has(toHex(id)));
  }

  /** Claims `id` for writing by the caller (tree blobs, and chunks the workers ask about); false if already known. */
  claim(id: Uint8Array): boolean {
    if (this.#index.has(id)) return false;
    const result = this.#claims.claim(id);
    if (result !== 'full') return result === 'claimed';
    const key = toHex(id);
    if (this.#overflow.has(key)) return false;
    this.#overflow.add(key);
    return true;
  }

  #handle(state: WorkerState, message: FromBackupWorker): void {
    switch (message.kind) {
      case 'query': {
        const count = message.ids.byteLength / 32;
        const needed = new Uint8Array(count);
        for (let i = 0; i < count; i++) needed[i] = this.claim(message.ids.subarray(i * 32, i * 32 + 32)) ? 1 : 0;
        this.#post(state, { kind: 'answer', queryId: message.queryId, needed });
        break;
      }
      case 'records': {
        // Records are placed strictly in arrival order; the buffer goes back once released
        // (copied into a pack, or written to the store).
        const { slot, length, ends } = message;
        const bytes = state.slots[slot]!.subarray(0, length);
        const recycle = (): void => this.#post(state, { kind: 'recycle', slot });
        this.#records = this.#records
          .then(() => this.#onRecords(bytes, ends, recycle))
          .catch((error: Error) => this.#fail(error));
        break;
      }
      case 'result': {
        const files = this.#jobs.get(message.jobId);
        if (!files) return;
        this.#jobs.delete(message.jobId);
        state.queuedJobs -= 1;
        this.#feed();
        for (const [i, outcome] of message.files.entries()) files[i]!.resolve(outcome);
        this.#queuedFiles -= files.length;
        const waiters = this.#capacityWaiters;
        this.#capacityWaiters = [];
        for (const waiter of waiters) waiter();
        break;
      }
      case 'flushed':
        state.flushed?.();
        state.flushed = undefined;
        break;
      case 'fatal':
        this.#fail(new Error(`backup worker failed: ${message.message}`));
        break;
    }
  }

  #post(state: WorkerState, message: ToBackupWorker, transfer: ArrayBuffer[] = []): void {
    state.worker.postMessage(message, transfer);
  }

  #dispatch(): void {
    if (this.#batchTimer) clearImmediate(this.#batchTimer);
    this.#batchTimer = undefined;
    if (this.#batch.length === 0) return;
    this.#startWorkers();
    const files = this.#batch;
    this.#batch = [];
    this.#batchBytes = 0;
    const jobId = this.#nextJobId++;
    this.#jobs.set(jobId, files);
    this.#unassigned.push({ jobId, files });
    this.#feed();
  }

  /**
   * Hands waiting jobs to the least busy workers while one holds fewer than `jobsPerWorker`,
   * then to the main thread's lane, which holds one at most (all of them when it has no
   * worker): its other work — the folder walk, trees, packs, every message — comes first,
   * and it holds all of that up while it chunks.
   */
  #feed(): void {
    while (this.#unassigned.length > 0) {
      let state: WorkerState | undefined;
      for (const candidate of this.#workers) {
        if (candidate.local || candidate.queuedJobs >= jobsPerWorker) continue;
        if (!state || candidate.queuedJobs < state.queuedJobs) state = candidate;
      }
      if (!state) {
        const local = this.#workers[this.#workers.length - 1]!;
        if (local.queuedJobs >= (this.#workers.length === 1 ? jobsPerWorker : localJobs)) return;
        state = local;
      }
      const { jobId, files } = this.#unassigned.shift()!;
      state.queuedJobs += 1;
      this.#post(state, { kind: 'job', jobId, files: files.map((file) => file.task) });
    }
    this.#drained?.();
    this.#drained = undefined;
  }

  /**
   * Queues a file; resolves once it is queued (waiting while too much work is queued, which
   * bounds memory) with `outcome`, which resolves with the file's content once every new
   * blob of it has been claimed and handed to a pack. A large file is queued as segments
   * for all workers and its outcome joins theirs.
   */
  async submit(path: string, size: number): Promise<{ outcome: Promise<FileOutcome> }> {
    // Segmented whatever the number of workers: where a file is cut must depend on its
    // bytes alone, so two machines (or two runs) store the same file as the same chunks.
    const segments = Math.floor(size / this.#segmentBytes);
    if (segments < 2) return this.#queue({ path }, size);
    const parts: Promise<FileOutcome>[] = [];
    for (let i = 0; i < segments; i++) {
      const from = i * this.#segmentBytes;
      const task = i === segments - 1 ? { path, from } : { path, from, to: from + this.#segmentBytes };
      parts.push((await this.#queue(task, this.#segmentBytes)).outcome);
    }
    return { outcome: Promise.all(parts).then((outcomes) => this.#joinSegments(path, size, outcomes)) };
  }

  /**
   * Queues one task; resolves once queued with the promise of its outcome (wrapped: an
   * async function returning a bare promise would wait for it).
   */
  async #queue(task: FileTask, size: number): Promise<{ outcome: Promise<FileOutcome> }> {
    while (this.#queuedFiles >= maxQueuedFiles && !this.#failure) {
      this.#dispatch();
      await new Promise<void>((resolve) => this.#capacityWaiters.push(resolve));
    }
    if (this.#failure) throw this.#failure;
    this.#queuedFiles += 1;
    // Whole small files only: a segment's file is large, and the kernel reads ahead in it.
    if (task.from === undefined) this.#readAhead.add(task.path, size);
    const outcome = new Promise<FileOutcome>((resolve, reject) => {
      const file = { task, size, resolve, reject };
      if (size > smallFileLimit) {
        this.#dispatch();
        this.#batch = [file];
        this.#dispatch();
        return;
      }
      this.#batch.push(file);
      this.#batchBytes += size;
      if (this.#batch.length >= maxBatchFiles || this.#batchBytes >= maxBatchBytes) this.#dispatch();
      else this.#batchTimer ??= setImmediate(() => this.#dispatch());
    });
    return { outcome };
  }

  /**
   * One outcome from a large file's segments. Each segment reports the file offsets it
   * covers; if they do not join end to start, the file changed between the workers' reads,
   * and it is read again whole by one worker.
   */
  async #joinSegments(path: string, size: number, outcomes: readonly FileOutcome[]): Promise<FileOutcome> {
    const joined = joinSegments(outcomes);
    if (joined) return joined;
    const bytesRead = outcomes.reduce((sum, outcome) => sum + outcome.bytesRead, 0);
    const again = await (await this.#queue({ path }, size)).outcome;
    return { ...again, bytesRead: bytesRead + again.bytesRead };
  }

  /** Waits until every worker has finished its jobs and every record was handed to `onRecords`. */
  async finish(): Promise<void> {
    this.#dispatch();
    // Every job is with a worker before the workers are asked to flush.
    if (this.#unassigned.length > 0) await new Promise<void>((resolve) => (this.#drained = resolve));
    await Promise.all(
      this.#workers.map(
        (state) =>
          new Promise<void>((resolve) => {
            state.flushed = resolve;
            this.#post(state, { kind: 'flush' });
          }),
      ),
    );
    await this.#records;
    if (this.#failure) throw this.#failure;
  }

  /** Stops the workers (after `finish`, or to abandon a failed run). */
  async close(): Promise<void> {
    await Promise.all([...this.#workers.map((state) => state.worker.terminate()), this.#readAhead.settled()]);
  }
}

/**
 * The outcome of a whole file from its segments' outcomes, in file order: their extents one
 * after another (zero runs that meet at a join become one run, as one pass records them), or
 * the first segment's error. `undefined` when the segments do not join end to start — the
 * file changed between the workers' reads, and must be read again.
 */
export function joinSegments(outcomes: readonly FileOutcome[]): FileOutcome | undefined {
  const bytesRead = outcomes.reduce((sum, outcome) => sum + outcome.bytesRead, 0);
  const failed = outcomes.find((outcome) => outcome.error !== undefined);
  if (failed) return { extents: [], bytesRead, error: failed.error };
  const joined = outcomes.every((outcome, i) =>
    i === 0 ? outcome.span?.start === 0 : outcome.span?.start === outcomes[i - 1]!.span?.end,
  );
  if (!joined) return undefined;
  const extents: Extent[] = [];
  for (const outcome of outcomes) {
    for (const extent of outcome.extents) {
      const last = extents[extents.length - 1];
      if (last && 'zeros' in last && 'zeros' in extent)
        extents[extents.length - 1] = { zeros: last.zeros + extent.zeros };
      else extents.push(extent);
    }
  }
  return { extents, bytesRead, error: undefined };
}

/**
 * The main thread's own backup lane: messages each way are delivered asynchronously and in
 * order, like a worker's, and the lane lets the event loop run after each block it reads.
 */
function startLocalLane(data: BackupWorkerData, onMessage: (message: FromBackupWorker) => void): Lane {
  const lane = createBackupLane(
    data,
    (message) => queueMicrotask(() => onMessage(message)),
    () => new Promise<void>((resolve) => setImmediate(resolve)),
  );
  return {
    postMessage: (message) => setImmediate(() => lane.receive(message)),
    terminate: async () => undefined,
  };
}
