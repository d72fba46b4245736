import { closeSync, openSync, readSync } from 'node:fs';
import { nonceLength } from '../aead.ts';
import { computeBlobId } from '../blob-id.ts';
import { ByteCopies } from '../bytes.ts';
import { Chunker } from '../chunker.ts';
import { BlobCompressor } from '../compression.ts';
import { blobTypeData, flagCompressed } from '../format.ts';
import { recordBound, recordHeaderLength, sealRecord } from '../pack.ts';
import type { Extent } from '../tree.ts';
import type { BackupWorkerData, FileOutcome, FileTask, FromBackupWorker, ToBackupWorker } from './backup-messages.ts';
import { noteProcessed } from './garbage.ts';
import { SharedClaims } from './shared-claims.ts';

const readBlock = 1024 * 1024;
/** Zero runs are detected in blocks of this size at chunk starts (docs/FORMAT.md §5). */
const zeroBlock = 64 * 1024;
const zeros = new Uint8Array(zeroBlock);
const zeroReadSize = 256 * 1024;
/** A segment join is searched from this far before its nominal offset (see `findJoin`). */
const segmentWarmup = 2 * 1024 * 1024;
/** Records go to the main thread in batches of about this many bytes (see `sendRecords`). */
const recordBatchBytes = 1024 * 1024;

/** One chunk waiting for the dedup answer; `view` points into the read window. */
interface PendingChunk {
  readonly id: Uint8Array;
  readonly view: Uint8Array;
}

/** What a walk along a file's chunk chain found. */
interface ChainWalk {
  readonly extents: Extent[];
  readonly bytesRead: number;
  /** File offset where the walk stopped: a chunk boundary, `limit`, or the end of the file. */
  readonly end: number;
}

function isZero(bytes: Uint8Array): boolean {
  return Buffer.compare(bytes, zeros.subarray(0, bytes.byteLength)) === 0;
}

function readInto(fd: number, target: Uint8Array, offset: number, length: number, position: number): number {
  let total = 0;
  while (total < length) {
    const read = readSync(fd, target, offset + total, length - total, position + total);
    if (read === 0) break;
    total += read;
  }
  return total;
}

/** A backup lane as its pool sees it: it takes the pool's messages and answers through `send`. */
export interface BackupLane {
  receive(message: ToBackupWorker): void;
}

/**
 * A backup lane — a worker thread's, or the main thread's own (`backup-pool.ts`): reads files
 * with synchronous I/O, chunks them, computes keyed IDs, claims the new ones in the run's
 * shared claims (asking the pool only about blobs that may be indexed), then compresses and
 * seals those into pack records that the main thread assembles into packs. Memory is fixed
 * per lane: one read window and three shared record buffers (each filled to about 1 MiB, or
 * one record), reused.
 */
