import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, temporaryDirectory } from '../../test/engine/helpers.ts';
import type { BlobInfo, BlobStore, BlobUpload } from '../storage/index.ts';
import { FsBlobStore } from '../storage/index.ts';
import { blobTypeData, packKey } from './format.ts';
import { packedSize, recordHeaderLength, sealRecord, verifyPackStructure } from './pack.ts';
import { PackAssembler, type StoredPack } from './pack-assembler.ts';

const key = randomBytes(32);
const packSize = 64 * 1024;

/** A sealed record of `length` plaintext bytes. */
function record(length: number): Uint8Array {
  const out = new Uint8Array(packedSize(length) + recordHeaderLength);
  const written = sealRecord(key, randomBytes(32), blobTypeData, 0, length, randomBytes(length), out);
  return out.subarray(0, written);
}

/** Records laid end to end in one buffer, as a worker sends them. */
function batch(...records: Uint8Array[]): { bytes: Uint8Array; ends: number[] } {
  const bytes = new Uint8Array(records.reduce((sum, r) => sum + r.byteLength, 0));
  const ends: number[] = [];
  let end = 0;
  for (const r of records) {
    bytes.set(r, end);
    end += r.byteLength;
    ends.push(end);
  }
  return { bytes, ends };
}

const add = (assembler: PackAssembler, ...records: Uint8Array[]) => {
  const { bytes, ends } = batch(...records);
  return assembler.add(bytes, ends);
};

/** A store without uploads whose puts stay pending until the test settles them. */
function heldStore(writesInFlight?: number) {
  const pending: { key: string; bytes: Uint8Array; settle: () => void }[] = [];
  const stored: string[] = [];
  const store: BlobStore = {
    writesInFlight,
    put: (key, bytes) =>
      new Promise<void>((resolve) => {
        const copy = bytes.slice();
        pending.push({
          key,
          bytes: copy,
          settle: () => {
            stored.push(key);
            resolve();
          },
        });
      }),
    get: () => Promise.reject(new Error('not used')),
    head: () => Promise.resolve(undefined),
    list: async function* (): AsyncIterable<BlobInfo> {},
    delete: () => Promise.resolve(),
  };
  return { pending, stored, store };
}

/** Lets queued promise callbacks run. */
const tick = () => new Promise((resolve) => setImmediate(resolve));

const folders: string[] = [];
function folder(): string {
  const path = temporaryDirectory('assembler');
  folders.push(path);
  return path;
}
afterEach(() => cleanup(...folders.splice(0)));

/** Every file below `root`, relative. */
function filesBelow(root: string): string[] {
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(root.length + 1));
}

describe('PackAssembler on a store that takes whole packs', () => {
  it('fills one buffer while one pack is stored by default, and waits when both are being stored', async () => {
    const { pending, store } = heldStore();
    const assembler = new PackAssembler(blobTypeData, packSize, store, () => {});
    // Each record fills most of a pack: every add after the first closes the open pack.
    await add(assembler, record(40 * 1024));
    await add(assembler, record(40 * 1024));
    expect(pending).toHaveLength(1);
    let third = false;
    const adding = add(assembler, record(40 * 1024)).then(() => {
      third = true;
    });
    await tick();
    expect(pending).toHaveLength(2);
    expect(third).toBe(false);
    pending[0]!.settle();
    await adding;
    expect(third).toBe(true);
  });

  it('keeps as many packs being stored as the store asks for, each whole and named by its SHA-256', async () => {
    const { pending, stored, store } = heldStore(2);
    const heard: StoredPack[] = [];
    const assembler = new PackAssembler(blobTypeData, packSize, store, (pack) => {
      heard.push(pack);
    });
    await add(assembler, record(40 * 1024));
    await add(assembler, record(40 * 1024));
    await add(assembler, record(40 * 1024));
    // Two packs being stored and a third filling: the producer has not waited yet.
    expect(pending).toHaveLength(2);
    let fourth = false;
    const adding = add(assembler, record(40 * 1024)).then(() => {
      fourth = true;
    });
    await tick();
    expect(pending).toHaveLength(3);
    expect(fourth).toBe(false);
    pending[1]!.settle();
    await adding;
    const flushing = assembler.flush();
    await tick();
    for (const held of pending) if (!stored.includes(held.key)) held.settle();
    await flushing;
    expect(pending).toHaveLength(4);
    expect(heard.map((pack) => packKey(pack.packId)).sort()).toEqual(pending.map((held) => held.key).sort());
    for (const held of pending) {
      const id = Buffer.from(held.key.split('/').at(-1)!, 'hex');
      expect(verifyPackStructure(held.bytes, id).blobs).toHaveLength(1);
    }
  });

  it('refuses a nonsensical number of writes in flight', () => {
    expect(() => new PackAssembler(blobTypeData, packSize, heldStore(0).store, () => {})).toThrow(RangeError);
    expect(() => new PackAssembler(blobTypeData, packSize, heldStore(1.5).store, () => {})).toThrow(RangeError);
  });
});

