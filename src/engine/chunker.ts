import { RepositoryError } from './errors.ts';

/** Chunk size limits of a repository (docs/FORMAT.md §5). */
export interface ChunkerParams {
  readonly minSize: number;
  readonly avgSize: number;
  readonly maxSize: number;
}

/** Chosen by measurement on the benchmark corpus; see docs/FORMAT.md §5. */
export const defaultChunkerParams: ChunkerParams = {
  minSize: 256 * 1024,
  avgSize: 512 * 1024,
  maxSize: 2 * 1024 * 1024,
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
 * The boundary scan of `Chunker.cut` as a 158-byte WebAssembly module, for windows that live
 * in the chunker's own memory (`Chunker.allocate`): 3.9 GiB/s of data against 0.8–1.6 GiB/s for
 * the same loop in JavaScript, with identical boundaries (the test runs both). Memory: the
 * gear table (256 × i32) at byte 0, windows after it. Hand-assembled from:
 *
 *   (func (export "cut") (param $p i32) (param $normal i32) (param $limit i32)
 *         (param $hard i32) (param $easy i32) (result i32) (local $hash i32)
 *     (block $done
 *       (block $second
 *         (loop $first
 *           (br_if $second (i32.ge_u (local.get $p) (local.get $normal)))
 *           (local.set $hash (i32.add (i32.shl (local.get $hash) (i32.const 1))
 *             (i32.load (i32.shl (i32.load8_u (local.get $p)) (i32.const 2)))))
 *           (local.set $p (i32.add (local.get $p) (i32.const 1)))
 *           (br_if $done (i32.eqz (i32.and (local.get $hash) (local.get $hard))))
 *           (br $first)))
 *       (loop $easy
 *         (br_if $done (i32.ge_u (local.get $p) (local.get $limit)))
 *         (local.set $hash …the same step…)
 *         (local.set $p (i32.add (local.get $p) (i32.const 1)))
 *         (br_if $done (i32.eqz (i32.and (local.get $hash) (local.get $easy))))
 *         (br $easy)))
 *     (local.get $p))
 *
 * with the memory imported as env.memory. It returns the position after the boundary byte,
 * or `limit`.
 */
const scanModuleBytes = Buffer.from(
  'AGFzbQEAAAABCgFgBX9/f39/AX8CDwEDZW52Bm1lbW9yeQIAAQMCAQAHBwEDY3V0AAAKagFoAQF/AkACQANAIAAgAU8NASAFQQF0IAAtAABBAnQoAgBqIQUgAEEBaiEAIAUgA3FFDQIMAAsLA0AgACACTw0BIAVBAXQgAC0AAEECdCgCAGohBSAAQQFqIQAgBSAEcUUNAQwACwsgAAs=',
  'base64',
);
/** The few WebAssembly APIs used here (the project's TypeScript libraries do not declare them). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
interface WasmApi {
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Memory: new (descriptor: { initial: number }) => WasmMemory;
  readonly Instance: new (module: object, imports: object) => { readonly exports: Record<string, unknown> };
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
let scanModule: object | undefined;
const gearBytes = 1024;
const wasmPage = 64 * 1024;

type Scan = (p: number, normal: number, limit: number, hard: number, easy: number) => number;

/**
 * FastCDC with normalized chunking (level 2) over a 32-bit gear hash whose table comes from
 * the vault key. Pure: it only looks at the bytes it is given.
 */
export class Chunker {
  readonly params: ChunkerParams;
  readonly #gear: Int32Array;
  readonly #maskHard: number;
  readonly #maskEasy: number;
  #memory: WasmMemory | undefined;
  #scan: Scan | undefined;

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
   * A buffer of `size` bytes in the chunker's WebAssembly memory: `cut` scans data in it
   * with the compiled loop. Once per chunker (the memory does not grow afterwards, so the
   * view stays valid).
   */
  allocate(size: number): Uint8Array {
    if (this.#memory) throw new Error('a chunker allocates its buffer once');
    scanModule ??= new wasm.Module(scanModuleBytes);
    const memory = new wasm.Memory({ initial: Math.ceil((gearBytes + size) / wasmPage) });
    const instance = new wasm.Instance(scanModule, { env: { memory } });
    new Int32Array(memory.buffer, 0, 256).set(this.#gear);
    this.#memory = memory;
    this.#scan = instance.exports['cut'] as Scan;
    return new Uint8Array(memory.buffer, gearBytes, size);
  }

  /**
   * Length of the chunk that starts at `start` in `data[start, end)`. The caller passes at
   * least `maxSize` bytes unless `end` is the end of the stream; with fewer bytes the whole
   * remainder is one chunk.
   */
  cut(data: Uint8Array, start: number, end: number): number {
    if (start < 0 || end > data.byteLength || start > end) {
      throw new RangeError(`cannot cut [${start}, ${end}) of ${data.byteLength} bytes`);
    }
    const available = end - start;
    const { minSize, avgSize, maxSize } = this.params;
    if (available <= minSize) return available;
    if (this.#scan && data.buffer === this.#memory!.buffer) {
      const base = data.byteOffset + start;
      const found = this.#scan(
        base + minSize,
        base + Math.min(available, avgSize),
        base + Math.min(available, maxSize),
        this.#maskHard,
        this.#maskEasy,
      );
      return found - base;
    }
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
