import { type BlobInfo, BlobNotFoundError, type BlobStore, type GetOptions } from '../storage/index.ts';

/**
 * A read-only BlobStore holding the objects given to it, so the engine's own readers
 * (config) can validate an upload before anything is written to the zone.
 */
export class MemoryBlobStore implements BlobStore {
  readonly #objects: Map<string, Uint8Array>;

  constructor(objects: Record<string, Uint8Array>) {
    this.#objects = new Map(Object.entries(objects));
  }

  async put(): Promise<void> {
    throw new Error('MemoryBlobStore is read-only');
  }

  async get(key: string, options: GetOptions = {}): Promise<Uint8Array> {
    const bytes = this.#objects.get(key);
    if (!bytes) throw new BlobNotFoundError(key);
    const offset = options.offset ?? 0;
    return bytes.subarray(offset, options.length === undefined ? undefined : offset + options.length);
  }

  async head(key: string): Promise<BlobInfo | undefined> {
    const bytes = this.#objects.get(key);
    return bytes ? { key, size: bytes.byteLength } : undefined;
  }

  async *list(prefix: string): AsyncIterable<BlobInfo> {
    for (const [key, bytes] of this.#objects) if (key.startsWith(prefix)) yield { key, size: bytes.byteLength };
  }

  async delete(): Promise<void> {
    throw new Error('MemoryBlobStore is read-only');
  }
}
