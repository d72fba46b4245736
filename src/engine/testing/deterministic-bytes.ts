import { createHash } from 'node:crypto';

/** Deterministic pseudo-random bytes (SHA-256 in counter mode over `seed`), for vectors and tests. */
export function deterministicBytes(seed: string, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let counter = 0;
  for (let offset = 0; offset < length; offset += 32) {
    const block = createHash('sha256').update(`${seed}:${counter++}`).digest();
    out.set(block.subarray(0, Math.min(32, length - offset)), offset);
  }
  return out;
}
