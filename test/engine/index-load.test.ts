import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { blobTypeData, type IndexedPack, type PackedBlob } from '../../src/engine/index.ts';
import { cleanup, createTestRepository, reopen, temporaryDirectory } from './helpers.ts';

/** A pack entry with `count` blobs whose IDs start with `tag` (the packs need not exist). */
function syntheticPack(tag: number, count: number): IndexedPack {
  const packId = tag.toString(16).padStart(2, '0').repeat(32);
  const blobs = Array.from({ length: count }, (_, i): PackedBlob => {
    const id = new Uint8Array(32).fill(i);
    id[0] = tag;
    return { id, type: blobTypeData, flags: 0, offset: 64 + i * 1000, plainLength: 900, storedLength: 950 };
  });
  return { packId, type: blobTypeData, size: 64 + count * 1000, blobs };
}

describe('loading the index', () => {
  const directory = temporaryDirectory('coffer-index-load-');
  afterAll(() => cleanup(directory));

  it('loads every index file (read several ahead), names a damaged one and skips one that is gone', async () => {
    const repository = await createTestRepository(directory);
    const ids: string[] = [];
    for (let tag = 1; tag <= 9; tag++) ids.push(await repository.writeIndex([syntheticPack(tag, 50)]));
    const indexFolder = join(directory, 'index');
    expect(readdirSync(indexFolder)).toHaveLength(9);
    // One damaged in its middle, one removed after the listing (a concurrent prune's rewrite).
    const damaged = join(indexFolder, ids[3]!);
    const bytes = readFileSync(damaged);
    bytes[bytes.length >> 1]! ^= 0xff;
    writeFileSync(damaged, bytes);

    const reader = await reopen(directory);
    const store = reader.store;
    const list = store.list.bind(store);
    store.list = async function* (prefix: string) {
      yield* list(prefix);
      if (prefix === 'index/') await store.delete(`index/${ids[6]}`);
    };
    // Removed once listed and before it is read: skipped like any object gone missing.
    const { damaged: reported } = await reader.loadIndex();
    expect(reported.map((entry) => entry.key)).toEqual([`index/${ids[3]}`]);
    for (let tag = 1; tag <= 9; tag++) {
      const probe = new Uint8Array(32).fill(49);
      probe[0] = tag;
      expect(reader.index.has(probe)).toBe(tag !== 4 && tag !== 7);
    }
  });
});
