import { createHash } from 'node:crypto';
import { ByteReader, ByteWriter, toHex } from './bytes.ts';
import { CorruptDataError } from './errors.ts';
import { type BlobType, blobTypeData, blobTypeTree, flagCompressed } from './format.ts';
import type { PackedBlob } from './pack.ts';

/** One pack as listed in an index file. */
export interface IndexedPack {
  readonly packId: string;
  readonly type: BlobType;
  readonly size: number;
  readonly blobs: readonly PackedBlob[];
}

const indexMagic = 0x58494643; // "CFIX"
const indexVersion = 1;
/** Sanity bound on blobs per pack in a decoded index (a 4 GiB pack of minimal records). */
const maxBlobsPerPack = 1 << 24;

/**
 * Index file (docs/FORMAT.md §8): "CFIX" | version u8 = 1 | reserved u8×3 | pack count u32,
 * then per pack: pack ID [32] | pack type u8 | pack size u64 | blob count u32 | per blob:
 * blob ID [32] | type u8 | flags u8 | offset u32 | plainLength u32 | storedLength u32.
 * Plaintext (keyless); the object is named by the SHA-256 of its bytes.
 */
export function encodeIndexFile(packs: readonly IndexedPack[]): { bytes: Uint8Array; id: string } {
  return joinIndexFile(packs.map(encodeIndexedPack));
}

/**
 * The part of an index file that lists one pack and its blobs (45 + 46 B per blob). A backup
 * keeps its stored packs this way, not as blob objects (~170 B each), until it writes their
 * index file: a backup of many small files stores tens of thousands of blobs per pack.
 */
export function encodeIndexedPack(pack: IndexedPack): Uint8Array {
  const writer = new ByteWriter(45 + pack.blobs.length * 46);
  writer.bytes(Buffer.from(pack.packId, 'hex')).u8(pack.type).u64(pack.size).u32(pack.blobs.length);
  for (const blob of pack.blobs) {
    writer.bytes(blob.id).u8(blob.type).u8(blob.flags).u32(blob.offset).u32(blob.plainLength).u32(blob.storedLength);
  }
  return writer.view();
}

/** An index file of packs encoded by `encodeIndexedPack`. */
export function joinIndexFile(packs: readonly Uint8Array[]): { bytes: Uint8Array; id: string } {
  const header = new ByteWriter(12);
  header.u32(indexMagic).u8(indexVersion).u8(0).u8(0).u8(0).u32(packs.length);
  const bytes = new Uint8Array(packs.reduce((length, pack) => length + pack.byteLength, 12));
  bytes.set(header.view());
  let at = 12;
  for (const pack of packs) {
    bytes.set(pack, at);
    at += pack.byteLength;
  }
  return { bytes, id: createHash('sha256').update(bytes).digest('hex') };
}

/** Parses an index file; when `expectedId` is given, verifies the content hash first. */
export function decodeIndexFile(bytes: Uint8Array, expectedId?: string): IndexedPack[] {
  if (expectedId !== undefined && createHash('sha256').update(bytes).digest('hex') !== expectedId) {
    throw new CorruptDataError('index file does not match its name (hash mismatch)');
  }
  const reader = new ByteReader(bytes, 'index file');
  if (reader.u32() !== indexMagic) throw new CorruptDataError('not an index file (bad magic)');
  const version = reader.u8();
  if (version !== indexVersion) throw new CorruptDataError(`unsupported index version ${version}`);
  reader.bytes(3);
  const packCount = reader.u32();
  const packs: IndexedPack[] = [];
  for (let p = 0; p < packCount; p++) {
    const packId = toHex(reader.bytes(32));
    const type = reader.u8();
    if (type !== blobTypeData && type !== blobTypeTree) throw new CorruptDataError('index file: unknown pack type');
    const size = reader.u64();
    const count = reader.u32();
    if (count > maxBlobsPerPack || count * 46 > reader.remaining) throw new CorruptDataError('index file is truncated');
    const blobs: PackedBlob[] = [];
    for (let b = 0; b < count; b++) {
      const id = reader.bytes(32).slice();
      const blobType = reader.u8();
      const flags = reader.u8();
      if ((blobType !== blobTypeData && blobType !== blobTypeTree) || (flags & ~flagCompressed) !== 0) {
        throw new CorruptDataError('index file: bad blob type or flags');
      }
      blobs.push({
        id,
        type: blobType,
        flags,
        offset: reader.u32(),
        plainLength: reader.u32(),
        storedLength: reader.u32(),
      });
    }
    packs.push({ packId, type, size, blobs });
  }
  reader.end();
  return packs;
}
