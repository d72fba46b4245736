import { computeBlobId } from './blob-id.ts';
import { BlobCompressor } from './compression.ts';
import { blobTypeTree, flagCompressed } from './format.ts';
import { PackBuilder, type PackedBlob, packedSize, trailerEntryLength, trailerFooterLength } from './pack.ts';

/** A pack ready to persist. */
export interface BuiltPack {
  readonly packId: string;
  readonly bytes: Uint8Array;
  readonly blobs: PackedBlob[];
}

/**
 * Tree packs close at this size (or at the repository's pack size, if smaller). A tree pack
 * is built whole in memory on the main thread until it is stored, so its size is memory the
 * backups of many files hold: the trees of 34,000 files take ~2.4 MB, so a backup of a
 * million files filled packs of the full 16 MiB, in a buffer that doubled to hold them.
 */
export const treePackLimit = 4 * 1024 * 1024;

/**
 * Packs tree blobs on the calling thread (trees are small next to data). `claim` decides
 * whether a blob is new; a pack that became full is returned by `add`.
 */
export class TreePacker {
  readonly #idKey: Uint8Array;
  readonly #blobKey: Uint8Array;
  readonly #packSize: number;
  readonly #compressor: BlobCompressor;
  #builder: PackBuilder | undefined;

  constructor(keys: { idKey: Uint8Array; blobKey: Uint8Array }, packSize: number, compressionLevel: number) {
    this.#idKey = keys.idKey;
    this.#blobKey = keys.blobKey;
    this.#packSize = Math.min(packSize, treePackLimit);
    this.#compressor = new BlobCompressor(compressionLevel);
  }

  /** Adds a tree (if `claim` says it is new) and returns its ID plus a pack that became full, if any. */
  add(plain: Uint8Array, claim: (id: Uint8Array) => boolean): { id: Uint8Array; full: BuiltPack | undefined } {
    const id = computeBlobId(this.#idKey, plain);
    if (!claim(id)) return { id, full: undefined };
    const compressed = this.#compressor.compress(plain);
    const payload = compressed ?? plain;
    let full: BuiltPack | undefined;
    const builder = this.#builder;
    if (
      builder &&
      builder.length + builder.blobCount * trailerEntryLength + packedSize(payload.byteLength) + trailerFooterLength >
        this.#packSize
    ) {
      full = this.flush();
    }
    this.#builder ??= new PackBuilder(blobTypeTree, new Uint8Array(Math.min(this.#packSize, 1 << 20)));
    this.#builder.add(this.#blobKey, id, blobTypeTree, compressed ? flagCompressed : 0, plain.byteLength, payload);
    return { id, full };
  }

  /** Finishes the open pack, if any. */
  flush(): BuiltPack | undefined {
    const builder = this.#builder;
    this.#builder = undefined;
    if (!builder || builder.blobCount === 0) return undefined;
    const { bytes, id } = builder.finish();
    return { packId: Buffer.from(id).toString('hex'), bytes, blobs: builder.entries };
  }
}
