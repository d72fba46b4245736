import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { blobTypeData } from './format.ts';
import { packedSize, recordHeaderLength, sealRecord, verifyPackStructure } from './pack.ts';
import { PackAssembler } from './pack-assembler.ts';
import type { BuiltPack } from './tree-packer.ts';

const key = randomBytes(32);
const packSize = 64 * 1024;

/** A sealed record of `length` plaintext bytes. */
function record(length: number): Uint8Array {
  const out = new Uint8Array(packedSize(length) + recordHeaderLength);
  const written = sealRecord(key, randomBytes(32), blobTypeData, 0, length, randomBytes(length), out);
  return out.subarray(0, written);
}

/** A persist function whose calls stay pending until the test settles them. */
function heldPersists() {
  const pending: { pack: BuiltPack; settle: () => void }[] = [];
  const persisted: string[] = [];
  const persist = (pack: BuiltPack) =>
    new Promise<void>((resolve) => {
      const copy = { ...pack, bytes: pack.bytes.slice() };
      pending.push({
        pack: copy,
        settle: () => {
          persisted.push(copy.packId);
          resolve();
        },
      });
    });
  return { pending, persisted, persist };
}

/** Lets queued promise callbacks run. */
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('PackAssembler', () => {
  it('fills one buffer while one pack persists by default, and waits when both are persisting', async () => {
    const { pending, persist } = heldPersists();
    const assembler = new PackAssembler(blobTypeData, packSize, persist);
    // Each record fills most of a pack: every add after the first closes the open pack.
    await assembler.add(record(40 * 1024));
    await assembler.add(record(40 * 1024));
    expect(pending).toHaveLength(1);
    let third = false;
    const adding = assembler.add(record(40 * 1024)).then(() => {
      third = true;
    });
    await tick();
    expect(pending).toHaveLength(2);
    expect(third).toBe(false);
    pending[0]!.settle();
    await adding;
    expect(third).toBe(true);
  });

  it('keeps as many packs persisting as the store asks for', async () => {
    const { pending, persisted, persist } = heldPersists();
    const assembler = new PackAssembler(blobTypeData, packSize, persist, 2);
    await assembler.add(record(40 * 1024));
    await assembler.add(record(40 * 1024));
    await assembler.add(record(40 * 1024));
    // Two packs persisting and a third filling: the producer has not waited yet.
    expect(pending).toHaveLength(2);
    let fourth = false;
    const adding = assembler.add(record(40 * 1024)).then(() => {
      fourth = true;
    });
    await tick();
    expect(pending).toHaveLength(3);
    expect(fourth).toBe(false);
    pending[1]!.settle();
    await adding;
    const flushing = assembler.flush();
    await tick();
    for (const held of pending) if (!persisted.includes(held.pack.packId)) held.settle();
    await flushing;
    expect(pending).toHaveLength(4);
    expect(persisted).toHaveLength(4);
    // Every pack is whole and named by its SHA-256.
    for (const { pack } of pending) {
      expect(verifyPackStructure(pack.bytes, Buffer.from(pack.packId, 'hex')).blobs).toHaveLength(1);
    }
  });

  it('refuses a nonsensical number of persists in flight', () => {
    const { persist } = heldPersists();
    expect(() => new PackAssembler(blobTypeData, packSize, persist, 0)).toThrow(RangeError);
    expect(() => new PackAssembler(blobTypeData, packSize, persist, 1.5)).toThrow(RangeError);
  });
});
