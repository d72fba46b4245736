import type { BlobInfo, BlobStore, GetOptions } from '../storage/index.ts';

/**
 * A BlobStore seen through a key prefix: a vault is the zone's store under `vaults/<id>/`,
 * so every engine key (`config`, `data/…`) maps to one object of the zone and nothing
 * outside the prefix is reachable.
 */
export class PrefixedBlobStore implements BlobStore {
  readonly #inner: BlobStore;
  readonly #prefix: string;

  constructor(inner: BlobStore, prefix: string) {
    if (!prefix.endsWith('/')) throw new Error('a store prefix must end with "/"');
    this.#inner = inner;
    this.#prefix = prefix;
  }

  put(key: string, data: Uint8Array): Promise<void> {
    return this.#inner.put(this.#prefix + key, data);
  }

  get(key: string, options?: GetOptions): Promise<Uint8Array> {
    return this.#inner.get(this.#prefix + key, options);
  }

  async head(key: string): Promise<BlobInfo | undefined> {
    const info = await this.#inner.head(this.#prefix + key);
    return info ? { key, size: info.size } : undefined;
  }

  async *list(prefix: string): AsyncIterable<BlobInfo> {
    for await (const info of this.#inner.list(this.#prefix + prefix)) {
      yield { key: info.key.slice(this.#prefix.length), size: info.size };
    }
  }

  delete(key: string): Promise<void> {
    return this.#inner.delete(this.#prefix + key);
  }
}
