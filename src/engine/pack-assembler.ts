import type { BlobStore, BlobUpload } from '../storage/index.ts';
import { type BlobType, dataPrefix, packKey } from './format.ts';
import { PackBuilder, type PackedBlob, PackStream, trailerEntryLength, trailerFooterLength } from './pack.ts';

/** A pack now durable in the store. */
export interface StoredPack {
  readonly packId: string;
  readonly size: number;
  readonly blobs: PackedBlob[];
}

/** The pack being filled: its layout so far, and how its records reach the store. */
interface OpenPack {
  /** Where records are placed (`addRecord`) and how far the pack has grown. */
  readonly layout: Pick<PackStream, 'length' | 'blobCount' | 'addRecord'>;
  /**
   * Called with the bytes of the records placed since the previous call (in order, one
   * contiguous piece of the caller's buffer); settles once those bytes are no longer needed.
   */
  placed(run: Uint8Array): Promise<void>;
  /** Completes the pack and makes it durable in the store. */
  store(): Promise<StoredPack>;
  /** Drops a pack that will not be completed. */
  abandon(): void;
}

/**
 * Assembles sealed records into packs of at most `packSize` bytes and stores them, at most
 * `store.writesInFlight` (default 1) packs being stored while the next one fills; `onStored`
 * hears of each stored pack.
 *
 * A store that offers `startUpload` (a local directory) receives each pack as it grows: the
 * records are written from the caller's buffers straight into the pack's temporary file, and
 * nothing of the pack is held here but its trailer entries and running hash. Other stores
 * take whole packs through `put`: records are then copied into reused pack buffers.
 */
export class PackAssembler {
  readonly #type: BlobType;
  readonly #packSize: number;
  readonly #store: BlobStore;
  readonly #onStored: (pack: StoredPack) => Promise<void> | void;
  readonly #storesInFlight: number;
  /** Whole-pack buffers (stores without `startUpload`), reused. */
  readonly #freeBuffers: Uint8Array[] = [];
  #open: OpenPack | undefined;
  readonly #storing = new Set<Promise<void>>();
  #failure: unknown;

  constructor(
    type: BlobType,
    packSize: number,
    store: BlobStore,
    onStored: (pack: StoredPack) => Promise<void> | void,
  ) {
    const inFlight = store.writesInFlight ?? 1;
    if (!Number.isInteger(inFlight) || inFlight < 1 || inFlight > 8) {
      throw new RangeError(`writes in flight must be an integer from 1 to 8, not ${inFlight}`);
    }
    this.#type = type;
    this.#packSize = packSize;
    this.#store = store;
    this.#onStored = onStored;
    this.#storesInFlight = inFlight;
  }

  async #openPack(): Promise<OpenPack> {
    // Backpressure that bounds memory (and temporary files): one pack filling, at most
    // `writesInFlight` being stored.
    while (this.#storing.size > this.#storesInFlight) await Promise.race(this.#storing);
    if (this.#failure) throw this.#failure;
    if (this.#store.startUpload) return streamedPack(this.#type, this.#store.startUpload(dataPrefix.slice(0, -1)));
    const buffer = this.#freeBuffers.pop() ?? new Uint8Array(this.#packSize + 64 * 1024);
    return bufferedPack(this.#type, buffer, this.#store, (free) => this.#freeBuffers.push(free));
  }

  #close(): void {
    const pack = this.#open;
    this.#open = undefined;
    if (!pack) return;
    if (pack.layout.blobCount === 0) {
      pack.abandon();
      return;
    }
    const storing = pack
      .store()
      .then((stored) => this.#onStored(stored))
      .catch((error: unknown) => {
        this.#failure ??= error;
      });
    this.#storing.add(storing);
    void storing.finally(() => this.#storing.delete(storing));
  }

  /** Whether a record of `length` bytes would take a non-empty pack, trailer included, past the pack size. */
  #overflows(layout: OpenPack['layout'], length: number): boolean {
    const { blobCount } = layout;
    return (
      blobCount > 0 &&
      layout.length + (blobCount + 1) * trailerEntryLength + length + trailerFooterLength > this.#packSize
    );
  }

  /**
   * Places sealed records (`records`, record i ending at `ends[i]`) into packs, in call
   * order, closing a pack whenever the next record would overflow it. Resolves once they
   * are placed, so the next call may follow; `release` is called once their bytes are no
   * longer needed (copied, or written to the store), when the buffer may be reused.
   */
  async add(records: Uint8Array, ends: readonly number[], release: () => void = () => {}): Promise<void> {
    if (this.#failure) throw this.#failure;
    const settled: Promise<void>[] = [];
    let start = 0;
    let runStart = 0;
    for (const end of ends) {
      const length = end - start;
      const open = this.#open;
      if (open && this.#overflows(open.layout, length)) {
        settled.push(open.placed(records.subarray(runStart, start)));
        runStart = start;
        this.#close();
      }
      this.#open ??= await this.#openPack();
      this.#open.layout.addRecord(records.subarray(start, end));
      start = end;
    }
    if (this.#open) settled.push(this.#open.placed(records.subarray(runStart, start)));
    void Promise.all(settled).then(release, (error: unknown) => {
      this.#failure ??= error;
      release();
    });
  }

  /** Closes the open pack and waits until every pack is stored. */
  async flush(): Promise<void> {
    this.#close();
    while (this.#storing.size > 0) await Promise.all([...this.#storing]);
    if (this.#failure) throw this.#failure;
  }
}

/** A pack streamed into an upload: records are written where they land, from the caller's buffer. */
function streamedPack(type: BlobType, upload: Promise<BlobUpload>): OpenPack {
  const layout = new PackStream(type);
  const writes: Promise<void>[] = [];
  const write = (bytes: Uint8Array, offset: number): Promise<void> => {
    const written = upload.then((started) => started.write(bytes, offset));
    writes.push(written);
    return written;
  };
  write(layout.header, 0).catch(() => undefined);
  return {
    layout,
    placed: (run) => {
      if (run.byteLength === 0) return Promise.resolve();
      layout.hash(run);
      // The run is the last bytes placed: it ends where the pack does.
      return write(run, layout.length - run.byteLength);
    },
    store: async () => {
      const started = await upload;
      try {
        await Promise.all(writes);
        const { trailer, id } = layout.finish();
        await started.write(trailer, layout.length);
        const packId = Buffer.from(id).toString('hex');
        await started.commit(packKey(packId));
        return { packId, size: layout.length + trailer.byteLength, blobs: layout.entries };
      } catch (error) {
        await started.abort();
        throw error;
      }
    },
    abandon: () => {
      void upload.then((started) => started.abort()).catch(() => undefined);
    },
  };
}

/** A pack copied into a reused buffer and stored whole with `put`. */
function bufferedPack(
  type: BlobType,
  buffer: Uint8Array,
  store: BlobStore,
  free: (buffer: Uint8Array) => void,
): OpenPack {
  const builder = new PackBuilder(type, buffer);
  return {
    layout: builder,
    placed: () => Promise.resolve(),
    store: async () => {
      const { bytes, id } = builder.finish();
      const packId = Buffer.from(id).toString('hex');
      try {
        await store.put(packKey(packId), bytes);
      } finally {
        free(new Uint8Array(bytes.buffer));
      }
      return { packId, size: bytes.byteLength, blobs: builder.entries };
    },
    abandon: () => free(new Uint8Array(buffer.buffer)),
  };
}
