import { createHash } from 'node:crypto';
import { open, seal } from './aead.ts';
import { ByteReader, ByteWriter, bytesEqual } from './bytes.ts';
import { CorruptDataError } from './errors.ts';
import { type BlobType, blobTypeData, blobTypeTree } from './format.ts';

/** One entry of a snapshot's reference list: a blob the snapshot needs. */
export interface Reference {
  readonly id: Uint8Array;
  readonly type: BlobType;
  readonly storedLength: number;
  readonly plainLength: number;
}

/** Totals recorded by the backup that made the snapshot. */
export interface SnapshotSummary {
  readonly files: number;
  readonly directories: number;
  /** Logical size: sum of the sizes of all files in the snapshot. */
  readonly totalBytes: number;
  readonly bytesRead: number;
  readonly bytesAdded: number;
  readonly storedBytesAdded: number;
  readonly durationMs: number;
  readonly warnings: number;
}

/** Encrypted part of a snapshot (JSON, docs/FORMAT.md §10). */
export interface SnapshotMeta {
  readonly version: 1;
  readonly time: string;
  readonly hostname: string;
  readonly username: string;
  readonly paths: readonly string[];
  readonly tags: readonly string[];
  readonly excludes: readonly string[];
  readonly parent: string | null;
  /** Hex ID of the root tree blob. */
  readonly tree: string;
  readonly summary: SnapshotSummary;
}

const snapshotMagic = 0x4e534643; // "CFSN"
const snapshotVersion = 1;
export const snapshotHeaderLength = 56;
const referenceLength = 41;
const maxMetaLength = 64 * 1024 * 1024;

function compareIds(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}

/** Sorts references by ID and drops duplicates (in place on a copy). */
export function normalizeReferences(references: readonly Reference[]): Reference[] {
  const sorted = [...references].sort((a, b) => compareIds(a.id, b.id));
  const unique: Reference[] = [];
  for (const reference of sorted) {
    const last = unique[unique.length - 1];
    if (!last || !bytesEqual(last.id, reference.id)) unique.push(reference);
  }
  return unique;
}

/**
 * A snapshot's reference section, written one reference at a time in ascending ID order: a
 * backup writes it straight from its table of referenced IDs and the index, without an
 * object per reference (a backup of 150,000 small files references as many blobs).
 */
export class ReferenceSection {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  #count = 0;

  /** Room for `capacity` references. */
  constructor(capacity: number) {
    this.#bytes = new Uint8Array(capacity * referenceLength);
    this.#view = new DataView(this.#bytes.buffer);
  }

  get count(): number {
    return this.#count;
  }

  /** The section's bytes so far. */
  get bytes(): Uint8Array {
    return this.#bytes.subarray(0, this.#count * referenceLength);
  }

