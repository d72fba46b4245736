import { createHash, type KeyObject } from 'node:crypto';
import { aeadOverhead, open, sealInto } from './aead.ts';
import { ByteCopies, bytesEqual, copyBytes } from './bytes.ts';
import { compressBound } from './compression.ts';
import { CorruptDataError } from './errors.ts';
import { type BlobType, blobTypeData, blobTypeTree, flagCompressed, idLength } from './format.ts';

/**
 * Pack layout (docs/FORMAT.md §7):
 *   header   "CFPK" | version u8 = 1 | pack type u8 | reserved u16 = 0        (8 bytes)
 *   records  record header (42 bytes) | sealed payload (storedLength bytes)   (repeated)
 *   trailer  entries (46 bytes each) | count u32 | "CFPT"
 * Record header: blob ID [32] | type u8 | flags u8 | plainLength u32 | storedLength u32.
 * Trailer entry: blob ID [32] | type u8 | flags u8 | offset u32 | plainLength u32 | storedLength u32.
 * All integers little-endian. The first 38 bytes of a record header are the AEAD's
 * associated data, so the keyless header cannot be altered without failing authentication.
 */
export const packHeaderLength = 8;
export const recordHeaderLength = 42;
export const aadLength = 38;
export const trailerEntryLength = 46;
export const trailerFooterLength = 8;
const packMagic = 0x4b504643; // "CFPK" little-endian
const trailerMagic = 0x54504643; // "CFPT" little-endian
const packVersion = 1;

/** One blob as listed in a pack trailer or an index. */
export interface PackedBlob {
  readonly id: Uint8Array;
  readonly type: BlobType;
  readonly flags: number;
  /** Offset of the record header within the pack. */
  readonly offset: number;
  readonly plainLength: number;
  /** Length of the sealed payload (nonce ‖ ciphertext ‖ tag). */
  readonly storedLength: number;
}

/**
 * Room a record of `plainLength` plain bytes may need while it is built in place: zstd's
 * worst case for the payload (`compressBound`) plus the record header and AEAD overhead.
 */
export function recordBound(plainLength: number): number {
  return recordHeaderLength + compressBound(plainLength) + aeadOverhead;
}

/** Bytes a blob with `payloadLength` bytes of (possibly compressed) plaintext occupies in a pack, trailer included. */
export function packedSize(payloadLength: number): number {
  return recordHeaderLength + payloadLength + aeadOverhead + trailerEntryLength;
}

function writeAad(
  target: DataView,
  offset: number,
  id: Uint8Array,
  type: BlobType,
  flags: number,
  plainLength: number,
): void {
  new Uint8Array(target.buffer, target.byteOffset + offset, idLength).set(id);
  target.setUint8(offset + 32, type);
  target.setUint8(offset + 33, flags);
  target.setUint32(offset + 34, plainLength, true);
}

function checkType(type: number, what: string): BlobType {
  if (type !== blobTypeData && type !== blobTypeTree) throw new CorruptDataError(`${what}: unknown blob type ${type}`);
  return type;
}

/**
 * Seals one blob into a complete record (header ‖ nonce ‖ ciphertext ‖ tag) at the start of
 * `out`, which needs `recordHeaderLength + payload.length + aeadOverhead` bytes. Returns the
 * record length. Workers seal records; the pack is assembled elsewhere with `addRecord`.
 */
export function sealRecord(
  key: Uint8Array | KeyObject,
  id: Uint8Array,
  type: BlobType,
  flags: number,
  plainLength: number,
  payload: Uint8Array,
  out: Uint8Array,
): number {
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  writeAad(view, 0, id, type, flags, plainLength);
  const storedLength = sealInto(key, payload, out.subarray(0, aadLength), out, recordHeaderLength);
  view.setUint32(38, storedLength, true);
  return recordHeaderLength + storedLength;
}

