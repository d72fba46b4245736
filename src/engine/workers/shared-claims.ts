/**
 * Which blobs a backup run still has to write, decided in memory shared by the main thread
 * and the backup workers, so a worker that meets a new chunk claims it and goes on without
 * a round trip to the main thread. On two busy cores that round trip waited for the main
 * thread to be scheduled: ~0.8 ms each, 1.3 s per worker in a 7 s initial backup
 * (docs/decisions/0016-engine-shared-claims.md).
 *
 * Two structures, both in `SharedArrayBuffer`s:
 * - a Bloom filter of the blob IDs indexed when the workers start (16 bits and 4 probes per
 *   blob, ~0.2 % false positives). "Not in the filter" means "not in the index"; a positive
 *   is settled by the main thread, which holds the index;
 * - an open-addressing table of the IDs claimed in this run (full 32-byte IDs), where
 *   claiming is a compare-and-swap on the slot's state, so two threads that meet the same
 *   chunk at once cannot both write it. At half full it takes no more claims and the main
 *   thread decides the rest (its own overflow set).
 *
 * Blob IDs are MAC outputs: any four of their bytes are a uniform hash.
 */

/** What `claim` found. */
export type ClaimResult = 'claimed' | 'taken' | 'full';

/** The shared memory of a run's claims, passed to the workers in their setup. */
export interface SharedClaimsMemory {
  readonly filter: SharedArrayBuffer;
  readonly table: SharedArrayBuffer;
}

const empty = 0;
const writing = 1;
const ready = 2;
const idLength = 32;
/** Table header: one Int32 counting the claims. */
const headerBytes = 8;

function word(id: Uint8Array, at: number): number {
  return (id[at]! | (id[at + 1]! << 8) | (id[at + 2]! << 16) | (id[at + 3]! << 24)) >>> 0;
}

export class SharedClaims {
  readonly memory: SharedClaimsMemory;
  readonly #filter: Int32Array;
  readonly #filterMask: number;
  readonly #count: Int32Array;
  readonly #states: Int32Array;
  readonly #ids: Uint8Array;
  readonly #mask: number;
  readonly #maxClaims: number;

  /**
   * Memory for a run: a filter sized for `indexedBlobs` and a table of `tableSlots` (a
   * power of two). Untouched pages of a `SharedArrayBuffer` cost no memory, so the table's
   * resident size grows with the claims made (~4 KiB each until it is dense).
   */
  static allocate(indexedBlobs: number, tableSlots = 1 << 18): SharedClaimsMemory {
    if (!Number.isInteger(Math.log2(tableSlots))) throw new RangeError('tableSlots must be a power of two');
    const filterBits = Math.max(1 << 13, 2 ** Math.ceil(Math.log2(Math.max(1, indexedBlobs) * 16)));
    return {
      filter: new SharedArrayBuffer(filterBits / 8),
      table: new SharedArrayBuffer(headerBytes + tableSlots * 4 + tableSlots * idLength),
    };
  }

  constructor(memory: SharedClaimsMemory) {
    this.memory = memory;
    this.#filter = new Int32Array(memory.filter);
    this.#filterMask = memory.filter.byteLength * 8 - 1;
    const slots = (memory.table.byteLength - headerBytes) / (4 + idLength);
    this.#count = new Int32Array(memory.table, 0, 1);
    this.#states = new Int32Array(memory.table, headerBytes, slots);
    this.#ids = new Uint8Array(memory.table, headerBytes + slots * 4, slots * idLength);
    this.#mask = slots - 1;
    this.#maxClaims = slots / 2;
  }

  /**
   * Adds an indexed blob's ID (`ids` from `offset`) to the filter. Main thread, before the
   * workers start: they see the filter as it was when they were created.
   */
  addIndexed(ids: Uint8Array, offset = 0): void {
    for (let probe = 0; probe < 4; probe++) {
      const bit = word(ids, offset + 4 + probe * 4) & this.#filterMask;
      this.#filter[bit >>> 5]! |= 1 << (bit & 31);
    }
  }

  /** False when the blob was certainly not indexed when the workers started. */
  mightBeIndexed(id: Uint8Array): boolean {
    for (let probe = 0; probe < 4; probe++) {
      const bit = word(id, 4 + probe * 4) & this.#filterMask;
      if ((this.#filter[bit >>> 5]! & (1 << (bit & 31))) === 0) return false;
    }
    return true;
  }

  #sameId(slot: number, id: Uint8Array): boolean {
    const base = slot * idLength;
    for (let i = 0; i < idLength; i++) if (this.#ids[base + i] !== id[i]) return false;
    return true;
  }

  /** Waits while another thread writes the ID of `slot` (a few stores; it may be descheduled). */
  #settled(slot: number): number {
    for (let spins = 0; ; spins++) {
      const state = Atomics.load(this.#states, slot);
      if (state !== writing) return state;
      if (spins > 64) Atomics.wait(this.#states, slot, writing, 1);
    }
  }

  /**
   * Claims `id` for writing in this run: `claimed` if the caller is the first and must
   * write the blob, `taken` if it was claimed before, `full` if the table takes no more
   * claims and the caller must ask the main thread.
   */
  claim(id: Uint8Array): ClaimResult {
    const open = Atomics.load(this.#count, 0) < this.#maxClaims;
    const found = this.#probe(id, open);
    return found === 'absent' ? 'full' : found;
  }

  /** True when `id` was claimed in this run (through this table). */
  has(id: Uint8Array): boolean {
    return this.#probe(id, false) === 'taken';
  }

  /** Looks `id` up from its slot on; on an empty slot, claims it there when `insert`. */
  #probe(id: Uint8Array, insert: boolean): 'claimed' | 'taken' | 'absent' {
    let slot = word(id, 0) & this.#mask;
    for (;;) {
      let state = this.#settled(slot);
      if (state === empty) {
        if (!insert) return 'absent';
        if (Atomics.compareExchange(this.#states, slot, empty, writing) === empty) {
          this.#ids.set(id, slot * idLength);
          Atomics.store(this.#states, slot, ready);
          Atomics.notify(this.#states, slot);
          Atomics.add(this.#count, 0, 1);
          return 'claimed';
        }
        // Another thread took the slot first: compare with what it wrote.
        state = this.#settled(slot);
      }
      if (state === ready && this.#sameId(slot, id)) return 'taken';
      slot = (slot + 1) & this.#mask;
    }
  }
}
