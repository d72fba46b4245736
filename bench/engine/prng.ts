import { type Cipheriv, createCipheriv, createHash } from 'node:crypto';

const ZEROS = Buffer.alloc(1 << 20);
const POOL_BYTES = 64 * 1024;

/**
 * Deterministic pseudo-random stream for the benchmark corpus.
 *
 * The stream is the AES-256-CTR keystream under a key derived from the seed label: it is
 * defined by a standard (so it does not change between Node versions), runs at GB/s, and
 * one stream serves both bulk incompressible bytes and the small decisions (sizes, names,
 * tokens), so the same seed always yields the same corpus as long as calls happen in the
 * same order.
 */
export class Prng {
  readonly #cipher: Cipheriv;
  #pool = new Uint32Array(0);
  #next = 0;

  constructor(seed: string) {
    const key = createHash('sha256').update(`coffer-bench:${seed}`).digest();
    this.#cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  }

  /** A fresh buffer of `length` random bytes. */
  bytes(length: number): Buffer {
    if (length <= ZEROS.length) return this.#cipher.update(ZEROS.subarray(0, length));
    const out = Buffer.allocUnsafe(length);
    this.fill(out);
    return out;
  }

  /** Overwrites `target` with random bytes. */
  fill(target: Uint8Array): void {
    for (let offset = 0; offset < target.length; offset += ZEROS.length) {
      const length = Math.min(ZEROS.length, target.length - offset);
      target.set(this.#cipher.update(ZEROS.subarray(0, length)), offset);
    }
  }

  /** A uniform 32-bit unsigned integer. */
  u32(): number {
    if (this.#next >= this.#pool.length) {
      const block = this.#cipher.update(ZEROS.subarray(0, POOL_BYTES));
      this.#pool = new Uint32Array(block.buffer, block.byteOffset, POOL_BYTES / 4);
      this.#next = 0;
    }
    return this.#pool[this.#next++]!;
  }

  /** A uniform float in [0, 1). */
  float(): number {
    return this.u32() / 0x1_0000_0000;
  }

  /** A uniform integer in [0, bound). */
  below(bound: number): number {
    return Math.floor(this.float() * bound);
  }

  /** A uniform integer in [min, max]. */
  between(min: number, max: number): number {
    return min + this.below(max - min + 1);
  }

  /** An integer in [min, max] whose logarithm is uniform: many small values, few large ones. */
  logBetween(min: number, max: number): number {
    return Math.min(max, Math.floor(Math.exp(Math.log(min) + this.float() * (Math.log(max) - Math.log(min)))));
  }

  /** An index in [0, size) skewed towards 0, as word frequencies are (roughly Zipf-like). */
  skewed(size: number, exponent: 1 | 2 | 3 | 4 = 3): number {
    const r = this.float();
    const squared = r * r;
    const power = exponent === 1 ? r : exponent === 2 ? squared : exponent === 3 ? squared * r : squared * squared;
    return Math.floor(power * size);
  }

  chance(probability: number): boolean {
    return this.float() < probability;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty list');
    return items[this.below(items.length)]!;
  }
}
