import type { BlobType } from './format.ts';
import { PackBuilder, trailerEntryLength, trailerFooterLength } from './pack.ts';
import type { BuiltPack } from './tree-packer.ts';

/**
 * Assembles sealed records into packs of at most `packSize` bytes in `1 + persistsInFlight`
 * reused buffers (one filling while up to `persistsInFlight`, default 1, are being
 * persisted) and hands full packs to `persist`. Records are copied in arrival order; `add`
 * returns once the record is copied (so its buffer can be reused), waiting while every
 * buffer is being persisted — that wait is the backpressure that bounds memory.
 */
export class PackAssembler {
  readonly #type: BlobType;
  readonly #packSize: number;
  readonly #persist: (pack: BuiltPack) => Promise<void>;
  readonly #free: Uint8Array[] = [];
  readonly #bufferCount: number;
  #created = 0;
  #builder: PackBuilder | undefined;
  readonly #writes = new Set<Promise<void>>();
  #failure: unknown;

  constructor(type: BlobType, packSize: number, persist: (pack: BuiltPack) => Promise<void>, persistsInFlight = 1) {
    if (!Number.isInteger(persistsInFlight) || persistsInFlight < 1 || persistsInFlight > 8) {
      throw new RangeError(`persists in flight must be an integer from 1 to 8, not ${persistsInFlight}`);
    }
    this.#bufferCount = 1 + persistsInFlight;
    this.#type = type;
    this.#packSize = packSize;
    this.#persist = persist;
  }

  async #buffer(): Promise<Uint8Array> {
    while (this.#free.length === 0 && this.#created >= this.#bufferCount) await Promise.race(this.#writes);
    if (this.#failure) throw this.#failure;
    const free = this.#free.pop();
    if (free) return free;
    this.#created += 1;
    return new Uint8Array(this.#packSize + 64 * 1024);
  }

  #close(): void {
    const builder = this.#builder;
    this.#builder = undefined;
    if (!builder || builder.blobCount === 0) return;
    const { bytes, id } = builder.finish();
    const pack: BuiltPack = { packId: Buffer.from(id).toString('hex'), bytes, blobs: [...builder.entries] };
    const write = this.#persist(pack).then(
      () => {
        this.#free.push(new Uint8Array(bytes.buffer));
      },
      (error: unknown) => {
        this.#failure ??= error;
      },
    );
    this.#writes.add(write);
    void write.finally(() => this.#writes.delete(write));
  }

  /** Copies one record (header ‖ payload) into the open pack, closing it first when full. */
  async add(record: Uint8Array): Promise<void> {
    if (this.#failure) throw this.#failure;
    const builder = this.#builder;
    if (
      builder &&
      builder.length + (builder.blobCount + 1) * trailerEntryLength + record.byteLength + trailerFooterLength >
        this.#packSize
    ) {
      this.#close();
    }
    this.#builder ??= new PackBuilder(this.#type, await this.#buffer());
    this.#builder.addRecord(record);
  }

  /** Closes the open pack and waits until every pack is persisted. */
  async flush(): Promise<void> {
    this.#close();
    while (this.#writes.size > 0) await Promise.all([...this.#writes]);
    if (this.#failure) throw this.#failure;
  }
}