export function createBackupLane(
  setup: BackupWorkerData,
  send: (message: FromBackupWorker, transfer?: ArrayBuffer[]) => void,
  /**
   * Awaited after each read block and each sealed blob: the main thread's lane lets its event
   * loop run there (a worker's has nothing else to do).
   */
  pause?: () => Promise<void>,
): BackupLane {
  const claims = new SharedClaims(setup.claims);
  const chunker = new Chunker(setup.gear, setup.chunker);
  const { maxSize } = setup.chunker;
  /**
   * Read window: room for a max-size chunk and one read block; pending chunks live here until
   * flushed. Every byte of it is touched, in each lane: one read block of room (not two) is
   * 1 MiB less per worker, in the same time (docs/decisions/0021-record-batches-ids-and-restore-ranges.md).
   */
  const windowSize = maxSize + readBlock;
  // In the chunker's WebAssembly memory, where its boundary scan runs compiled.
  const window = chunker.allocate(windowSize);
  const compressor = new BlobCompressor(setup.compressionLevel);

  let nextQueryId = 1;
  const waitingQueries = new Map<number, (needed: Uint8Array) => void>();
  /**
   * Record buffers: shared memory the main thread reads sealed records from (and writes them to
   * the pack from) in place; a slot is free again once the main thread recycles it.
   */
  const slots = setup.recordSlots.map((memory) => new Uint8Array(memory));
  const freeSlots = slots.map((_, slot) => slot).reverse();
  let slotWaiter: (() => void) | undefined;
  const jobs: { jobId: number; files: readonly FileTask[] }[] = [];
  let running = false;
  let flushRequested = false;

  let pending: PendingChunk[] = [];

  async function takeSlot(): Promise<number> {
    while (freeSlots.length === 0) {
      await new Promise<void>((resolve) => {
        slotWaiter = resolve;
      });
    }
    return freeSlots.pop()!;
  }

  /**
   * The record slot being filled (-1: none), the bytes in it and where each record in it ends.
   * Records travel to the main thread several to a message (a message and its way back cost
   * ~30–45 µs each, and a backup seals a record per new file of a tree of small files); a slot
   * is sent before a record that might take it past `recordBatchBytes` (a record larger than
   * that goes alone), or when the pending chunks are flushed. A slot has room for a max-size
   * record, but only the bytes records reach are touched: batches that could overshoot by a
   * record touched each slot up to 1 MiB more.
   */
  let recordSlot = -1;
  let recordBytes = 0;
  let recordEnds: number[] = [];

  function sendRecords(): void {
    if (recordSlot < 0 || recordEnds.length === 0) return;
    send({ kind: 'records', slot: recordSlot, length: recordBytes, ends: recordEnds });
    recordSlot = -1;
    recordBytes = 0;
    recordEnds = [];
  }

  async function addBlob(id: Uint8Array, plain: Uint8Array): Promise<void> {
    // Room for the record in the worst case, so the blob is compressed straight into the slot
    // where it is then sealed in place: a buffer of the compressor's own, grown to the largest
    // frame, cost each worker up to a max-size chunk of memory and a copy of every frame.
    if (recordSlot >= 0 && recordBytes > 0) {
      const limit = Math.min(recordBatchBytes, slots[recordSlot]!.byteLength);
      if (recordBytes + recordBound(plain.byteLength) > limit) sendRecords();
    }
    if (recordSlot < 0) recordSlot = await takeSlot();
    const record = slots[recordSlot]!.subarray(recordBytes);
    const payloadAt = recordHeaderLength + nonceLength;
    const compressed = compressor.compressInto(plain, record.subarray(payloadAt));
    const payload = compressed >= 0 ? record.subarray(payloadAt, payloadAt + compressed) : plain;
    const length = sealRecord(
      setup.blobKey,
      id,
      blobTypeData,
      compressed >= 0 ? flagCompressed : 0,
      plain.byteLength,
      payload,
      record,
    );
    recordBytes += length;
    recordEnds.push(recordBytes);
    if (recordBytes >= recordBatchBytes) sendRecords();
    noteProcessed(plain.byteLength);
  }

  /**
   * Settles which pending chunks are new, then packs those. A chunk that is certainly not
   * indexed is claimed in the shared table; the main thread is asked only about the others
   * (possibly indexed, or the table is full).
   */
  async function flushPending(): Promise<void> {
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    const fresh: PendingChunk[] = [];
    const asked: PendingChunk[] = [];
    for (const chunk of batch) {
      // Possibly indexed: only the main thread, which holds the index, can tell.
      if (claims.mightBeIndexed(chunk.id)) {
        asked.push(chunk);
        continue;
      }
      const claim = claims.claim(chunk.id);
      if (claim === 'claimed') fresh.push(chunk);
      else if (claim === 'full') asked.push(chunk);
    }
    if (asked.length > 0) {
      const ids = new Uint8Array(asked.length * 32);
      for (const [i, chunk] of asked.entries()) ids.set(chunk.id, i * 32);
      const queryId = nextQueryId++;
      const answer = new Promise<Uint8Array>((resolve) => waitingQueries.set(queryId, resolve));
      send({ kind: 'query', queryId, ids }, [ids.buffer]);
      const needed = await answer;
      for (const [i, chunk] of asked.entries()) if (needed[i] === 1) fresh.push(chunk);
    }
    for (const chunk of fresh) {
      await addBlob(chunk.id, chunk.view);
      if (pause) await pause();
    }
    sendRecords();
  }

  /**
   * The current job's blob IDs, in a few shared blocks: the job's result carries them to the
   * main thread, where each would otherwise arrive as an ArrayBuffer of its own (~200 B of
   * heap and malloc per ID, kept while its folder is walked).
   */
  let jobIds = new ByteCopies();

  /** Windows hold the bytes of pending chunks; `start` is the first byte not yet chunked. */
  let windowEnd = 0;

  /**
   * Walks the chunk chain of `fd` from file offset `from`: a zero run at a chunk start becomes
   * a sparse extent of whole 64 KiB blocks, anything else a FastCDC chunk. Reading stops at
   * `limit` (a segment's end counts as the end of the file). With `record`, every chunk gets
   * its keyed ID and joins `pending`; without, the walk only looks for the first chain
   * position at or after `stopAt` (a segment join) and touches nothing but the window.
   */
  async function walkChain(
    fd: number,
    from: number,
    limit: number,
    record: boolean,
    stopAt = Number.POSITIVE_INFINITY,
  ): Promise<ChainWalk> {
    const extents: Extent[] = [];
    let bytesRead = 0;
    let start = windowEnd;
    /** File offset of `window[windowEnd]`. */
    let position = from;
    let eof = false;
    const chainAt = () => position - (windowEnd - start);
    const slide = async () => {
      if (record) await flushPending();
      window.copyWithin(0, start, windowEnd);
      windowEnd -= start;
      start = 0;
    };
    const fill = (length: number) => {
      const wanted = Math.min(length, limit - position);
      const read = wanted > 0 ? readInto(fd, window, windowEnd, wanted, position) : 0;
      if (read === 0) eof = true;
      windowEnd += read;
      position += read;
      bytesRead += read;
    };
    while (chainAt() < stopAt) {
      // Fill until a max-size chunk fits after `start`, or the file ends.
      while (!eof && windowEnd - start < maxSize) {
        if (windowEnd + readBlock > windowSize) await slide();
        fill(readBlock);
        if (pause) await pause();
      }
      if (start === windowEnd) break;
      // A zero run at a chunk start becomes a sparse extent of whole 64 KiB blocks.
      let zeroRun = 0;
      while (
        windowEnd - start >= zeroBlock &&
        chainAt() < stopAt &&
        isZero(window.subarray(start, start + zeroBlock))
      ) {
        zeroRun += zeroBlock;
        start += zeroBlock;
        if (!eof && windowEnd - start < zeroBlock) {
          await slide();
          // Small reads into the same cache-resident bytes: long zero runs (sparse files) then
          // cost little more than the kernel's zero fill.
          fill(Math.min(zeroReadSize, windowSize - windowEnd));
        }
      }
      if (zeroRun > 0) {
        if (!record) continue;
        const last = extents[extents.length - 1];
        if (last && 'zeros' in last) extents[extents.length - 1] = { zeros: last.zeros + zeroRun };
        else extents.push({ zeros: zeroRun });
        continue;
      }
      const length = chunker.cut(window, start, windowEnd);
      if (record) {
        const view = window.subarray(start, start + length);
        const id = jobIds.copy(computeBlobId(setup.idKey, view));
        extents.push({ blob: id, length });
        pending.push({ id, view });
      }
      start += length;
    }
    return { extents, bytesRead, end: chainAt() };
  }

  /**
   * Where a segment of a large file starts: the first position at or after the nominal
   * offset `split` of a chunk chain started `segmentWarmup` bytes earlier. That chain meets
   * the file's own chain (FastCDC boundaries depend on the last 32 bytes and the distance to
   * the previous boundary) long before `split` in all but rare cases, so segments join where
   * one worker reading the whole file would have cut; either way the join depends on the
   * bytes alone, so unchanged files always cut the same.
   */
  async function findJoin(fd: number, split: number): Promise<number> {
    await flushPending();
    windowEnd = 0;
    const { end } = await walkChain(fd, Math.max(0, split - segmentWarmup), Number.POSITIVE_INFINITY, false, split);
    windowEnd = 0;
    return end;
  }

  async function processFile(task: FileTask): Promise<FileOutcome> {
    let fd: number;
    try {
      fd = openSync(task.path, 'r');
    } catch (error) {
      return { extents: [], bytesRead: 0, error: (error as Error).message };
    }
    let bytesRead = 0;
    try {
      if (task.from === undefined && task.to === undefined) {
        const walk = await walkChain(fd, 0, Number.POSITIVE_INFINITY, true);
        return { extents: walk.extents, bytesRead: walk.bytesRead, error: undefined };
      }
      const start = task.from ? await findJoin(fd, task.from) : 0;
      const limit = task.to === undefined ? Number.POSITIVE_INFINITY : await findJoin(fd, task.to);
      const walk = await walkChain(fd, start, limit, true);
      bytesRead = walk.bytesRead;
      return { extents: walk.extents, bytesRead, error: undefined, span: { start, end: walk.end } };
    } catch (error) {
      return { extents: [], bytesRead, error: (error as Error).message };
    } finally {
      closeSync(fd);
    }
  }

  async function runJobs(): Promise<void> {
    if (running) return;
    running = true;
    try {
      while (jobs.length > 0) {
        const job = jobs.shift()!;
        const outcomes: FileOutcome[] = [];
        jobIds = new ByteCopies();
        for (const file of job.files) outcomes.push(await processFile(file));
        // Chunks of a job must be answered before the job's result, so the main thread can
        // record the file only once all of its blobs are claimed.
        await flushPending();
        windowEnd = 0;
        send({ kind: 'result', jobId: job.jobId, files: outcomes });
      }
      if (flushRequested) {
        flushRequested = false;
        send({ kind: 'flushed' });
      }
    } catch (error) {
      send({ kind: 'fatal', message: (error as Error).stack ?? String(error) });
    } finally {
      running = false;
    }
  }

  return {
    receive(message: ToBackupWorker): void {
      switch (message.kind) {
        case 'job':
          jobs.push(message);
          void runJobs();
          break;
        case 'answer':
          waitingQueries.get(message.queryId)?.(message.needed);
          waitingQueries.delete(message.queryId);
          break;
        case 'recycle':
          freeSlots.push(message.slot);
          slotWaiter?.();
          slotWaiter = undefined;
          break;
        case 'flush':
          flushRequested = true;
          void runJobs();
          break;
      }
    },
  };
}
