import { closeSync, openSync, read } from 'node:fs';

/** Files up to this size are read ahead; larger ones are left to the kernel's read-ahead. */
export const readAheadLimit = 1024 * 1024;
/**
 * Bytes read at the start of a file: all of most small files. Of a larger one the kernel,
 * seeing a read from the start, reads ahead further by itself.
 */
const scratchBytes = 256 * 1024;
/** Reads in flight at once; the CLI gives libuv's pool as many threads (bin/coffer.js). */
export const readsInFlight = 16;
/**
 * Paths waiting for a read, at most. When the reads fall behind, the oldest waiting path is
 * dropped: the workers, given files in the same order, have most likely read it already.
 */
export const maxWaiting = 512;

/**
 * Reads small files into the page cache shortly before the backup workers read them, several
 * at a time on libuv's pool. A worker reads its files one after another, so every cold small
 * file was a wait on the disk; with reads in flight together the disk serves them in
 * parallel and the workers find the bytes cached (docs/decisions/0019-engine-reads-in-parallel.md).
 * The file is opened synchronously (its inode is cached: the walk has just `lstat`ed it), so
 * each file costs the main thread one callback. The bytes land in a scratch buffer nobody
 * reads; a file that cannot be opened or read is skipped here and reported by the worker.
 */
export class ReadAhead {
  #scratch: Buffer | undefined;
  /**
   * Waiting paths, a ring of `maxWaiting` from `#head`. (An array consumed from its head
   * and emptied only when every entry had been taken kept every path of a backup whose
   * reads never quite caught up: ~100 B per file, 16 MiB for 150,000 files.)
   */
  readonly #waiting: (string | undefined)[] = new Array(maxWaiting);
  #head = 0;
  #count = 0;
  #inFlight = 0;
  #idle: (() => void)[] = [];

  /** Paths waiting for a read. */
  get waiting(): number {
    return this.#count;
  }

  /** Queues `path` (of `size` bytes) unless it is empty or larger than `readAheadLimit`. */
  add(path: string, size: number): void {
    if (size === 0 || size > readAheadLimit) return;
    if (this.#count === maxWaiting) this.#take();
    this.#waiting[(this.#head + this.#count) % maxWaiting] = path;
    this.#count += 1;
    this.#pump();
  }

  /** Removes and returns the oldest waiting path. */
  #take(): string {
    const path = this.#waiting[this.#head]!;
    this.#waiting[this.#head] = undefined;
    this.#head = (this.#head + 1) % maxWaiting;
    this.#count -= 1;
    return path;
  }

  /** Resolves once every queued read has finished. */
  settled(): Promise<void> {
    if (this.#inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #pump(): void {
    while (this.#inFlight < readsInFlight && this.#count > 0) this.#warm(this.#take());
    if (this.#inFlight === 0) {
      const waiting = this.#idle;
      this.#idle = [];
      for (const resolve of waiting) resolve();
    }
  }

  #warm(path: string): void {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch {
      return;
    }
    this.#scratch ??= Buffer.allocUnsafe(scratchBytes);
    this.#inFlight += 1;
    read(fd, this.#scratch, 0, scratchBytes, 0, () => {
      try {
        closeSync(fd);
      } catch {
        // A read-only descriptor whose bytes nobody uses: nothing is lost.
      }
      this.#inFlight -= 1;
      this.#pump();
    });
  }
}