describe('PackAssembler on a store that takes uploads', () => {
  it('streams records into packs named by their SHA-256, splitting a batch between packs', async () => {
    const root = folder();
    const store = new FsBlobStore(root);
    const heard: StoredPack[] = [];
    const assembler = new PackAssembler(blobTypeData, packSize, store, (pack) => {
      heard.push(pack);
    });
    const records = Array.from({ length: 7 }, (_, i) => record(9_000 + i * 1_000));
    let released = 0;
    // One batch of seven records (~84 KiB): more than one 64 KiB pack.
    const { bytes, ends } = batch(...records.slice(0, 5));
    await assembler.add(bytes, ends, () => {
      released += 1;
    });
    const rest = batch(...records.slice(5));
    await assembler.add(rest.bytes, rest.ends, () => {
      released += 1;
    });
    await assembler.flush();
    expect(released).toBe(2);
    expect(heard.length).toBeGreaterThanOrEqual(2);
    const files = filesBelow(root);
    // Only the packs: no temporary file is left.
    expect(files.sort()).toEqual(heard.map((pack) => packKey(pack.packId)).sort());
    const seen: string[][] = [];
    for (const pack of heard) {
      const inPack: string[] = [];
      seen.push(inPack);
      const bytesOnDisk = readFileSync(join(root, packKey(pack.packId)));
      expect(bytesOnDisk.byteLength).toBe(pack.size);
      const { blobs } = verifyPackStructure(bytesOnDisk, Buffer.from(pack.packId, 'hex'));
      expect(blobs.map((blob) => blob.offset)).toEqual(pack.blobs.map((blob) => blob.offset));
      for (const blob of blobs) {
        inPack.push(Buffer.from(bytesOnDisk.subarray(blob.offset, blob.offset + 32)).toString('hex'));
      }
    }
    // Every record once, in order (packs may finish storing in any order).
    const order = records.map((r) => Buffer.from(r.subarray(0, 32)).toString('hex'));
    seen.sort((a, b) => order.indexOf(a[0]!) - order.indexOf(b[0]!));
    expect(seen.flat()).toEqual(order);
  });

  it('fails cleanly when a write fails: the error surfaces and no partial pack remains', async () => {
    const root = folder();
    const inner = new FsBlobStore(root);
    let writes = 0;
    const failing: BlobStore = {
      put: (k, b) => inner.put(k, b),
      get: (k, o) => inner.get(k, o),
      head: (k) => inner.head(k),
      list: (p) => inner.list(p),
      delete: (k) => inner.delete(k),
      startUpload: async (where): Promise<BlobUpload> => {
        const upload = await inner.startUpload(where);
        return {
          write: (bytes, offset) => {
            writes += 1;
            if (writes === 3) {
              return upload.abort().then(() => {
                throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
              });
            }
            return upload.write(bytes, offset);
          },
          commit: (k) => upload.commit(k),
          abort: () => upload.abort(),
        };
      },
    };
    const heard: StoredPack[] = [];
    const assembler = new PackAssembler(blobTypeData, packSize, failing, (pack) => {
      heard.push(pack);
    });
    let released = 0;
    const attempt = async () => {
      for (let i = 0; i < 6; i++) {
        const { bytes, ends } = batch(record(20_000));
        await assembler.add(bytes, ends, () => {
          released += 1;
        });
      }
      await assembler.flush();
    };
    await expect(attempt()).rejects.toThrow(/no space left/);
    // The pack whose write failed left nothing behind; a pack completed meanwhile is whole.
    expect(heard.length).toBeLessThanOrEqual(1);
    expect(filesBelow(root)).toEqual(heard.map((pack) => packKey(pack.packId)));
    for (const pack of heard) {
      verifyPackStructure(readFileSync(join(root, packKey(pack.packId))), Buffer.from(pack.packId, 'hex'));
    }
    // Buffers whose bytes were written or whose write failed went back to their owner.
    expect(released).toBeGreaterThanOrEqual(2);
  });
});
