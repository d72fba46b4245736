import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computeBlobId } from './blob-id.ts';
import { BlobDecompressor, compressBlob, decompressBlob } from './compression.ts';
import { CorruptDataError, EngineError } from './errors.ts';
import { blobTypeTree, flagCompressed } from './format.ts';
import { decodeIndexFile, encodeIndexFile } from './index-file.ts';
import { decodeKeySlot, encodeKeySlot, type KeySlot } from './key-slot.ts';
import { deriveVaultKeys } from './keys.ts';
import { PackBuilder, scanRecords, verifyPackStructure } from './pack.ts';
import { decodeConfig } from './repository-config.ts';
import { decodeReferences, decodeSnapshotEnvelope, encodeSnapshot } from './snapshot-file.ts';
import { deterministicBytes } from './testing/deterministic-bytes.ts';
import { decodeTree, encodeTree } from './tree.ts';

const frameSource = Buffer.from('compressible '.repeat(300));
const keys = deriveVaultKeys(deterministicBytes('fuzz', 32), deterministicBytes('fuzz-repo', 16));

/** Valid samples of every format, to mutate. */
function samples(): Record<string, Uint8Array> {
  const tree = encodeTree([
    {
      name: 'file',
      kind: 'file',
      mode: 0o644,
      uid: 1,
      gid: 2,
      user: 'u',
      group: 'g',
      mtimeNs: 1n,
      ctimeNs: 2n,
      device: 3,
      inode: 4,
      links: 1,
      size: 10,
      extents: [{ blob: deterministicBytes('b', 32), length: 6 }, { zeros: 4 }],
      subtree: undefined,
      target: '',
      rdev: 0,
      xattrs: [{ name: 'user.x', value: new Uint8Array([1]) }],
    },
  ]);
  const builder = new PackBuilder(blobTypeTree, new Uint8Array(256));
  const compressed = compressBlob(tree);
  builder.add(
    keys.blobKey,
    computeBlobId(keys.idKey, tree),
    blobTypeTree,
    compressed ? flagCompressed : 0,
    tree.byteLength,
    compressed ?? tree,
  );
  const pack = builder.finish().bytes.slice();
  const { blobs } = verifyPackStructure(pack);
  const index = encodeIndexFile([{ packId: 'ab'.repeat(32), type: blobTypeTree, size: pack.byteLength, blobs }]).bytes;
  const snapshot = encodeSnapshot(
    keys.snapshotKey,
    {
      version: 1,
      time: '2026-01-01T00:00:00.000Z',
      hostname: 'h',
      username: 'u',
      paths: ['/'],
      tags: [],
      excludes: [],
      parent: null,
      tree: 'cd'.repeat(32),
      summary: {
        files: 0,
        directories: 0,
        totalBytes: 0,
        bytesRead: 0,
        bytesAdded: 0,
        storedBytesAdded: 0,
        durationMs: 0,
        warnings: 0,
      },
    },
    [{ id: deterministicBytes('r', 32), type: 0, storedLength: 40, plainLength: 12 }],
  ).bytes;
  const slot: KeySlot = {
    version: 1,
    id: '0'.repeat(32),
    repository: '1'.repeat(32),
    kind: 'passphrase',
    label: '',
    createdAt: 'now',
    kdf: { algorithm: 'argon2id', memoryKiB: 64, iterations: 1, parallelism: 1, salt: '2'.repeat(32) },
    wrappedKey: 'ab'.repeat(60),
  };
  const config = Buffer.from(
    JSON.stringify({
      format: 'coffer-repository',
      version: 1,
      id: 'a'.repeat(32),
      chunker: { minSize: 512, avgSize: 1024, maxSize: 4096 },
      packSize: 1 << 20,
      compressionLevel: 2,
    }),
  );
  return { tree, pack, index, snapshot, slot: encodeKeySlot(slot), config, frame: compressBlob(frameSource)! };
}

const valid = samples();

const decoders: Record<string, (bytes: Uint8Array) => unknown> = {
  tree: decodeTree,
  pack: (bytes) => {
    verifyPackStructure(bytes);
    return scanRecords(bytes);
  },
  index: (bytes) => decodeIndexFile(bytes),
  snapshot: (bytes) => decodeReferences(decodeSnapshotEnvelope(bytes)),
  slot: decodeKeySlot,
  config: decodeConfig,
  frame: (bytes) => {
    decompressBlob(bytes, frameSource.byteLength);
    return new BlobDecompressor().decompress(bytes, frameSource.byteLength);
  },
};

/** Decoding must either succeed or throw one of the engine's own errors; anything else is a bug. */
function decodeCleanly(name: string, bytes: Uint8Array): void {
  try {
    decoders[name]!(bytes);
  } catch (error) {
    if (!(error instanceof EngineError))
      throw new Error(`${name} decoder threw ${(error as Error)?.constructor?.name}: ${(error as Error)?.message}`);
  }
}

describe('decoders under random and mutated input', () => {
  it('accept their own valid encodings', () => {
    for (const name of Object.keys(decoders)) expect(() => decoders[name]!(valid[name]!)).not.toThrow();
  });

  for (const name of Object.keys(decoders)) {
    it(`${name}: random bytes give clean errors only`, () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => decodeCleanly(name, bytes)),
        { numRuns: 300 },
      );
    });

    it(`${name}: mutated valid bytes give clean errors only`, () => {
      const original = valid[name]!;
      fc.assert(
        fc.property(
          fc.array(fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }), {
            minLength: 1,
            maxLength: 4,
          }),
          fc.nat(),
          fc.boolean(),
          (flips, cut, truncate) => {
            const bytes = original.slice(0, truncate ? cut % (original.byteLength + 1) : original.byteLength);
            for (const flip of flips) if (bytes.byteLength > 0) bytes[flip.at % bytes.byteLength] = flip.value;
            decodeCleanly(name, bytes);
          },
        ),
        { numRuns: 300 },
      );
    });
  }

  it('reports a corrupt frame as CorruptDataError', () => {
    expect(() => new BlobDecompressor().decompress(new Uint8Array([1, 2, 3]), 10)).toThrow(CorruptDataError);
  });
});
