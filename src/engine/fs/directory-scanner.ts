import type { BigIntStats } from 'node:fs';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';

/** One entry of a directory listing: its `lstat` result or why there is none. */
export interface ScannedEntry {
  readonly name: string;
  readonly path: string;
  readonly stats: BigIntStats | undefined;
  readonly error: Error | undefined;
}

/** A directory's entries in `readdir` order (excluded ones left out), or why it could not be read. */
export interface Listing {
  readonly entries: readonly ScannedEntry[];
  readonly error: Error | undefined;
}

/** Directory listings started ahead of the walk at most (in flight or waiting to be taken). */
const maxDirectoriesAhead = 128;
/** Entries held in listings that the walk has not taken yet, at most (≈ 0.5 KiB each). */
const maxEntriesAhead = 16_384;
/** Directories listed at the same time; each also has all its `lstat`s in flight. */
const maxConcurrentListings = 8;

interface Slot {
  readonly path: string;
  promise: Promise<Listing> | undefined;
  size: number;
}

/**
 * Lists directories ahead of a depth-first walk: `readdir` and an `lstat` of every entry
 * through the libuv pool, several directories at once, so a cold walk waits on many disk
 * reads in parallel instead of one after another. The walk itself stays sequential (it
 * calls `take` in its own order, so the order files are read and packed in does not
 * change); subdirectories are queued as soon as their parent's listing arrives, those of
 * the most recently listed directory first, which approximates the walk's order. Memory
 * is bounded by `maxDirectoriesAhead` and `maxEntriesAhead`.
 */
export class DirectoryScanner {
  readonly #excluded: (path: string) => boolean;
  readonly #slots = new Map<string, Slot>();
  /** Directories discovered but not started, next first. */
  #queue: string[] = [];
  #running = 0;
  #entriesAhead = 0;

  constructor(roots: readonly string[], excluded: (path: string) => boolean) {
    this.#excluded = excluded;
    this.#queue = [...roots];
    this.#pump();
  }

  /** The listing of `path` (started now if it was not prefetched); each path is taken once. */
  take(path: string): Promise<Listing> {
    let slot = this.#slots.get(path);
    if (!slot) {
      const queued = this.#queue.indexOf(path);
      if (queued >= 0) this.#queue.splice(queued, 1);
      slot = this.#start(path);
    }
    this.#slots.delete(path);
    const promise = slot.promise!;
    void promise.then(() => {
      this.#entriesAhead -= slot.size;
      slot.size = 0;
      this.#pump();
    });
    return promise;
  }

  #start(path: string): Slot {
    const slot: Slot = { path, promise: undefined, size: 0 };
    this.#slots.set(path, slot);
    this.#running += 1;
    slot.promise = this.#list(path).then((listing) => {
      this.#running -= 1;
      if (this.#slots.get(path) === slot) {
        slot.size = listing.entries.length;
        this.#entriesAhead += slot.size;
      }
      const children: string[] = [];
      for (const entry of listing.entries) if (entry.stats?.isDirectory()) children.push(entry.path);
      if (children.length > 0) this.#queue = children.concat(this.#queue);
      this.#pump();
      return listing;
    });
    return slot;
  }

  #pump(): void {
    while (
      this.#queue.length > 0 &&
      this.#running < maxConcurrentListings &&
      this.#slots.size < maxDirectoriesAhead &&
      this.#entriesAhead < maxEntriesAhead
    ) {
      const path = this.#queue.shift()!;
      if (!this.#slots.has(path)) this.#start(path);
    }
  }

  async #list(path: string): Promise<Listing> {
    let names: string[];
    try {
      names = await fsp.readdir(path);
    } catch (error) {
      return { entries: [], error: error as Error };
    }
    const excluded = this.#excluded;
    const entries = await Promise.all(
      names
        .map((name) => ({ name, path: join(path, name) }))
        .filter((entry) => !excluded(entry.path))
        .map(({ name, path: child }) =>
          fsp.lstat(child, { bigint: true }).then(
            (stats): ScannedEntry => ({ name, path: child, stats, error: undefined }),
            (error: Error): ScannedEntry => ({ name, path: child, stats: undefined, error }),
          ),
        ),
    );
    return { entries, error: undefined };
  }
}
