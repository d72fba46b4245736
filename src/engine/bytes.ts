import { CorruptDataError } from './errors.ts';

/** Lower-case hex of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Bytes of a lower-case hex string; throws `CorruptDataError` on anything else. */
export function fromHex(hex: string, expectedLength?: number): Uint8Array {
  if (!/^(?:[0-9a-f]{2})*$/.test(hex)) throw new CorruptDataError(`not a hex string: ${hex.slice(0, 80)}`);
  const bytes = new Uint8Array(Buffer.from(hex, 'hex'));
  if (expectedLength !== undefined && bytes.byteLength !== expectedLength) {
    throw new CorruptDataError(`expected ${expectedLength} bytes of hex, got ${bytes.byteLength}`);
  }
  return bytes;
}

const fillBuffer = Buffer.prototype.fill;

/**
 * Copies `source` into `target` at `position`, like `target.set(source, position)` for
 * ranges that do not overlap. When either side is shared memory (the backup's record
 * slots), V8's `set` copies byte by byte unless both ends are 8-byte aligned, and records
 * pack back to back, so they rarely are: 2.7 GiB/s, and `perf` found 4 % of an initial
 * backup's CPU there. `Buffer.prototype.fill` with a value exactly as long as the range is
 * one `memcpy` (~25 GiB/s; docs/decisions/0024-zstd-tables-and-fair-restores.md).
 */
export function copyBytes(target: Uint8Array, source: Uint8Array, position: number): void {
  if (
    source.byteLength > 0 &&
    (target.buffer instanceof SharedArrayBuffer || source.buffer instanceof SharedArrayBuffer)
  ) {
    if (position + source.byteLength > target.byteLength) throw new RangeError('offset is out of bounds');
    fillBuffer.call(target, source, position, position + source.byteLength);
  } else {
    target.set(source, position);
  }
}

/** True when both ranges hold the same bytes. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && Buffer.compare(a, b) === 0;
}

/**
 * Copies of short byte strings (blob IDs) that are kept for a while — a decoded tree's
 * extents, a backup worker's job results — as views into shared blocks. A copy of its own
 * (`slice()`) costs an ArrayBuffer with a backing store, ~200 B of V8 heap and malloc beside
 * its 32 bytes. Blocks start small and double up to 8 KiB, so a few copies waste little; a
 * block lives as long as any view into it.
 */
export class ByteCopies {
  #block = new Uint8Array(0);
  #used = 0;
  #nextBlock = 256;

  copy(bytes: Uint8Array): Uint8Array {
    const length = bytes.byteLength;
    if (this.#used + length > this.#block.byteLength) {
      this.#block = new Uint8Array(Math.max(this.#nextBlock, length));
      this.#used = 0;
      this.#nextBlock = Math.min(this.#nextBlock * 2, 8192);
    }
    const view = this.#block.subarray(this.#used, this.#used + length);
    view.set(bytes);
    this.#used += length;
    return view;
  }
}

/**
 * Growable little-endian writer used by the codecs. Varints are unsigned LEB128 up to
 * 2^53 − 1 (docs/FORMAT.md §1).
 */
export class ByteWriter {
  #buffer: Uint8Array;
  #view: DataView;
  length = 0;

  constructor(initialCapacity = 4096) {
    this.#buffer = new Uint8Array(initialCapacity);
    this.#view = new DataView(this.#buffer.buffer);
  }

  #reserve(extra: number): void {
    if (this.length + extra <= this.#buffer.byteLength) return;
    let capacity = this.#buffer.byteLength * 2;
    while (capacity < this.length + extra) capacity *= 2;
    const next = new Uint8Array(capacity);
    next.set(this.#buffer.subarray(0, this.length));
    this.#buffer = next;
    this.#view = new DataView(next.buffer);
  }

  u8(value: number): this {
    this.#reserve(1);
    this.#buffer[this.length++] = value;
    return this;
  }

  u32(value: number): this {
    this.#reserve(4);
    this.#view.setUint32(this.length, value, true);
    this.length += 4;
    return this;
  }

  i64(value: bigint): this {
    this.#reserve(8);
    this.#view.setBigInt64(this.length, value, true);
    this.length += 8;
    return this;
  }

  u64(value: number): this {
    this.#reserve(8);
    this.#view.setBigUint64(this.length, BigInt(value), true);
    this.length += 8;
    return this;
  }

  varint(value: number): this {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`varint out of range: ${value}`);
    this.#reserve(8);
    while (value >= 0x80) {
      this.#buffer[this.length++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    this.#buffer[this.length++] = value;
    return this;
  }

  bytes(value: Uint8Array): this {
    this.#reserve(value.byteLength);
    this.#buffer.set(value, this.length);
    this.length += value.byteLength;
    return this;
  }

  /** Varint length followed by the bytes. */
  lengthPrefixed(value: Uint8Array): this {
    return this.varint(value.byteLength).bytes(value);
  }

  string(value: string): this {
    return this.lengthPrefixed(Buffer.from(value, 'utf8'));
  }

  /** The written bytes (a view; copy before reusing the writer). */
  view(): Uint8Array {
    return this.#buffer.subarray(0, this.length);
  }
}

/** Bounds-checked reader; every overrun throws `CorruptDataError` naming `what`. */
export class ByteReader {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  /** The same bytes as a Buffer, whose `toString(…, start, end)` decodes without a copy. */
  readonly #text: Buffer;
  readonly #what: string;
  offset = 0;

  constructor(bytes: Uint8Array, what: string) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#what = what;
  }

  get remaining(): number {
    return this.#bytes.byteLength - this.offset;
  }

  #need(count: number): void {
    if (count > this.remaining) throw new CorruptDataError(`${this.#what} is truncated`);
  }

  u8(): number {
    this.#need(1);
    return this.#bytes[this.offset++]!;
  }

  u32(): number {
    this.#need(4);
    const value = this.#view.getUint32(this.offset, true);
    this.offset += 4;
    return value;
  }

  i64(): bigint {
    this.#need(8);
    const value = this.#view.getBigInt64(this.offset, true);
    this.offset += 8;
    return value;
  }

  u64(): number {
    this.#need(8);
    const value = this.#view.getBigUint64(this.offset, true);
    this.offset += 8;
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new CorruptDataError(`${this.#what} holds an oversized number`);
    return Number(value);
  }

  varint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const byte = this.u8();
      result += (byte & 0x7f) * scale;
      if (byte < 0x80) {
        if (!Number.isSafeInteger(result)) break;
        return result;
      }
      scale *= 0x80;
    }
    throw new CorruptDataError(`${this.#what} holds a malformed varint`);
  }

  bytes(count: number): Uint8Array {
    this.#need(count);
    const value = this.#bytes.subarray(this.offset, this.offset + count);
    this.offset += count;
    return value;
  }

  lengthPrefixed(maximum: number): Uint8Array {
    const length = this.varint();
    if (length > maximum) throw new CorruptDataError(`${this.#what} holds an oversized field`);
    return this.bytes(length);
  }

  string(maximum = 1 << 16): string {
    const { byteLength } = this.lengthPrefixed(maximum);
    return this.#text.toString('utf8', this.offset - byteLength, this.offset);
  }

  /** Throws unless every byte was consumed. */
  end(): void {
    if (this.remaining !== 0) throw new CorruptDataError(`${this.#what} has ${this.remaining} trailing bytes`);
  }
}
