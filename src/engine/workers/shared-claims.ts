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
 * - an open-addressing table of the IDs claimed in this run: a slot holds the position of
 *   the claimed ID (full 32 bytes) in a list appended in claim order, so the pages touched
 *   grow with the claims (36 B each) instead of one 4 KiB page per claim in a table of IDs
 *   spread by hash (~8 MiB in a 1 GiB backup). Claiming is a compare-and-swap on the slot,
 *   published after the ID is written, so two threads that meet the same chunk at once
 *   cannot both write it. At half full it takes no more claims and the main thread decides
 *   the rest (its own overflow set).
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

/** A slot holds 0 (empty) or 1 + the position of its ID in the list of claimed IDs. */
const empty = 0;
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
  readonly #slots: Int32Array;
  readonly #ids: Uint8Array;
  readonly #mask: number;
  readonly #maxClaims: number;
  /** A list entry this thread reserved but lost to the same ID: used by its next claim. */
  #spare = -1;

  /**
   * Memory for a run: a filter sized for `indexedBlobs` and a table of `tableSlots` (a
   * power of two) with room for `tableSlots / 2` IDs. Untouched pages of a
   * `SharedArrayBuffer` cost no memory, so the table's resident size grows with the claims
   * made (4 B of slots, ~4 KiB each until the slots are dense, and 32 B of ID).
   */
  static allocate(indexedBlobs: number, tableSlots = 1 << 18): SharedClaimsMemory {
    if (!Number.isInteger(Math.log2(tableSlots)) || tableSlots < 2)
      throw new RangeError('tableSlots must be a power of two');
    const filterBits = Math.max(1 << 13, 2 ** Math.ceil(Math.log2(Math.max(1, indexedBlobs) * 16)));
    return {
      filter: new SharedArrayBuffer(filterBits / 8),
      table: new SharedArrayBuffer(headerBytes + tableSlots * 4 + (tableSlots / 2) * idLength),
    };
  }

  constructor(memory: SharedClaimsMemory) {
    this.memory = memory;
    this.#filter = new Int32Array(memory.filter);
    this.#filterMask = memory.filter.byteLength * 8 - 1;
    const slots = (memory.table.byteLength - headerBytes) / (4 + idLength / 2);
    this.#count = new Int32Array(memory.table, 0, 1);
    this.#slots = new Int32Array(memory.table, headerBytes, slots);
    this.#maxClaims = slots / 2;
    this.#ids = new Uint8Array(memory.table, headerBytes + slots * 4, this.#maxClaims * idLength);
    this.#mask = slots - 1;
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

  #sameId(position: number, id: Uint8Array): boolean {
    const base = position * idLength;
    for (let i = 0; i < idLength; i++) if (this.#ids[base + i] !== id[i]) return false;
    return true;
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

  /**
   * Looks `id` up from its slot on; on an empty slot, claims it there when `insert`: the ID
   * is appended to the list first, then the slot is set to its position, so a thread that
   * reads the slot (atomically) also sees the ID. A claim lost to another thread's different
   * ID moves on with the same list entry; one lost to the same ID keeps its entry for this
   * thread's next claim, so races waste no room.
   */
  #probe(id: Uint8Array, insert: boolean): 'claimed' | 'taken' | 'absent' {
    let slot = word(id, 0) & this.#mask;
    let position = -1;
    for (;;) {
      let state = Atomics.load(this.#slots, slot);
      if (state === empty) {
        if (!insert) return 'absent';
        if (position < 0) {
          position = this.#spare >= 0 ? this.#spare : Atomics.add(this.#count, 0, 1);
          this.#spare = -1;
          if (position >= this.#maxClaims) return 'absent';
          this.#ids.set(id, position * idLength);
        }
        state = Atomics.compareExchange(this.#slots, slot, empty, position + 1);
        if (state === empty) return 'claimed';
      }
      if (this.#sameId(state - 1, id)) {
        if (position >= 0) this.#spare = position;
        return 'taken';
      }
      slot = (slot + 1) & this.#mask;
    }
  }
}
