import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BlobNotFoundError,
  BlobRangeError,
  type BlobStore,
  FsBlobStore,
  InvalidBlobKeyError,
  S3BlobStore,
} from '../../src/storage/index.ts';
import { type S3Server, startS3Server } from '../helpers/s3.ts';

interface Backend {
  name: string;
  open(): Promise<{ store: BlobStore; close(): Promise<void> }>;
}

let s3: S3Server;
beforeAll(async () => {
  s3 = await startS3Server();
});
afterAll(async () => {
  await s3?.stop();
});

const backends: Backend[] = [
  {
    name: 'filesystem',
    async open() {
      const root = await mkdtemp(join(tmpdir(), 'coffer-contract-'));
      return { store: new FsBlobStore(root), close: () => rm(root, { recursive: true, force: true }) };
    },
  },
  {
    name: 's3 (s3rver process)',
    async open() {
      const prefix = `run-${randomBytes(4).toString('hex')}/`;
      const store = new S3BlobStore({ ...s3.options, prefix });
      return { store, close: async () => store.close() };
    },
  },
];

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

for (const backend of backends) {
  describe(`BlobStore contract: ${backend.name}`, () => {
    it('stores bytes exactly (verified by hash), reads ranges, heads, lists and deletes', async () => {
      const { store, close } = await backend.open();
      try {
        const big = randomBytes(3 * 1024 * 1024 + 17);
        await store.put('data/ab/abcdef', big);
        expect(sha256(await store.get('data/ab/abcdef'))).toBe(sha256(big));
        expect(await store.get('data/ab/abcdef', { offset: 1000, length: 10 })).toEqual(
          new Uint8Array(big.subarray(1000, 1010)),
        );
        const tail = await store.get('data/ab/abcdef', { offset: big.length - 5 });
        expect(tail).toEqual(new Uint8Array(big.subarray(big.length - 5)));
        const into = new Uint8Array(64);
        const view = await store.get('data/ab/abcdef', { offset: 0, length: 8, into });
        expect(view.buffer).toBe(into.buffer);
        expect(view).toEqual(new Uint8Array(big.subarray(0, 8)));
        expect(await store.head('data/ab/abcdef')).toEqual({ key: 'data/ab/abcdef', size: big.length });
        expect(await store.head('data/ab/missing')).toBeUndefined();

        await store.put('index/one', new Uint8Array([1]));
        await store.put('index/one', new Uint8Array([2, 2]));
        expect(await store.get('index/one')).toEqual(new Uint8Array([2, 2]));
        const listed: string[] = [];
        for await (const info of store.list('')) listed.push(`${info.key}:${info.size}`);
        expect(listed.sort()).toEqual([`data/ab/abcdef:${big.length}`, 'index/one:2']);
        const onlyIndex: string[] = [];
        for await (const info of store.list('index/')) onlyIndex.push(info.key);
        expect(onlyIndex).toEqual(['index/one']);

        await store.delete('index/one');
        await store.delete('index/one');
        expect(await store.head('index/one')).toBeUndefined();
      } finally {
        await close();
      }
    });

    it('lists past one page of results', async () => {
      const { store, close } = await backend.open();
      try {
        const keys = Array.from({ length: 1100 }, (_, i) => `many/k${String(i).padStart(5, '0')}`);
        for (let i = 0; i < keys.length; i += 50) {
          await Promise.all(keys.slice(i, i + 50).map((k) => store.put(k, new Uint8Array([1]))));
        }
        const seen: string[] = [];
        for await (const info of store.list('many/')) seen.push(info.key);
        expect(seen.sort()).toEqual(keys);
      } finally {
        await close();
      }
    });

    it('reports missing objects, ranges past the end and malformed keys with typed errors', async () => {
      const { store, close } = await backend.open();
      try {
        await expect(store.get('snapshots/none')).rejects.toBeInstanceOf(BlobNotFoundError);
        await store.put('a', new Uint8Array(4));
        await expect(store.get('a', { offset: 2, length: 5 })).rejects.toBeInstanceOf(BlobRangeError);
        for (const bad of ['', '/abs', '../up', 'a//b', 'a/.hidden', 'a b']) {
          await expect(store.put(bad, new Uint8Array(1))).rejects.toBeInstanceOf(InvalidBlobKeyError);
        }
      } finally {
        await close();
      }
    });
  });
}

describe('S3 store against a dead endpoint', () => {
  it('fails with a storage error naming the bucket, not a hang', async () => {
    const store = new S3BlobStore({ ...s3.options, endpoint: 'http://127.0.0.1:1' });
    await expect(store.put('x', new Uint8Array(1))).rejects.toThrow(/cannot store x in bucket coffer-test/);
    store.close();
  });
});
