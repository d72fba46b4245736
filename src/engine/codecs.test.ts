import { createHash } from 'node:crypto';
import { constants, zstdCompressSync, zstdDecompressSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { open, seal } from './aead.ts';
import { computeBlobId } from './blob-id.ts';
import { BlobIndex, IdTable } from './blob-index.ts';
import { ByteCopies, copyBytes } from './bytes.ts';
import { BlobCompressor, BlobDecompressor, compressBlob, decompressBlob, matchFinderTables } from './compression.ts';
import { CorruptDataError } from './errors.ts';
import { blobTypeData, blobTypeTree, flagCompressed } from './format.ts';
import { decodeIndexFile, encodeIndexFile } from './index-file.ts';
import { deriveVaultKeys } from './keys.ts';
import { openRecord, PackBuilder, PackStream, recordHeaderLength, scanRecords, verifyPackStructure } from './pack.ts';
import {
  decodeReferences,
  decodeSnapshotEnvelope,
  encodeSnapshot,
  openSnapshotMeta,
  ReferenceSection,
  type SnapshotMeta,
} from './snapshot-file.ts';
import { deterministicBytes } from './testing/deterministic-bytes.ts';
import { decodeTree, encodeTree, type TreeEntry } from './tree.ts';

const keys = deriveVaultKeys(deterministicBytes('codec-master', 32), deterministicBytes('codec-repo', 16));

function buildPack(): { bytes: Uint8Array; id: Uint8Array; plains: Uint8Array[] } {
  const builder = new PackBuilder(blobTypeData, new Uint8Array(1024));
  const plains = [deterministicBytes('a', 5000), new TextEncoder().encode('hello '.repeat(2000)), new Uint8Array(0)];
  for (const plain of plains) {
    const compressed = compressBlob(plain);
    builder.add(
      keys.blobKey,
      computeBlobId(keys.idKey, plain),
      blobTypeData,
      compressed ? flagCompressed : 0,
      plain.byteLength,
      compressed ?? plain,
    );
  }
  const { bytes, id } = builder.finish();
  return { bytes: bytes.slice(), id, plains };
}

describe('ByteCopies', () => {
  it('copies into shared blocks that grow to 8 KiB, independent of the source', () => {
    const copies = new ByteCopies();
    const source = new Uint8Array(32);
    const made: Uint8Array[] = [];
    for (let i = 0; i < 1000; i++) {
      source.fill(i & 0xff);
      made.push(copies.copy(source));
    }
    source.fill(0xee);
    for (const [i, copy] of made.entries()) expect(copy).toEqual(new Uint8Array(32).fill(i & 0xff));
    const blocks = new Set(made.map((copy) => copy.buffer));
    // 256 B, 512 B … 8 KiB, then 8 KiB blocks: 32,000 bytes in 8 blocks.
    expect(blocks.size).toBe(8);
    expect(Math.max(...[...blocks].map((block) => block.byteLength))).toBe(8192);
    // A copy larger than a block gets one of its own size.
    const long = deterministicBytes('long', 20_000);
    expect(copies.copy(long)).toEqual(long);
  });
});

describe('copyBytes', () => {
  it('copies into and out of shared memory at any alignment, like set, and refuses to overflow', () => {
    const source = deterministicBytes('copy', 70_000);
    for (const shared of [true, false]) {
      const memory = shared ? new SharedArrayBuffer(80_000) : new ArrayBuffer(80_000);
      const target = new Uint8Array(memory, 3, 75_000);
      for (const position of [0, 1, 6, 54, 4_999]) {
        target.fill(0);
        copyBytes(target, source, position);
        expect(Buffer.from(target.subarray(position, position + source.byteLength)).equals(source)).toBe(true);
        expect(target[position - 1] ?? 0).toBe(0);
        expect(target[position + source.byteLength] ?? 0).toBe(0);
        // Out of shared memory as well.
        const back = new Uint8Array(source.byteLength + 9);
        copyBytes(back, target.subarray(position, position + source.byteLength), 5);
        expect(Buffer.from(back.subarray(5, 5 + source.byteLength)).equals(source)).toBe(true);
      }
      expect(() => copyBytes(target, source, 6_000)).toThrow(RangeError);
      copyBytes(target, new Uint8Array(0), 75_000);
    }
  });
});

describe('AEAD', () => {
  it('round-trips and rejects altered data or associated data', () => {
    const sealed = seal(keys.blobKey, new Uint8Array([1, 2, 3]), new Uint8Array([9]));
    expect(open(keys.blobKey, sealed, new Uint8Array([9]))).toEqual(new Uint8Array([1, 2, 3]));
    expect(() => open(keys.blobKey, sealed, new Uint8Array([8]))).toThrow(CorruptDataError);
    sealed[13]! ^= 1;
    expect(() => open(keys.blobKey, sealed, new Uint8Array([9]))).toThrow(CorruptDataError);
  });

  it('decrypts in place, over the sealed bytes and from before them, across many slices', () => {
    const plain = deterministicBytes('in-place', 300_000);
    const aad = new Uint8Array([7, 7]);
    const sealed = seal(keys.blobKey, plain, aad);
    expect(Buffer.from(open(keys.blobKey, sealed.slice(), aad, undefined))).toEqual(Buffer.from(plain));
    const same = sealed.slice();
    expect(Buffer.from(open(keys.blobKey, same, aad, same))).toEqual(Buffer.from(plain));
    // As a restore worker does: the output starts earlier, at the record header.
    const record = new Uint8Array(48 + sealed.byteLength);
    record.set(sealed, 48);
    const fromHeader = open(keys.blobKey, record.subarray(48), aad, record);
    expect(fromHeader.byteOffset).toBe(0);
    expect(Buffer.from(fromHeader)).toEqual(Buffer.from(plain));
    const altered = sealed.slice();
    altered[200_000]! ^= 1;
    expect(() => open(keys.blobKey, altered, aad, altered)).toThrow(CorruptDataError);
  });
});

describe('compression', () => {
  it('compresses text, stores random data raw, and bounds decompression', () => {
    const text = new TextEncoder().encode('line of log text\n'.repeat(10_000));
    const frame = compressBlob(text)!;
    expect(frame.byteLength).toBeLessThan(text.byteLength / 10);
    expect(decompressBlob(frame, text.byteLength)).toEqual(Buffer.from(text));
    expect(compressBlob(deterministicBytes('random', 200_000))).toBeUndefined();
    expect(() => decompressBlob(frame, 10)).toThrow(CorruptDataError);
  });

  it('streams a frame in pieces, rejects a wrong length or a damaged frame, and recovers after', () => {
    const decompressor = new BlobDecompressor();
    const out = new Uint8Array(4096);
    const streamed = (frame: Uint8Array, length: number): Buffer => {
      const pieces: Uint8Array[] = [];
      decompressor.decompressInPieces(frame, length, out, (piece) => {
        expect(piece.byteLength).toBeLessThanOrEqual(out.byteLength);
        pieces.push(piece.slice());
      });
      return Buffer.concat(pieces);
    };
    // Around multiples of the piece size, and a frame that fits one piece.
    for (const lines of [8, 100, 255, 256, 257, 1024, 20_000]) {
      const plain = new TextEncoder().encode('0123456789abcde\n'.repeat(lines)); // 16 bytes a line
      const frame = compressBlob(plain)!;
      expect(streamed(frame, plain.byteLength).equals(plain)).toBe(true);
    }
    const plain = new TextEncoder().encode('a line that repeats\n'.repeat(5000));
    const frame = compressBlob(plain)!;
    expect(() => streamed(frame, plain.byteLength - 1)).toThrow(CorruptDataError);
    expect(() => streamed(frame, plain.byteLength + 1)).toThrow(CorruptDataError);
    expect(() => streamed(frame.subarray(0, frame.byteLength - 5), plain.byteLength)).toThrow(CorruptDataError);
    const damaged = frame.slice();
    damaged[Math.floor(damaged.byteLength / 2)]! ^= 0xff;
    damaged[4]! ^= 0xff;
    expect(() => streamed(damaged, plain.byteLength)).toThrow(CorruptDataError);
    // A failure in the caller's hands surfaces as it is, and the next frame still works.
    expect(() =>
      decompressor.decompressInPieces(frame, plain.byteLength, out, () => {
        throw new Error('disk full');
      }),
    ).toThrow('disk full');
    expect(streamed(frame, plain.byteLength).equals(plain)).toBe(true);
  });

  it('reuses one compressor across small and large blobs, compressible or not, in any order', () => {
    const compressor = new BlobCompressor();
    const decompressor = new BlobDecompressor();
    const line = (n: number) => new TextEncoder().encode(`entry ${n} of a log that repeats itself\n`.repeat(n));
    const blobs = [
      line(3),
      line(40_000),
      deterministicBytes('incompressible', 600_000),
      line(500),
      // Compressible samples, incompressible as a whole: judged on the full frame.
      new Uint8Array([...line(400), ...deterministicBytes('middle', 900_000), ...line(400)]),
      line(30_000),
      new Uint8Array(64),
    ];
    for (const plain of [...blobs, ...blobs.reverse()]) {
      const frame = compressor.compress(plain);
      if (!frame) {
        expect(compressBlob(plain)).toBeUndefined();
        continue;
      }
      expect(frame.byteLength).toBeLessThanOrEqual(Math.floor(plain.byteLength * 0.97));
      expect(Buffer.from(decompressor.decompress(frame, plain.byteLength)).equals(plain)).toBe(true);
    }
    expect(compressor.compress(blobs.find((b) => b.byteLength === 600_000)!)).toBeUndefined();
  });

  it('compresses at level 3 with smaller match-finder tables, into frames any zstd decodes', () => {
    expect(matchFinderTables(3)).toEqual({ [constants.ZSTD_c_hashLog]: 14, [constants.ZSTD_c_chainLog]: 15 });
    expect(matchFinderTables(1)).toEqual({});
    expect(matchFinderTables(9)).toEqual({});
    // Text of random words: long-range matches, where the tables' size shows.
    const words = Array.from({ length: 4096 }, (_, i) =>
      createHash('sha256')
        .update(`${i}`)
        .digest('hex')
        .slice(0, 3 + (i % 9)),
    );
    const random = deterministicBytes('words', 400_000);
    const plain = new TextEncoder().encode(Array.from(random, (byte, i) => words[(byte << 4) | (i & 15)]).join(' '));
    const frame = new BlobCompressor(3).compress(plain)!.slice();
    expect(Buffer.from(zstdDecompressSync(frame)).equals(plain)).toBe(true);
    const withDefaultTables = zstdCompressSync(plain, {
      params: { [constants.ZSTD_c_compressionLevel]: 3, [constants.ZSTD_c_checksumFlag]: 0 },
    });
    expect(frame.byteLength).toBeLessThan(withDefaultTables.byteLength * 1.01);
  });

  it('gives blobs under 256 KiB at level 3 unsized frames with a 256 KiB window, which any zstd decodes', () => {
    /** The frame header's content-size flag and window (RFC 8878 §3.1.1.1). */
    const header = (frame: Uint8Array) => {
      expect(Buffer.from(frame.subarray(0, 4)).readUInt32LE()).toBe(0xfd2fb528);
      const descriptor = frame[4]!;
      const singleSegment = (descriptor & 0x20) !== 0;
      const sized = descriptor >> 6 !== 0 || singleSegment;
      if (singleSegment) return { sized, window: undefined };
      const exponent = frame[5]! >> 3;
      const base = 2 ** (10 + exponent);
      return { sized, window: base + (base / 8) * (frame[5]! & 7) };
    };
    // Log lines with varying numbers, cut to `bytes`.
    const text = (bytes: number) =>
      new TextEncoder()
        .encode(
          Array.from(deterministicBytes(`text-${bytes}`, bytes / 16 + 8), (byte, i) => `line ${i}: ${byte}\n`).join(''),
        )
        .subarray(0, bytes);
    const level3 = new BlobCompressor(3);
    const level1 = new BlobCompressor(1);
    const decompressor = new BlobDecompressor();
    // Sizes in any order through one context (zstd would otherwise resize it for each).
    for (const bytes of [80_000, 200, 262_136, 4_096, 96, 131_072, 1_000]) {
      const plain = text(bytes);
      const frame = level3.compress(plain)!.slice();
      expect(header(frame)).toEqual({ sized: false, window: 256 * 1024 });
      expect(Buffer.from(zstdDecompressSync(frame)).equals(plain)).toBe(true);
      expect(Buffer.from(decompressor.decompress(frame, plain.byteLength)).equals(plain)).toBe(true);
      expect(Buffer.from(decompressBlob(frame, plain.byteLength)).equals(plain)).toBe(true);
      expect(() => decompressBlob(frame, plain.byteLength - 1)).toThrow(CorruptDataError);
      // Within 1 % (and a few bytes for the tiniest) of a frame zstd sizes for the blob.
      const sized = zstdCompressSync(plain, {
        params: { [constants.ZSTD_c_compressionLevel]: 3, [constants.ZSTD_c_checksumFlag]: 0, ...matchFinderTables(3) },
      });
      expect(frame.byteLength).toBeLessThanOrEqual(sized.byteLength * 1.01 + 16);
      // Other levels, and large blobs, keep frames that carry their size.
      expect(header(level1.compress(plain)!).sized).toBe(true);
    }
    expect(header(level3.compress(text(300_000))!).sized).toBe(true);
  });
});

describe('pack', () => {
  it('builds, verifies keylessly and opens every record', () => {
    const { bytes, id, plains } = buildPack();
    const { type, blobs } = verifyPackStructure(bytes, id);
    expect(type).toBe(blobTypeData);
    expect(blobs).toHaveLength(3);
    expect(scanRecords(bytes).map((b) => b.offset)).toEqual(blobs.map((b) => b.offset));
    blobs.forEach((blob, i) => {
      const record = bytes.subarray(blob.offset, blob.offset + recordHeaderLength + blob.storedLength);
      const payload = openRecord(keys.blobKey, record, blob);
      const plain = blob.flags & flagCompressed ? decompressBlob(payload, blob.plainLength) : payload;
      expect(Buffer.from(plain)).toEqual(Buffer.from(plains[i]!));
    });
  });

  it('keeps its entries’ IDs when the records’ buffer is reused (as the workers’ record slots are)', () => {
    const { bytes } = buildPack();
    const { blobs } = verifyPackStructure(bytes);
    const stream = new PackStream(blobTypeData);
    const slot = new Uint8Array(bytes.byteLength);
    for (const blob of blobs) {
      const length = recordHeaderLength + blob.storedLength;
      slot.set(bytes.subarray(blob.offset, blob.offset + length));
      stream.addRecord(slot.subarray(0, length));
      slot.fill(0);
    }
    expect(stream.entries.map((entry) => Buffer.from(entry.id).toString('hex'))).toEqual(
      blobs.map((blob) => Buffer.from(blob.id).toString('hex')),
    );
  });

  it('streams a pack whose trailer and ID equal those of the same pack built in memory (hundreds of records)', () => {
    const builder = new PackBuilder(blobTypeData, new Uint8Array(1024));
    for (let i = 0; i < 300; i++) {
      const plain = deterministicBytes(`streamed-${i}`, 100 + i);
      builder.add(keys.blobKey, computeBlobId(keys.idKey, plain), blobTypeData, 0, plain.byteLength, plain);
    }
    const built = builder.finish();
    const bytes = built.bytes.slice();
    const { blobs } = verifyPackStructure(bytes, built.id);
    const stream = new PackStream(blobTypeData);
    for (const blob of blobs) {
      const record = bytes.subarray(blob.offset, blob.offset + recordHeaderLength + blob.storedLength);
      expect(stream.length).toBe(blob.offset);
      stream.addRecord(record);
      stream.hash(record);
    }
    const { trailer, id } = stream.finish();
    expect(Buffer.from(trailer)).toEqual(Buffer.from(bytes.subarray(stream.length)));
    expect(Buffer.from(id)).toEqual(Buffer.from(built.id));
    expect(stream.entries).toEqual(blobs);
  });

  it('repacks records verbatim without the key', () => {
    const { bytes } = buildPack();
    const { blobs } = verifyPackStructure(bytes);
    const builder = new PackBuilder(blobTypeData, new Uint8Array(64));
    const blob = blobs[1]!;
    builder.addRecord(bytes.subarray(blob.offset, blob.offset + recordHeaderLength + blob.storedLength));
    const repacked = builder.finish();
    const [moved] = verifyPackStructure(repacked.bytes, repacked.id).blobs;
    const record = repacked.bytes.subarray(moved!.offset, moved!.offset + recordHeaderLength + moved!.storedLength);
    expect(decompressBlob(openRecord(keys.blobKey, record, moved!), moved!.plainLength).byteLength).toBe(12_000);
  });

  it('names a pack by the SHA-256 of all its bytes when it is hashed as it grows (records of several MiB, a growing buffer)', () => {
    const sealed = new PackBuilder(blobTypeData, new Uint8Array(1024));
    const copied = new PackBuilder(blobTypeData, new Uint8Array(64));
    for (let i = 0; i < 12; i++) {
      const plain = deterministicBytes(`grow-${i}`, 300_000 + i * 97);
      const id = computeBlobId(keys.idKey, plain);
      sealed.add(keys.blobKey, id, blobTypeData, 0, plain.byteLength, plain);
    }
    const { bytes, id } = sealed.finish();
    expect(bytes.byteLength).toBeGreaterThan(3 * 1024 * 1024);
    expect(Buffer.from(id).toString('hex')).toBe(createHash('sha256').update(bytes).digest('hex'));
    for (const blob of verifyPackStructure(bytes, id).blobs) {
      copied.addRecord(bytes.subarray(blob.offset, blob.offset + recordHeaderLength + blob.storedLength));
    }
    const again = copied.finish();
    expect(Buffer.from(again.id).toString('hex')).toBe(createHash('sha256').update(again.bytes).digest('hex'));
  });

  it('detects a flipped header bit through authentication', () => {
    const { bytes } = buildPack();
    const { blobs } = verifyPackStructure(bytes);
    const blob = blobs[0]!;
    const record = bytes.slice(blob.offset, blob.offset + recordHeaderLength + blob.storedLength);
    record[33] = record[33]! ^ 1;
    expect(() => openRecord(keys.blobKey, record, { ...blob, flags: record[33]! })).toThrow(CorruptDataError);
  });

  it('rejects a hash mismatch and truncation', () => {
    const { bytes, id } = buildPack();
    const flipped = bytes.slice();
    flipped[100]! ^= 4;
    expect(() => verifyPackStructure(flipped, id)).toThrow(/hash mismatch/);
    expect(() => verifyPackStructure(bytes.subarray(0, bytes.byteLength - 3))).toThrow(CorruptDataError);
  });
});

describe('IdTable', () => {
  it('numbers IDs in the order added, finds them across growth and sorts them byte-wise', () => {
    const table = new IdTable();
    const ids = Array.from({ length: 5000 }, (_, i) => deterministicBytes(`id-${i}`, 32));
    // IDs that share their first four bytes: the sort must look past them.
    const twin = ids[0]!.slice();
    twin[31] = ids[0]![31]! ^ 1;
    ids.push(twin);
    for (const [i, id] of ids.entries()) expect(table.add(id)).toBe(i);
    // Adding again changes nothing.
    expect(table.add(ids[1234]!.slice())).toBe(1234);
    expect(table.size).toBe(ids.length);
    for (const [i, id] of ids.entries()) {
      expect(table.entryOf(id)).toBe(i);
      expect(table.idAt(i)).toEqual(id);
    }
    expect(table.entryOf(deterministicBytes('absent', 32))).toBe(-1);
    const hex = (id: Uint8Array) => Buffer.from(id).toString('hex');
    expect(table.sortedEntries().map((entry) => hex(table.idAt(entry)))).toEqual(ids.map(hex).sort());
  });
});

describe('index file', () => {
  it('round-trips and feeds the in-memory index', () => {
    const { bytes, id } = buildPack();
    const { blobs } = verifyPackStructure(bytes);
    const packId = Buffer.from(id).toString('hex');
    const encoded = encodeIndexFile([{ packId, type: blobTypeData, size: bytes.byteLength, blobs }]);
    const [pack] = decodeIndexFile(encoded.bytes, encoded.id);
    expect(pack!.blobs.map((b) => b.offset)).toEqual(blobs.map((b) => b.offset));
    const index = new BlobIndex();
    for (const blob of pack!.blobs) index.add(packId, blob);
    expect(index.get(blobs[2]!.id)?.offset).toBe(blobs[2]!.offset);
    expect(index.has(deterministicBytes('absent', 32))).toBe(false);
  });

  it('keeps thousands of entries findable across growth', () => {
    const index = new BlobIndex();
    const ids = Array.from({ length: 5000 }, (_, i) => deterministicBytes(`id${i}`, 32));
    for (const [i, id] of ids.entries()) {
      index.add('p', { id, type: blobTypeData, flags: 0, offset: i, plainLength: i, storedLength: 28 });
    }
    expect(index.size).toBe(5000);
    expect(ids.every((id, i) => index.get(id)?.offset === i)).toBe(true);
    expect(
      index.add('q', { id: ids[7]!, type: blobTypeData, flags: 0, offset: 0, plainLength: 0, storedLength: 28 }),
    ).toBe(false);
  });

  it('hands out entry numbers that lead to the same location as the ID', () => {
    const index = new BlobIndex();
    const ids = Array.from({ length: 3000 }, (_, i) => deterministicBytes(`entry${i}`, 32));
    for (const [i, id] of ids.entries()) {
      const pack = `pack${i % 3}`;
      index.add(pack, { id, type: blobTypeData, flags: i % 2, offset: i * 100, plainLength: i, storedLength: 28 + i });
    }
    for (const [i, id] of ids.entries()) {
      const entry = index.entryOf(id);
      expect(index.at(entry)).toEqual(index.get(id));
      expect(index.packIdOf(index.packNumberAt(entry))).toBe(`pack${i % 3}`);
      expect([index.offsetAt(entry), index.storedLengthAt(entry)]).toEqual([i * 100, 28 + i]);
    }
    expect(index.entryOf(deterministicBytes('absent', 32))).toBe(-1);
    expect(() => index.at(3000)).toThrow(RangeError);
    expect(() => index.packIdOf(3)).toThrow(RangeError);
  });
});

const entryArbitrary: fc.Arbitrary<TreeEntry> = fc
  .record({
    name: fc
      .string({ minLength: 1, maxLength: 20 })
      .filter((n) => n !== '.' && n !== '..' && !n.includes('/') && !n.includes('\0')),
    kind: fc.constantFrom('file', 'dir', 'symlink', 'fifo', 'chardev') as fc.Arbitrary<TreeEntry['kind']>,
    mode: fc.integer({ min: 0, max: 0o7777 }),
    uid: fc.nat(),
    gid: fc.nat(),
    user: fc.string({ maxLength: 8 }),
    group: fc.string({ maxLength: 8 }),
    mtimeNs: fc.bigInt({ min: -(2n ** 62n), max: 2n ** 62n }),
    ctimeNs: fc.bigInt({ min: 0n, max: 2n ** 62n }),
    device: fc.nat(),
    inode: fc.nat(),
    links: fc.nat({ max: 100 }),
    size: fc.constant(0),
    extents: fc.constant([]),
    subtree: fc.constant(undefined),
    target: fc.constant(''),
    rdev: fc.constant(0),
    xattrs: fc.constant([]),
  })
  .map((entry) => {
    if (entry.kind === 'file')
      return { ...entry, size: 7, extents: [{ blob: deterministicBytes(entry.name, 32), length: 5 }, { zeros: 2 }] };
    if (entry.kind === 'dir') return { ...entry, subtree: deterministicBytes(entry.name, 32) };
    if (entry.kind === 'symlink') return { ...entry, target: `../${entry.name}` };
    if (entry.kind === 'chardev') return { ...entry, rdev: 259 };
    return entry;
  });

describe('tree', () => {
  it('round-trips arbitrary directories', () => {
    fc.assert(
      fc.property(fc.uniqueArray(entryArbitrary, { selector: (e) => e.name, maxLength: 12 }), (entries) => {
        const sorted = [...entries].sort((a, b) => (a.name < b.name ? -1 : 1));
        expect(decodeTree(encodeTree(sorted))).toEqual(sorted);
      }),
      { numRuns: 200 },
    );
  });

  it('decodes a tree that sits inside a larger buffer (names read in place, not copied)', () => {
    // Multi-byte names, so a wrong offset or length cannot decode to the same text by chance.
    const entries = fc
      .sample(entryArbitrary, 5)
      .map((entry, i) => ({ ...entry, name: `${i}-ünï-日本-${i}`, user: `ü${i}`, group: '日本' }));
    const encoded = encodeTree(entries);
    const host = new Uint8Array(encoded.byteLength + 13).fill(0xff);
    host.set(encoded, 7);
    expect(decodeTree(host.subarray(7, 7 + encoded.byteLength))).toEqual(entries);
  });

  it('gives its entries IDs of their own, not views of the bytes it decoded', () => {
    const entries = fc
      .sample(entryArbitrary, 40)
      .map((entry, i) => ({ ...entry, name: `e${String(i).padStart(3, '0')}` }));
    const encoded = encodeTree(entries);
    const decoded = decodeTree(encoded);
    encoded.fill(0);
    expect(decoded).toEqual(entries);
  });
});

describe('snapshot', () => {
  it('round-trips, exposes the reference list keylessly and rejects tampering', () => {
    const meta: SnapshotMeta = {
      version: 1,
      time: '2026-01-02T03:04:05.000Z',
      hostname: 'h',
      username: 'u',
      paths: ['/data'],
      tags: ['t'],
      excludes: [],
      parent: null,
      tree: 'ab'.repeat(32),
      summary: {
        files: 1,
        directories: 1,
        totalBytes: 5,
        bytesRead: 5,
        bytesAdded: 5,
        storedBytesAdded: 40,
        durationMs: 1,
        warnings: 0,
      },
    };
    const references = [
      { id: deterministicBytes('r2', 32), type: blobTypeTree, storedLength: 40, plainLength: 12 },
      { id: deterministicBytes('r1', 32), type: blobTypeData, storedLength: 33, plainLength: 5 },
      { id: deterministicBytes('r1', 32), type: blobTypeData, storedLength: 33, plainLength: 5 },
    ] as const;
    const { bytes, id } = encodeSnapshot(keys.snapshotKey, meta, references);
    const envelope = decodeSnapshotEnvelope(bytes, id);
    expect(envelope.timeMs).toBe(Date.parse(meta.time));
    const decoded = decodeReferences(envelope);
    expect(decoded).toHaveLength(2);
    expect(Buffer.compare(decoded[0]!.id, decoded[1]!.id)).toBeLessThan(0);
    expect(openSnapshotMeta(keys.snapshotKey, envelope)).toEqual(meta);
    const tampered = bytes.slice();
    tampered[10]! ^= 1;
    expect(() => openSnapshotMeta(keys.snapshotKey, decodeSnapshotEnvelope(tampered))).toThrow(CorruptDataError);

    // The same references written one by one in ID order encode the same section.
    const section = new ReferenceSection(3);
    for (const reference of decoded)
      section.add(reference.id, reference.type, reference.storedLength, reference.plainLength);
    const written = encodeSnapshot(keys.snapshotKey, meta, section);
    expect(decodeReferences(decodeSnapshotEnvelope(written.bytes, written.id))).toEqual(decoded);
    expect(written.bytes.subarray(0, 24)).toEqual(bytes.subarray(0, 24));
  });

  it('takes a reference section only in ascending ID order, each ID once, up to its capacity', () => {
    const [low, high] = [deterministicBytes('r1', 32), deterministicBytes('r2', 32)].sort(Buffer.compare);
    const section = new ReferenceSection(2);
    section.add(high!, blobTypeData, 40, 12);
    expect(() => section.add(low!, blobTypeData, 40, 12)).toThrow(RangeError);
    expect(() => section.add(high!, blobTypeData, 40, 12)).toThrow(RangeError);
    const full = new ReferenceSection(1);
    full.add(low!, blobTypeData, 40, 12);
    expect(() => full.add(high!, blobTypeData, 40, 12)).toThrow(RangeError);
    expect(full.count).toBe(1);
    expect(full.bytes.byteLength).toBe(41);
  });
});
