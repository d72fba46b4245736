import { close, open, read } from 'node:fs';

/** The three calls a read-ahead makes (tests pass their own); node:fs's callback API by default. */
export interface ReadAheadFs {
  open(path: string, flags: 'r', callback: (error: Error | null, fd: number) => void): void;
  read(
    fd: number,
    buffer: Buffer,
    offset: number,
    length: number,
    position: number,
    callback: (error: Error | null) => void,
  ): void;
  close(fd: number, callback: (error: Error | null) => void): void;
}

const nodeFs: ReadAheadFs = { open, read, close };

/** Files up to this size are read ahead whole; larger ones rely on the kernel's sequential read-ahead. */
const wholeFileLimit = 1024 * 1024;
/** Reads in flight at once (the libuv pool has four threads; pack writes need one). */
const concurrency = 3;
/** Files waiting to be read ahead; beyond this the walk is far enough ahead of the workers. */
const maxWaiting = 1024;

/**
 * Reads small files into the page cache shortly before a backup worker reads them. Workers
 * read with synchronous calls, one file at a time each; on a cold cache a tree of small
 * files is then bound by one disk round trip per file per worker (1.36 s for the 9,263
 * source files of the benchmark corpus read one after another, against 0.14 s for a 205 MB
 * disk image). A few reads in flight ahead of them turn that latency into throughput. The
 * bytes read here are thrown away; errors are left for the worker to meet and report.
 * Callbacks rather than `fs/promises`: a FileHandle per file cost twice the CPU.
 */
export class ReadAhead {
  readonly #waiting: string[] = [];
  readonly #buffers: Buffer[] = [];
  #running = 0;
  #stopped = false;
  readonly #fs: ReadAheadFs;

  constructor(fs: ReadAheadFs = nodeFs) {
    this.#fs = fs;
  }

  /** Queues `path` (of `size` bytes) for reading ahead, in the order the workers will read it. */
  add(path: string, size: number): void {
    if (this.#stopped || size === 0 || size > wholeFileLimit || this.#waiting.length >= maxWaiting) return;
    this.#waiting.push(path);
    if (this.#running < concurrency) {
      this.#running += 1;
      this.#next(this.#buffers.pop() ?? Buffer.allocUnsafeSlow(wholeFileLimit));
    }
  }

  /** Stops reading ahead (the backup ended). */
  stop(): void {
    this.#stopped = true;
    this.#waiting.length = 0;
  }

  /** Reads the next waiting file into `buffer`, then the one after, until none waits. */
  #next(buffer: Buffer): void {
    const path = this.#waiting.shift();
    if (path === undefined) {
      this.#buffers.push(buffer);
      this.#running -= 1;
      return;
    }
    this.#fs.open(path, 'r', (openError, fd) => {
      // The worker reads the file itself and reports what is wrong with it.
      if (openError) return this.#next(buffer);
      this.#fs.read(fd, buffer, 0, buffer.byteLength, 0, () => {
        this.#fs.close(fd, () => this.#next(buffer));
      });
    });
  }
}
