import { randomBytes } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { SharedClaims } from './shared-claims.ts';

const ids = (count: number) => Array.from({ length: count }, () => new Uint8Array(randomBytes(32)));

describe('shared claims', () => {
  it('gives each ID to the first claimer only, and says which were claimed', () => {
    const claims = new SharedClaims(SharedClaims.allocate(0, 1024));
    const [a, b] = ids(2);
    expect(claims.has(a!)).toBe(false);
    expect(claims.claim(a!)).toBe('claimed');
    expect(claims.claim(a!)).toBe('taken');
    expect(claims.claim(Uint8Array.from(a!))).toBe('taken');
    expect(claims.has(a!)).toBe(true);
    expect(claims.has(b!)).toBe(false);
  });

  it('finds IDs that share a slot (the same first four bytes)', () => {
    const claims = new SharedClaims(SharedClaims.allocate(0, 64));
    const colliding = ids(5).map((id) => {
      id.set([1, 2, 3, 4], 0);
      return id;
    });
    for (const id of colliding) expect(claims.claim(id)).toBe('claimed');
    for (const id of colliding) expect(claims.claim(id)).toBe('taken');
  });

  it('takes no more claims when half full, but still knows the ones it holds', () => {
    const claims = new SharedClaims(SharedClaims.allocate(0, 16));
    const all = ids(20);
    const results = all.map((id) => claims.claim(id));
    expect(results.slice(0, 8)).toEqual(Array(8).fill('claimed'));
    expect(results.slice(8)).toEqual(Array(12).fill('full'));
    for (const id of all.slice(0, 8)) expect(claims.claim(id)).toBe('taken');
    for (const id of all.slice(8)) expect(claims.has(id)).toBe(false);
  });

  it('never misses an indexed ID, and rarely flags one that is not', () => {
    const indexed = ids(5000);
    const claims = new SharedClaims(SharedClaims.allocate(indexed.length));
    const packed = new Uint8Array(32 * indexed.length);
    for (const [i, id] of indexed.entries()) packed.set(id, i * 32);
    for (let i = 0; i < indexed.length; i++) claims.addIndexed(packed, i * 32);
    for (const id of indexed) expect(claims.mightBeIndexed(id)).toBe(true);
    const falsePositives = ids(20_000).filter((id) => claims.mightBeIndexed(id)).length;
    // 16 bits and 4 probes per indexed ID: ~0.2 % expected.
    expect(falsePositives).toBeLessThan(20_000 * 0.01);
    expect(new SharedClaims(SharedClaims.allocate(0)).mightBeIndexed(indexed[0]!)).toBe(false);
  });

  it('rejects a table size that is not a power of two', () => {
    expect(() => SharedClaims.allocate(0, 1000)).toThrow(RangeError);
  });

  it('gives every ID to exactly one of four threads claiming the same IDs at once', async () => {
    // Room for 2^15 claims and 8 to spare: a thread that loses a race for the same ID keeps
    // the list entry it reserved for its next claim, so at most one per thread is unused.
    const count = (1 << 15) - 8;
    const memory = SharedClaims.allocate(0, 1 << 16);
    const all = new Uint8Array(randomBytes(32 * count));
    const start = new Int32Array(new SharedArrayBuffer(4));
    const workers = [0, 1, 2, 3].map((n) => {
      // Each thread walks the IDs in its own order.
      const order = Array.from({ length: count }, (_, i) => (n % 2 === 0 ? i : count - 1 - i));
      const mine = new Uint8Array(32 * count);
      for (const [i, index] of order.entries()) mine.set(all.subarray(index * 32, index * 32 + 32), i * 32);
      const worker = new Worker(new URL('../../../test/engine/fixtures/claim-worker.ts', import.meta.url), {
        workerData: { memory, ids: mine, start },
      });
      return new Promise<number[]>((resolve, reject) => {
        worker.once('message', (won: number[]) => resolve(won.map((i) => order[i]!)));
        worker.once('error', reject);
      }).finally(() => worker.terminate());
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    Atomics.store(start, 0, 1);
    Atomics.notify(start, 0);
    const won = (await Promise.all(workers)).flat().sort((a, b) => a - b);
    expect(won).toEqual(Array.from({ length: count }, (_, i) => i));
    const claims = new SharedClaims(memory);
    for (let i = 0; i < count; i += 97) expect(claims.claim(all.subarray(i * 32, i * 32 + 32))).toBe('taken');
  });
});
