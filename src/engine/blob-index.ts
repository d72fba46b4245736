import { toHex } from './bytes.ts';
import type { BlobType } from './format.ts';
import type { PackedBlob } from './pack.ts';

/** Where a blob lives. */
export interface BlobLocation extends PackedBlob {
  readonly packId: string;
}

/**
 * A set of 32-byte IDs: an open-addressing hash table over typed arrays (≤ 40 bytes per ID
 * against ~160 of RSS for a Set of hex strings), numbering the IDs 0, 1, 2 … in the order they
 * were added. IDs are MAC outputs, so their first four bytes are a uniform hash. The table
 * is at most half full.
 */
export class IdTable {
  #ids = new Uint8Array(32 * 1024);
  #slots = new Int32Array(2048); // entry number + 1, 0 = empty
  #count = 0;

  get size(): number {
    return this.#count;
  }

  /** The entry number of `id`, or -1 − the free slot where it would go. */
  #find(id: Uint8Array): number {
    const mask = this.#slots.length - 1;
    const ids = this.#ids;
    let slot = (id[0]! | (id[1]! << 8) | (id[2]! << 16) | (id[3]! << 24)) & mask;
    for (;;) {
      const entry = this.#slots[slot]!;
      if (entry === 0) return -1 - slot;
      const base = (entry - 1) * 32;
      let same = true;
      for (let i = 0; i < 32; i++) {
        if (ids[base + i] !== id[i]) {
          same = false;
          break;
        }
      }
      if (same) return entry - 1;
      slot = (slot + 1) & mask;
    }
  }

  #grow(): void {
    const ids = new Uint8Array(this.#ids.length * 2);
    ids.set(this.#ids);
    this.#ids = ids;
    this.#slots = new Int32Array(this.#slots.length * 2);
    const mask = this.#slots.length - 1;
    for (let entry = 0; entry < this.#count; entry++) {
      const base = entry * 32;
      let slot = (ids[base]! | (ids[base + 1]! << 8) | (ids[base + 2]! << 16) | (ids[base + 3]! << 24)) & mask;
      while (this.#slots[slot] !== 0) slot = (slot + 1) & mask;
      this.#slots[slot] = entry + 1;
    }
  }

  /** The entry number of `id` (0 … size − 1), or -1. */
  entryOf(id: Uint8Array): number {
    const entry = this.#find(id);
    return entry >= 0 ? entry : -1;
  }

  /** Adds `id` unless it is there; returns its entry number (new ones are numbered `size` − 1). */
  add(id: Uint8Array): number {
    let found = this.#find(id);
    if (found >= 0) return found;
    if (this.#count * 32 === this.#ids.length) {
      this.#grow();
      found = this.#find(id);
    }
    const entry = this.#count++;
    this.#ids.set(id, entry * 32);
    this.#slots[-1 - found] = entry + 1;
    return entry;
  }

  /** A copy of entry `entry`'s ID. */
  idAt(entry: number): Uint8Array {
    return this.#ids.slice(entry * 32, entry * 32 + 32);
  }

  /** Entry `entry`'s ID, a view valid until the next `add`. */
  idView(entry: number): Uint8Array {
    return this.#ids.subarray(entry * 32, entry * 32 + 32);
  }

  /** Calls `visit` with every ID in entry order: 32 bytes of `ids` from `offset` (valid during the call). */
  forEachId(visit: (ids: Uint8Array, offset: number) => void): void {
    for (let entry = 0; entry < this.#count; entry++) visit(this.#ids, entry * 32);
  }

  /** The entry numbers in the byte order of their IDs. */
  sortedEntries(): number[] {
    const ids = this.#ids;
    const prefixes = new Uint32Array(this.#count);
    for (let entry = 0; entry < this.#count; entry++) {
      const base = entry * 32;
      prefixes[entry] = ((ids[base]! << 24) | (ids[base + 1]! << 16) | (ids[base + 2]! << 8) | ids[base + 3]!) >>> 0;
    }
    const order = Array.from({ length: this.#count }, (_, entry) => entry);
    // The first four bytes decide all but about one comparison in 2^32 / size.
    return order.sort(
      (a, b) =>
        prefixes[a]! - prefixes[b]! ||
        Buffer.compare(ids.subarray(a * 32, a * 32 + 32), ids.subarray(b * 32, b * 32 + 32)),
    );
  }
}

/**
 * In-memory blob index: the IDs in an `IdTable`, and each entry's location in parallel
 * typed arrays (~60 bytes per blob instead of a few hundred for a Map of objects).
 */
export class BlobIndex {
  readonly #ids = new IdTable();
  #meta = new Uint32Array(4 * 1024); // pack number, offset, plainLength, storedLength
  #typeFlags = new Uint8Array(1024); // type << 4 | flags
  readonly #packIds: string[] = [];
  readonly #packNumbers = new Map<string, number>();

  get size(): number {
    return this.#ids.size;
  }

  /** Pack IDs (hex) that hold at least one indexed blob. */
  packIds(): string[] {
    return [...this.#packIds];
  }

  #packNumber(packId: string): number {
    let number = this.#packNumbers.get(packId);
    if (number === undefined) {
      number = this.#packIds.length;
      this.#packIds.push(packId);
      this.#packNumbers.set(packId, number);
    }
    return number;
  }

  #grow(): void {
    const capacity = this.#typeFlags.length * 2;
    const meta = new Uint32Array(capacity * 4);
    meta.set(this.#meta);
    this.#meta = meta;
    const typeFlags = new Uint8Array(capacity);
    typeFlags.set(this.#typeFlags);
    this.#typeFlags = typeFlags;
  }

  /** True when the blob is indexed. */
  has(id: Uint8Array): boolean {
    return this.#ids.entryOf(id) >= 0;
  }

  /** Adds a location; a blob already indexed keeps its first location. Returns whether it was added. */
  add(packId: string, blob: PackedBlob): boolean {
    const size = this.#ids.size;
    const entry = this.#ids.add(blob.id);
    if (entry < size) return false;
    if (entry === this.#typeFlags.length) this.#grow();
    const base = entry * 4;
    this.#meta[base] = this.#packNumber(packId);
    this.#meta[base + 1] = blob.offset;
    this.#meta[base + 2] = blob.plainLength;
    this.#meta[base + 3] = blob.storedLength;
    this.#typeFlags[entry] = (blob.type << 4) | blob.flags;
    return true;
  }

  #location(entry: number): BlobLocation {
    const base = entry * 4;
    const typeFlags = this.#typeFlags[entry]!;
    return {
      id: this.#ids.idAt(entry),
      packId: this.#packIds[this.#meta[base]!]!,
      offset: this.#meta[base + 1]!,
      plainLength: this.#meta[base + 2]!,
      storedLength: this.#meta[base + 3]!,
      type: (typeFlags >> 4) as BlobType,
      flags: typeFlags & 15,
    };
  }

  /** Calls `visit` with the ID of every indexed blob: 32 bytes of `ids` from `offset` (valid during the call). */
  forEachId(visit: (ids: Uint8Array, offset: number) => void): void {
    this.#ids.forEachId(visit);
  }

  /**
   * The blob's entry number (0 … size − 1), or -1: a handle for the accessors below, for
   * callers that hold many blobs at once (a restore's plan) and need no location objects.
   */
  entryOf(id: Uint8Array): number {
    return this.#ids.entryOf(id);
  }

  /** The location of entry `entry` (see `entryOf`). */
  at(entry: number): BlobLocation {
    if (!(entry >= 0 && entry < this.#ids.size)) throw new RangeError(`no index entry ${entry}`);
    return this.#location(entry);
  }

  /** The ID (hex) of pack number `packNumber` (see `packNumberAt`). */
  packIdOf(packNumber: number): string {
    const packId = this.#packIds[packNumber];
    if (packId === undefined) throw new RangeError(`no pack number ${packNumber}`);
    return packId;
  }

  /** Number of the pack holding entry `entry` (the same for all blobs of one pack). */
  packNumberAt(entry: number): number {
    return this.#meta[entry * 4]!;
  }

  /** Offset of entry `entry`'s record in its pack. */
  offsetAt(entry: number): number {
    return this.#meta[entry * 4 + 1]!;
  }

  /** Plain (uncompressed) length of entry `entry`. */
  plainLengthAt(entry: number): number {
    return this.#meta[entry * 4 + 2]!;
  }

  /** Blob type of entry `entry`. */
  typeAt(entry: number): BlobType {
    return (this.#typeFlags[entry]! >> 4) as BlobType;
  }

  /** Stored (sealed) length of entry `entry`. */
  storedLengthAt(entry: number): number {
    return this.#meta[entry * 4 + 3]!;
  }

  /** The blob's location, or undefined. */
  get(id: Uint8Array): BlobLocation | undefined {
    const entry = this.#ids.entryOf(id);
    return entry >= 0 ? this.#location(entry) : undefined;
  }

  /** Every indexed blob. */
  *entries(): IterableIterator<BlobLocation> {
    for (let entry = 0; entry < this.#ids.size; entry++) yield this.#location(entry);
  }

  /** Blobs grouped by pack. */
  byPack(): Map<string, BlobLocation[]> {
    const packs = new Map<string, BlobLocation[]>();
    for (const location of this.entries()) {
      const list = packs.get(location.packId);
      if (list) list.push(location);
      else packs.set(location.packId, [location]);
    }
    return packs;
  }
}

/** Hex key of a blob ID, for the few places that need Map/Set keys. */
export function blobKey(id: Uint8Array): string {
  return toHex(id);
}
