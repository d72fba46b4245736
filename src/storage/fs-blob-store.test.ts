import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BlobNotFoundError, BlobRangeError, FsBlobStore, InvalidBlobKeyError } from './index.ts';

describe('FsBlobStore', () => {
  let root: string;
  let store: FsBlobStore;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'coffer-store-'));
    store = new FsBlobStore(root);
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('uploads in pieces: invisible until committed under its key, nothing left when aborted', async () => {
    const keysIn = async (prefix: string) => {
      const keys: string[] = [];
      for await (const info of store.list(prefix)) keys.push(info.key);
      return keys;
    };
    const upload = await store.startUpload('data');
    // Pieces out of order, as concurrent writes may land.
    await Promise.all([upload.write(new Uint8Array([4, 5, 6]), 3), upload.write(new Uint8Array([1, 2, 3]), 0)]);
    expect(await keysIn('data/')).toEqual([]);
    await upload.commit('data/cd/cdef');
    expect(await store.get('data/cd/cdef')).toEqual(new Uint8Array([1, 2, 3, 4, 5, 6]));
    expect(await keysIn('data/')).toEqual(['data/cd/cdef']);

    const dropped = await store.startUpload('data');
    await dropped.write(new Uint8Array(1000), 0);
    await dropped.abort();
    await dropped.abort();
    expect((await readdir(join(root, 'data'))).sort()).toEqual(['cd']);
    await expect(store.startUpload('../outside')).rejects.toBeInstanceOf(InvalidBlobKeyError);
  });

  it('puts, gets whole objects and ranges, heads, lists and deletes', async () => {
    const data = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
    await store.put('data/ab/abcd', data);
    await store.put('index/one', new Uint8Array([9]));
    expect(await store.get('data/ab/abcd')).toEqual(data);
    expect(await store.get('data/ab/abcd', { offset: 2, length: 3 })).toEqual(new Uint8Array([3, 4, 5]));
    const into = new Uint8Array(16);
    const view = await store.get('data/ab/abcd', { offset: 6, into });
    expect(view.buffer).toBe(into.buffer);
    expect(view).toEqual(new Uint8Array([7, 8]));
    expect(await store.head('data/ab/abcd')).toEqual({ key: 'data/ab/abcd', size: 8 });
    expect(await store.head('data/ab/none')).toBeUndefined();
    const keys: string[] = [];
    for await (const info of store.list('data/')) keys.push(info.key);
    expect(keys).toEqual(['data/ab/abcd']);
    const all: string[] = [];
    for await (const info of store.list('')) all.push(info.key);
    expect(all.sort()).toEqual(['data/ab/abcd', 'index/one']);
    await store.delete('data/ab/abcd');
    await store.delete('data/ab/abcd');
    expect(await store.head('data/ab/abcd')).toBeUndefined();
  });

  it('lists many folders (read several at a time) with sizes, by prefix, and stops early cleanly', async () => {
    const expected: string[] = [];
    for (let folder = 0; folder < 20; folder++) {
      const name = folder.toString(16).padStart(2, '0');
      for (let file = 0; file < 3; file++) {
        const key = `data/${name}/${name}${file}`;
        await store.put(key, new Uint8Array(folder * 3 + file));
        expected.push(`${key}:${folder * 3 + file}`);
      }
    }
    await store.put('data/loose', new Uint8Array(5));
    const listed: string[] = [];
    for await (const info of store.list('data/')) listed.push(`${info.key}:${info.size}`);
    expect(listed.sort()).toEqual([...expected, 'data/loose:5'].sort());
    const inFolder: string[] = [];
    for await (const info of store.list('data/0a/0a1')) inFolder.push(info.key);
    expect(inFolder).toEqual(['data/0a/0a1']);
    // Folders read ahead of a consumer that stops early must not fail later.
    let first: string | undefined;
    for await (const info of store.list('data/')) {
      first = info.key;
      break;
    }
    expect(first).toBeDefined();
    await rm(join(root, 'data'), { recursive: true, force: true });
    const none: string[] = [];
    for await (const info of store.list('data/')) none.push(info.key);
    expect(none).toEqual([]);
  });

  it('asks writers for two puts in flight when every put waits for its fsync', () => {
    expect(new FsBlobStore(root).writesInFlight).toBe(2);
    expect(new FsBlobStore(root, { durable: false }).writesInFlight).toBe(1);
  });

  it('overwrites atomically and hides temporary files', async () => {
    await store.put('locks/x', new Uint8Array([1]));
    await store.put('locks/x', new Uint8Array([2, 2]));
    expect(await store.get('locks/x')).toEqual(new Uint8Array([2, 2]));
    await writeFile(join(root, 'locks', '.tmp-dead'), 'partial');
    const keys: string[] = [];
    for await (const info of store.list('locks/')) keys.push(info.key);
    expect(keys).toEqual(['locks/x']);
    expect(await store.removeStaleTemporaryFiles(-1)).toBe(1);
    expect(await readdir(join(root, 'locks'))).toEqual(['x']);
  });

  it('reports missing objects, bad ranges and bad keys with typed errors', async () => {
    await expect(store.get('snapshots/none')).rejects.toBeInstanceOf(BlobNotFoundError);
    await store.put('a', new Uint8Array(4));
    await expect(store.get('a', { offset: 2, length: 5 })).rejects.toBeInstanceOf(BlobRangeError);
    for (const bad of ['', '/abs', '../up', 'a//b', 'a/.hidden', 'a b']) {
      await expect(store.put(bad, new Uint8Array(1))).rejects.toBeInstanceOf(InvalidBlobKeyError);
    }
  });
});
