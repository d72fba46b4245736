import { RepositoryError } from './errors.ts';

/** Chunk size limits of a repository (docs/FORMAT.md §5). */
export interface ChunkerParams {
  readonly minSize: number;
  readonly avgSize: number;
  readonly maxSize: number;
}

/** Chosen by measurement on the benchmark corpus; see docs/FORMAT.md §5. */
export const defaultChunkerParams: ChunkerParams = {
  minSize: 512 * 1024,
  avgSize: 1024 * 1024,
  maxSize: 8 * 1024 * 1024,
};

/** Throws `RepositoryError` unless min < avg < max, avg a power of two, within sane bounds. */
export function validateChunkerParams(params: ChunkerParams): void {
  const { minSize, avgSize, maxSize } = params;
  const bits = Math.log2(avgSize);
  if (
    !Number.isInteger(bits) ||
    bits < 8 ||
    bits > 26 ||
    !Number.isInteger(minSize) ||
    !Number.isInteger(maxSize) ||
    minSize < 64 ||
    minSize >= avgSize ||
    maxSize <= avgSize ||
    maxSize > 64 * 1024 * 1024
  ) {
    throw new RepositoryError(`invalid chunker parameters ${JSON.stringify(params)}`);
  }
}

/**
 * Top-aligned mask with `bits` one-bits: the top bits of the 32-bit gear hash depend on the
 * longest window (bit 31 on the last 32 bytes).
 */
function topMask(bits: number): number {
  return bits >= 32 ? -1 : (0xffffffff << (32 - bits)) | 0;
}

/**
 * FastCDC with normalized chunking (level 2) over a 32-bit gear hash whose table comes from
 * the vault key. Pure: it only looks at the bytes it is given.
 */
export class Chunker {
  readonly params: ChunkerParams;
  readonly #gear: Int32Array;
  readonly #maskHard: number;
  readonly #maskEasy: number;

  constructor(gear: Uint32Array, params: ChunkerParams) {
    validateChunkerParams(params);
    if (gear.length !== 256) throw new RangeError('gear table must have 256 entries');
    this.params = params;
    this.#gear = new Int32Array(gear.buffer, gear.byteOffset, 256);
    const bits = Math.log2(params.avgSize);
    this.#maskHard = topMask(bits + 2);
    this.#maskEasy = topMask(bits - 2);
  }

  /**
   * Length of the chunk that starts at `start` in `data[start, end)`. The caller passes at
   * least `maxSize` bytes unless `end` is the end of the stream; with fewer bytes the whole
   * remainder is one chunk.
   */
  cut(data: Uint8Array, start: number, end: number): number {
    const available = end - start;
    const { minSize, avgSize, maxSize } = this.params;
    if (available <= minSize) return available;
    const limit = start + Math.min(available, maxSize);
    const normal = start + Math.min(available, avgSize);
    const gear = this.#gear;
    const hard = this.#maskHard;
    const easy = this.#maskEasy;
    let hash = 0;
    let i = start + minSize;
    for (; i < normal; i++) {
      hash = ((hash << 1) + gear[data[i]!]!) | 0;
      if ((hash & hard) === 0) return i + 1 - start;
    }
    for (; i < limit; i++) {
      hash = ((hash << 1) + gear[data[i]!]!) | 0;
      if ((hash & easy) === 0) return i + 1 - start;
    }
    return limit - start;
  }
}