  /** Appends a reference; its ID must be greater than the previous one's. */
  add(id: Uint8Array, type: BlobType, storedLength: number, plainLength: number): void {
    const at = this.#count * referenceLength;
    if (at + referenceLength > this.#bytes.byteLength) throw new RangeError('reference section is full');
    if (this.#count > 0 && compareIds(this.#bytes.subarray(at - referenceLength, at - referenceLength + 32), id) >= 0)
      throw new RangeError('references must be added in ascending ID order, each once');
    this.#bytes.set(id, at);
    this.#view.setUint8(at + 32, type);
    this.#view.setUint32(at + 33, storedLength, true);
    this.#view.setUint32(at + 37, plainLength, true);
    this.#count += 1;
  }
}

/**
 * Snapshot object (docs/FORMAT.md §10):
 *   header (56 bytes): "CFSN" | version u8 = 1 | reserved u8×3 | time i64 (ms) |
 *                      reference count u32 | SHA-256 of the reference section [32] | meta length u32
 *   meta: nonce ‖ AES-256-GCM(JSON) ‖ tag, AAD = the 56 header bytes
 *   references: count × (blob ID [32] | type u8 | storedLength u32 | plainLength u32), sorted, unique
 * The header and the references are readable without the key. The ID is the SHA-256 of all bytes.
 */
export function encodeSnapshot(
  key: Uint8Array,
  meta: SnapshotMeta,
  references: readonly Reference[] | ReferenceSection,
): { bytes: Uint8Array; id: string } {
  let section: ReferenceSection;
  if (references instanceof ReferenceSection) section = references;
  else {
    const sorted = normalizeReferences(references);
    section = new ReferenceSection(sorted.length);
    for (const reference of sorted)
      section.add(reference.id, reference.type, reference.storedLength, reference.plainLength);
  }
  const refs = section.bytes;
  const plainMeta = Buffer.from(JSON.stringify(meta), 'utf8');
  const header = new ByteWriter(snapshotHeaderLength);
  header.u32(snapshotMagic).u8(snapshotVersion).u8(0).u8(0).u8(0);
  header.i64(BigInt(Date.parse(meta.time)));
  header
    .u32(section.count)
    .bytes(createHash('sha256').update(refs).digest())
    .u32(plainMeta.byteLength + 28);
  const headerBytes = header.view().slice();
  const sealed = seal(key, plainMeta, headerBytes);
  const bytes = new Uint8Array(headerBytes.byteLength + sealed.byteLength + refs.byteLength);
  bytes.set(headerBytes);
  bytes.set(sealed, headerBytes.byteLength);
  bytes.set(refs, headerBytes.byteLength + sealed.byteLength);
  return { bytes, id: createHash('sha256').update(bytes).digest('hex') };
}

/**
 * The keyless parts of a snapshot: header fields and the raw reference section (checked
 * against its digest; decode it with `decodeReferences` when needed, so listing many
 * snapshots does not build millions of objects).
 */
export interface SnapshotEnvelope {
  readonly timeMs: number;
  readonly referenceCount: number;
  readonly referenceSection: Uint8Array;
  readonly header: Uint8Array;
  readonly sealedMeta: Uint8Array;
}

/** Header fields of a snapshot (its first `snapshotHeaderLength` bytes). */
export function decodeSnapshotHeader(header: Uint8Array): {
  timeMs: number;
  referenceCount: number;
  metaLength: number;
} {
  if (header.byteLength !== snapshotHeaderLength) throw new CorruptDataError('snapshot header is truncated');
  const reader = new ByteReader(header, 'snapshot header');
  if (reader.u32() !== snapshotMagic) throw new CorruptDataError('not a snapshot (bad magic)');
  const version = reader.u8();
  if (version !== snapshotVersion) throw new CorruptDataError(`unsupported snapshot version ${version}`);
  reader.bytes(3);
  const timeMs = Number(reader.i64());
  const referenceCount = reader.u32();
  reader.bytes(32);
  const metaLength = reader.u32();
  if (metaLength < 28 || metaLength > maxMetaLength) throw new CorruptDataError('snapshot meta length is implausible');
  if (!Number.isSafeInteger(timeMs)) throw new CorruptDataError('snapshot time is out of range');
  return { timeMs, referenceCount, metaLength };
}

/** Parses a snapshot without the key, checking its name hash (when given) and the reference digest. */
export function decodeSnapshotEnvelope(bytes: Uint8Array, expectedId?: string): SnapshotEnvelope {
  if (expectedId !== undefined && createHash('sha256').update(bytes).digest('hex') !== expectedId) {
    throw new CorruptDataError('snapshot does not match its name (hash mismatch)');
  }
  const reader = new ByteReader(bytes, 'snapshot');
  if (reader.u32() !== snapshotMagic) throw new CorruptDataError('not a snapshot (bad magic)');
  const version = reader.u8();
  if (version !== snapshotVersion) throw new CorruptDataError(`unsupported snapshot version ${version}`);
  reader.bytes(3);
  const time = reader.i64();
  const count = reader.u32();
  const digest = reader.bytes(32);
  const metaLength = reader.u32();
  if (metaLength < 28 || metaLength > maxMetaLength) throw new CorruptDataError('snapshot meta length is implausible');
  const sealedMeta = reader.bytes(metaLength);
  if (reader.remaining !== count * referenceLength) {
    throw new CorruptDataError('snapshot reference list has the wrong length');
  }
  const referenceSection = reader.bytes(count * referenceLength);
  if (!bytesEqual(createHash('sha256').update(referenceSection).digest(), digest)) {
    throw new CorruptDataError('snapshot reference digest mismatch');
  }
  const timeMs = Number(time);
  if (!Number.isSafeInteger(timeMs)) throw new CorruptDataError('snapshot time is out of range');
  return {
    timeMs,
    referenceCount: count,
    referenceSection,
    header: bytes.subarray(0, snapshotHeaderLength),
    sealedMeta,
  };
}

/** The reference list of an envelope; throws `CorruptDataError` when unsorted, duplicated or mistyped. */
export function decodeReferences(envelope: SnapshotEnvelope): Reference[] {
  const refs = envelope.referenceSection;
  const view = new DataView(refs.buffer, refs.byteOffset, refs.byteLength);
  const references: Reference[] = [];
  for (let i = 0; i < envelope.referenceCount; i++) {
    const at = i * referenceLength;
    const type = view.getUint8(at + 32);
    if (type !== blobTypeData && type !== blobTypeTree)
      throw new CorruptDataError('snapshot reference has an unknown type');
    const id = refs.slice(at, at + 32);
    const previous = references[i - 1];
    if (previous && compareIds(previous.id, id) >= 0) throw new CorruptDataError('snapshot references are not sorted');
    references.push({
      id,
      type,
      storedLength: view.getUint32(at + 33, true),
      plainLength: view.getUint32(at + 37, true),
    });
  }
  return references;
}

/** Decrypts and validates the meta of a decoded envelope. */
export function openSnapshotMeta(key: Uint8Array, envelope: SnapshotEnvelope): SnapshotMeta {
  const plain = open(key, envelope.sealedMeta, envelope.header);
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(plain).toString('utf8'));
  } catch (error) {
    throw new CorruptDataError('snapshot meta is not JSON', { cause: error });
  }
  const meta = raw as SnapshotMeta;
  if (
    typeof meta !== 'object' ||
    meta === null ||
    meta.version !== 1 ||
    typeof meta.tree !== 'string' ||
    !/^[0-9a-f]{64}$/.test(meta.tree) ||
    !Array.isArray(meta.paths) ||
    !Array.isArray(meta.tags) ||
    typeof meta.time !== 'string' ||
    typeof meta.summary !== 'object'
  ) {
    throw new CorruptDataError('snapshot meta is malformed');
  }
  return meta;
}
