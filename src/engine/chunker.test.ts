import { describe, expect, it } from 'vitest';
import { Chunker, type ChunkerParams, defaultChunkerParams } from './chunker.ts';
import { deriveVaultKeys } from './keys.ts';
import { deterministicBytes } from './testing/deterministic-bytes.ts';

const params: ChunkerParams = { minSize: 2048, avgSize: 8192, maxSize: 65536 };
const master = deterministicBytes('vector-master', 32);
const repositoryId = deterministicBytes('vector-repository', 16);

function boundaries(chunker: Chunker, data: Uint8Array): number[] {
  const cuts: number[] = [];
  let position = 0;
  while (position < data.byteLength) {
    position += chunker.cut(data, position, data.byteLength);
    cuts.push(position);
  }
  return cuts;
}

describe('Chunker (FastCDC, normalized, keyed gear)', () => {
  const chunker = new Chunker(deriveVaultKeys(master, repositoryId).gear, params);
  const data = deterministicBytes('vector-data', 256 * 1024);

  it('matches the recorded test vector', () => {
    // Vector of docs/FORMAT.md §5: gear from HKDF(master = vector-master, salt = vector-repository).
    expect(deriveVaultKeys(master, repositoryId).gear.slice(0, 4)).toEqual(new Uint32Array(VECTOR_GEAR_PREFIX));
    expect(boundaries(chunker, data)).toEqual(VECTOR_BOUNDARIES);
  });

  it('respects min and max sizes and covers the input exactly', () => {
    const cuts = boundaries(chunker, data);
    let previous = 0;
    for (const [i, cut] of cuts.entries()) {
      const size = cut - previous;
      expect(size).toBeLessThanOrEqual(params.maxSize);
      if (i < cuts.length - 1) expect(size).toBeGreaterThan(params.minSize);
      previous = cut;
    }
    expect(previous).toBe(data.byteLength);
    // Constant input never matches the mask (or always does), so it cuts at max or min size.
    const zeros = boundaries(chunker, new Uint8Array(200_000));
    expect(
      zeros
        .slice(0, -1)
        .every(
          (cut, i) => cut - (zeros[i - 1] ?? 0) === params.maxSize || cut - (zeros[i - 1] ?? 0) === params.minSize + 1,
        ),
    ).toBe(true);
  });

  it('re-synchronises within a few chunks after an insertion', () => {
    const big = deterministicBytes('resync', 1024 * 1024);
    const inserted = new Uint8Array(big.byteLength + 100);
    inserted.set(big.subarray(0, 300_000));
    inserted.set(deterministicBytes('insert', 100), 300_000);
    inserted.set(big.subarray(300_000), 300_100);
    const before = new Set(boundaries(chunker, big));
    const after = boundaries(chunker, inserted).map((cut) => (cut > 300_000 ? cut - 100 : cut));
    const firstAfterInsert = after.findIndex((cut) => cut > 300_000);
    const resync = after.findIndex((cut, i) => i >= firstAfterInsert && before.has(cut));
    expect(resync - firstAfterInsert).toBeLessThanOrEqual(3);
    const shared = after.filter((cut) => before.has(cut)).length;
    expect(shared).toBeGreaterThan(before.size - 6);
  });

  it('cuts the same with the compiled scan, for data in its own memory', () => {
    const compiled = new Chunker(deriveVaultKeys(master, repositoryId).gear, params);
    const window = compiled.allocate(300_000);
    // The vector, and data placed at an offset of the buffer.
    window.set(data);
    expect(boundaries(compiled, window.subarray(0, data.byteLength))).toEqual(VECTOR_BOUNDARIES);
    const random = deterministicBytes('compiled-random', 250_000);
    window.set(random, 50_000);
    expect(boundaries(compiled, window.subarray(50_000, 300_000))).toEqual(boundaries(chunker, random));
    // Constant input runs to max size (no boundary), and short remainders stay whole.
    window.fill(7);
    expect(boundaries(compiled, window.subarray(0, 200_000))).toEqual(
      boundaries(chunker, new Uint8Array(200_000).fill(7)),
    );
    expect(compiled.cut(window, 0, params.minSize)).toBe(params.minSize);
    expect(() => compiled.allocate(10)).toThrow(/once/);
    // The compiled scan must never read past the caller's bytes.
    expect(() => compiled.cut(window.subarray(0, 1000), 0, 2000)).toThrow(RangeError);
    expect(() => chunker.cut(data, 10, 5)).toThrow(RangeError);
  });

  it('matches with default parameters, over megabytes', () => {
    const keys = deriveVaultKeys(deterministicBytes('default-params', 32), repositoryId);
    const plain = new Chunker(keys.gear, defaultChunkerParams);
    const compiled = new Chunker(keys.gear, defaultChunkerParams);
    const big = deterministicBytes('default-data', 24 * 1024 * 1024);
    const window = compiled.allocate(big.byteLength);
    window.set(big);
    expect(boundaries(compiled, window)).toEqual(boundaries(plain, big));
  });

  it('gives different boundaries for a different vault key', () => {
    const other = new Chunker(deriveVaultKeys(deterministicBytes('other', 32), repositoryId).gear, params);
    expect(boundaries(other, data)).not.toEqual(boundaries(chunker, data));
  });
});

const VECTOR_GEAR_PREFIX = [70960580, 2620315077, 3866027547, 677478211];
const VECTOR_BOUNDARIES = [
  6216, 14541, 23092, 34351, 46601, 55005, 65707, 79725, 88824, 101417, 112035, 120894, 130429, 138726, 147957, 157451,
  166141, 174576, 186417, 194925, 204331, 214685, 230875, 240837, 248041, 256696, 262144,
];