/**
 * A pack's trailer entries, kept as the trailer's own 46-byte entries while the pack grows
 * rather than as objects (~170 B each with their IDs): a 16 MiB pack of small files' blobs
 * holds tens of thousands of them until it is stored.
 */
class TrailerEntries {
  #bytes = new Uint8Array(64 * trailerEntryLength);
  #view = new DataView(this.#bytes.buffer);
  count = 0;

  /** Bytes of the trailer: the entries and the footer. */
  get trailerLength(): number {
    return this.count * trailerEntryLength + trailerFooterLength;
  }

  add(id: Uint8Array, type: BlobType, flags: number, offset: number, plainLength: number, storedLength: number): void {
    const at = this.count * trailerEntryLength;
    if (at + trailerEntryLength > this.#bytes.byteLength) {
      const grown = new Uint8Array(this.#bytes.byteLength * 2);
      grown.set(this.#bytes);
      this.#bytes = grown;
      this.#view = new DataView(grown.buffer);
    }
    // Trailer entries carry the offset between flags and sizes (see the layout above).
    writeAad(this.#view, at, id, type, flags, plainLength);
    this.#view.setUint32(at + 34, offset, true);
    this.#view.setUint32(at + 38, plainLength, true);
    this.#view.setUint32(at + 42, storedLength, true);
    this.count += 1;
  }

  /** The entries as objects (their IDs are views of this table). */
  objects(): PackedBlob[] {
    const entries: PackedBlob[] = [];
    for (let i = 0; i < this.count; i++) {
      const at = i * trailerEntryLength;
      entries.push({
        id: this.#bytes.subarray(at, at + idLength),
        type: this.#view.getUint8(at + 32) as BlobType,
        flags: this.#view.getUint8(at + 33),
        offset: this.#view.getUint32(at + 34, true),
        plainLength: this.#view.getUint32(at + 38, true),
        storedLength: this.#view.getUint32(at + 42, true),
      });
    }
    return entries;
  }

  /** Writes the trailer (entries, then count and magic) into `target` at `position`; returns where it ends. */
  writeTo(target: Uint8Array, position: number): number {
    const entriesLength = this.count * trailerEntryLength;
    target.set(this.#bytes.subarray(0, entriesLength), position);
    const footer = new DataView(target.buffer, target.byteOffset + position + entriesLength, trailerFooterLength);
    footer.setUint32(0, this.count, true);
    footer.setUint32(4, trailerMagic, true);
    return position + entriesLength + trailerFooterLength;
  }

  /** Adds a sealed record's entry (header ‖ payload, checked) placed at `offset`. */
  addRecord(record: Uint8Array, offset: number): void {
    const entry = parseRecordHeader(record, 0, record.byteLength);
    if (recordHeaderLength + entry.storedLength !== record.byteLength)
      throw new CorruptDataError('record length mismatch');
    this.add(entry.id, entry.type, entry.flags, offset, entry.plainLength, entry.storedLength);
  }
}

const hashStep = 1024 * 1024;

/**
 * Builds one pack in a caller-owned buffer so pack memory can be reused. Add blobs until
 * `length` reaches the target, then `finish()`; the result is a view of the buffer.
 */
export class PackBuilder {
  readonly packType: BlobType;
  #buffer: Uint8Array;
  #view: DataView;
  readonly #entries = new TrailerEntries();
  length = packHeaderLength;
  /**
   * The pack's SHA-256, taken as records are appended (about every MiB): hashing a whole
   * 16 MiB pack in `finish` stalled the backup's main thread ~15 ms a pack, while the
   * workers waited for their record buffers (docs/decisions/0016).
   */
  readonly #hash = createHash('sha256');
  #hashed = 0;

  constructor(packType: BlobType, buffer: Uint8Array) {
    this.packType = packType;
    this.#buffer = buffer;
    this.#view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    writePackHeader(this.#view, packType);
  }

  get blobCount(): number {
    return this.#entries.count;
  }

  /** The entries so far, as objects (a new array each time, the caller's to keep). */
  get entries(): PackedBlob[] {
    return this.#entries.objects();
  }

  #hashAhead(): void {
    if (this.length - this.#hashed < hashStep) return;
    this.#hash.update(this.#buffer.subarray(this.#hashed, this.length));
    this.#hashed = this.length;
  }

  #ensure(extra: number): void {
    const needed = this.length + extra + this.#entries.trailerLength + trailerEntryLength;
    if (needed <= this.#buffer.byteLength) return;
    const next = new Uint8Array(Math.max(needed, this.#buffer.byteLength * 2));
    next.set(this.#buffer.subarray(0, this.length));
    this.#buffer = next;
    this.#view = new DataView(next.buffer);
  }

  /**
   * Seals `payload` (the plain or zstd-compressed blob) with AES-256-GCM and appends it.
   * `plainLength` is the uncompressed length; `flags` says whether `payload` is compressed.
   */
  add(key: Uint8Array, id: Uint8Array, type: BlobType, flags: number, plainLength: number, payload: Uint8Array): void {
    this.#ensure(recordHeaderLength + payload.byteLength + aeadOverhead);
    const offset = this.length;
    writeAad(this.#view, offset, id, type, flags, plainLength);
    const aad = this.#buffer.subarray(offset, offset + aadLength);
    const storedLength = sealInto(key, payload, aad, this.#buffer, offset + recordHeaderLength);
    this.#view.setUint32(offset + 38, storedLength, true);
    this.length = offset + recordHeaderLength + storedLength;
    this.#hashAhead();
    this.#entries.add(id, type, flags, offset, plainLength, storedLength);
  }

  /** Appends an already sealed record (header and payload copied verbatim), as repack does without the key. */
  addRecord(record: Uint8Array): void {
    this.#entries.addRecord(record, this.length);
    this.#ensure(record.byteLength);
    copyBytes(this.#buffer, record, this.length);
    this.length += record.byteLength;
    this.#hashAhead();
  }

  /** Appends the trailer and returns the pack bytes (a view of the builder's buffer) and their SHA-256 ID. */
  finish(): { bytes: Uint8Array; id: Uint8Array } {
    this.#ensure(0);
    const end = this.#entries.writeTo(this.#buffer, this.length);
    const bytes = this.#buffer.subarray(0, end);
    this.#hash.update(bytes.subarray(this.#hashed));
    return { bytes, id: new Uint8Array(this.#hash.digest()) };
  }
}

/**
 * A pack laid out as sealed records arrive while its bytes go elsewhere (a file the store
 * writes in place): it keeps the trailer entries and the running SHA-256, and holds no
 * record bytes. The caller writes `header` at 0, each record at the offset `addRecord`
 * places it, and the trailer `finish` returns at `length`.
 *
 * The entries are kept as the trailer's own 46-byte entries, not as objects (~170 B each
 * with their IDs): a 16 MiB pack of small files' blobs holds tens of thousands.
 */
export class PackStream {
  readonly packType: BlobType;
  readonly #entries = new TrailerEntries();
  readonly #hash = createHash('sha256');
  /** The 8 header bytes, to write at offset 0 (already hashed). */
  readonly header = new Uint8Array(packHeaderLength);
  length = packHeaderLength;

  constructor(packType: BlobType) {
    this.packType = packType;
    writePackHeader(new DataView(this.header.buffer), packType);
    this.#hash.update(this.header);
  }

  get blobCount(): number {
    return this.#entries.count;
  }

  /** The entries so far, as objects (a new array each time, the caller's to keep). */
  get entries(): PackedBlob[] {
    return this.#entries.objects();
  }

  /**
   * Places one sealed record (header ‖ payload) at the end. Its bytes are not kept: `hash`
   * must be given the records' bytes in order.
   */
  addRecord(record: Uint8Array): void {
    this.#entries.addRecord(record, this.length);
    this.length += record.byteLength;
  }

  /** Feeds placed records' bytes, in pack order, to the pack's SHA-256. */
  hash(bytes: Uint8Array): void {
    this.#hash.update(bytes);
  }

  /** The trailer (to write at `length`) and the pack's ID, the SHA-256 of all its bytes. */
  finish(): { trailer: Uint8Array; id: Uint8Array } {
    const trailer = new Uint8Array(this.#entries.trailerLength);
    this.#entries.writeTo(trailer, 0);
    this.#hash.update(trailer);
    return { trailer, id: new Uint8Array(this.#hash.digest()) };
  }
}

function writePackHeader(view: DataView, packType: BlobType): void {
  view.setUint32(0, packMagic, true);
  view.setUint8(4, packVersion);
  view.setUint8(5, packType);
  view.setUint16(6, 0, true);
}

function parseRecordHeader(bytes: Uint8Array, offset: number, end: number): PackedBlob {
  if (offset + recordHeaderLength > end) throw new CorruptDataError('pack record header is truncated');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = checkType(view.getUint8(offset + 32), 'pack record');
  const flags = view.getUint8(offset + 33);
  if ((flags & ~flagCompressed) !== 0) throw new CorruptDataError('pack record has unknown flags');
  const plainLength = view.getUint32(offset + 34, true);
  const storedLength = view.getUint32(offset + 38, true);
  if (storedLength < aeadOverhead) throw new CorruptDataError('pack record is shorter than nonce and tag');
  if (offset + recordHeaderLength + storedLength > end) throw new CorruptDataError('pack record passes the trailer');
  if (flags === 0 && storedLength !== plainLength + aeadOverhead)
    throw new CorruptDataError('raw pack record has the wrong length');
  return { id: bytes.subarray(offset, offset + 32), type, flags, offset, plainLength, storedLength };
}

/** Reads the pack type and checks the magic of a pack header (first 8 bytes). */
export function parsePackHeader(bytes: Uint8Array): BlobType {
  if (bytes.byteLength < packHeaderLength) throw new CorruptDataError('pack is shorter than its header');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== packMagic) throw new CorruptDataError('not a pack (bad magic)');
  if (view.getUint8(4) !== packVersion) throw new CorruptDataError(`unsupported pack version ${view.getUint8(4)}`);
  return checkType(view.getUint8(5), 'pack header');
}

/** Length of the trailer given the pack's last 8 bytes; throws when the footer is malformed. */
export function trailerLength(footer: Uint8Array, packSize: number): number {
  if (footer.byteLength !== trailerFooterLength) throw new CorruptDataError('pack footer must be 8 bytes');
  const view = new DataView(footer.buffer, footer.byteOffset, footer.byteLength);
  if (view.getUint32(4, true) !== trailerMagic) throw new CorruptDataError('pack trailer magic missing');
  const count = view.getUint32(0, true);
  const length = count * trailerEntryLength + trailerFooterLength;
  if (length + packHeaderLength > packSize) throw new CorruptDataError('pack trailer is larger than the pack');
  return length;
}

/**
 * Parses a trailer (entries and footer, as cut from the end of a pack of `packSize` bytes).
 * Keyless: checks structure only. Throws `CorruptDataError` on inconsistencies.
 */
export function parseTrailer(trailer: Uint8Array, packSize: number): PackedBlob[] {
  const expected = trailerLength(trailer.subarray(trailer.byteLength - trailerFooterLength), packSize);
  if (expected !== trailer.byteLength) throw new CorruptDataError('pack trailer length mismatch');
  const view = new DataView(trailer.buffer, trailer.byteOffset, trailer.byteLength);
  const count = (trailer.byteLength - trailerFooterLength) / trailerEntryLength;
  const recordsEnd = packSize - trailer.byteLength;
  const entries: PackedBlob[] = [];
  let expectedOffset = packHeaderLength;
  for (let i = 0; i < count; i++) {
    const at = i * trailerEntryLength;
    const type = checkType(view.getUint8(at + 32), 'pack trailer');
    const flags = view.getUint8(at + 33);
    const offset = view.getUint32(at + 34, true);
    const plainLength = view.getUint32(at + 38, true);
    const storedLength = view.getUint32(at + 42, true);
    if ((flags & ~flagCompressed) !== 0) throw new CorruptDataError('pack trailer has unknown flags');
    if (offset !== expectedOffset || storedLength < aeadOverhead)
      throw new CorruptDataError('pack trailer offsets are inconsistent');
    expectedOffset = offset + recordHeaderLength + storedLength;
    if (expectedOffset > recordsEnd) throw new CorruptDataError('pack trailer points past the records');
    entries.push({ id: trailer.slice(at, at + 32), type, flags, offset, plainLength, storedLength });
  }
  if (expectedOffset !== recordsEnd) throw new CorruptDataError('pack trailer does not cover the records');
  return entries;
}

/**
 * Verifies a whole pack without the key: its SHA-256 equals `expectedId` (when given), the
 * header is valid and every record header agrees with the trailer. Returns the blobs.
 */
export function verifyPackStructure(
  pack: Uint8Array,
  expectedId?: Uint8Array,
): { type: BlobType; blobs: PackedBlob[] } {
  if (expectedId) {
    const actual = createHash('sha256').update(pack).digest();
    if (!bytesEqual(actual, expectedId))
      throw new CorruptDataError('pack content does not match its name (hash mismatch)');
  }
  const type = parsePackHeader(pack);
  if (pack.byteLength < packHeaderLength + trailerFooterLength) throw new CorruptDataError('pack is truncated');
  const length = trailerLength(pack.subarray(pack.byteLength - trailerFooterLength), pack.byteLength);
  const blobs = parseTrailer(pack.subarray(pack.byteLength - length), pack.byteLength);
  const recordsEnd = pack.byteLength - length;
  for (const blob of blobs) {
    const header = parseRecordHeader(pack, blob.offset, recordsEnd);
    if (
      !bytesEqual(header.id, blob.id) ||
      header.type !== blob.type ||
      header.flags !== blob.flags ||
      header.plainLength !== blob.plainLength ||
      header.storedLength !== blob.storedLength
    ) {
      throw new CorruptDataError('pack record header disagrees with the trailer');
    }
  }
  return { type, blobs };
}

/**
 * Scans record headers from the start of a pack without the trailer (for packs whose tail
 * is damaged): stops at the first header that does not parse.
 */
export function scanRecords(pack: Uint8Array): PackedBlob[] {
  parsePackHeader(pack);
  const blobs: PackedBlob[] = [];
  const ids = new ByteCopies();
  let offset = packHeaderLength;
  while (offset + recordHeaderLength <= pack.byteLength) {
    try {
      const record = parseRecordHeader(pack, offset, pack.byteLength);
      blobs.push({ ...record, id: ids.copy(record.id) });
      offset += recordHeaderLength + record.storedLength;
    } catch {
      break;
    }
  }
  return blobs;
}

/**
 * Authenticates and decrypts one record (header + sealed payload, exactly
 * `recordHeaderLength + storedLength` bytes) and returns the payload (compressed or raw).
 */
export function openRecord(key: Uint8Array, record: Uint8Array, expected: PackedBlob, out?: Uint8Array): Uint8Array {
  const header = parseRecordHeader(record, 0, record.byteLength);
  if (
    !bytesEqual(header.id, expected.id) ||
    header.flags !== expected.flags ||
    header.type !== expected.type ||
    header.plainLength !== expected.plainLength ||
    header.storedLength !== expected.storedLength
  ) {
    throw new CorruptDataError('pack record header does not match the index');
  }
  return open(
    key,
    record.subarray(recordHeaderLength, recordHeaderLength + header.storedLength),
    record.subarray(0, aadLength),
    out,
  );
}
