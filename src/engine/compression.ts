import { constants, createZstdCompress, createZstdDecompress, zstdCompressSync, zstdDecompressSync } from 'node:zlib';
import { CorruptDataError } from './errors.ts';

/**
 * zstd level of blob payloads for new repositories (each keeps its own in its config),
 * chosen by measurement: level 3 stores source files and logs ~5 % smaller than level 2 for
 * ~6 % more CPU in an initial backup (docs/decisions/0018-engine-memory-floor.md).
 */
export const defaultCompressionLevel = 3;

/** A blob is stored raw unless zstd saves at least this fraction (docs/FORMAT.md §6). */
const minimumSaving = 0.03;
/** Sample-compression test: below this size the whole blob is simply tried. */
const sampleThreshold = 64 * 1024;
const sampleSlice = 8 * 1024;
/** A sample that shrinks less than this at level 1 marks the blob incompressible. */
const sampleMinimumSaving = 0.05;

/**
 * The part of node:zlib's native handle we drive directly. `writeSync` compresses into a
 * caller-owned output buffer and the stream context survives between frames, so neither
 * the ~1 MiB zstd context nor the output is allocated (and first-touched) per blob —
 * measured 1.2–2.3× faster than `zstdCompressSync` (docs/decisions/0005-engine-measurements.md). When a Node
 * release lacks it, the one-shot API is used instead.
 */
interface NativeZstdHandle {
  writeSync(
    flush: number,
    input: Uint8Array,
    inOffset: number,
    inLength: number,
    out: Uint8Array,
    outOffset: number,
    outLength: number,
  ): void;
  reset(): void;
}

/**
 * A node:zlib zstd stream driven through its native handle. When zstd fails, Node closes the
 * handle at once but emits the error only on the next tick, and another write would abort
 * the process: `write` notices, opens a fresh stream and throws. `reset` drops a frame left
 * unfinished, so the next one starts clean.
 */
class ZstdStream {
  readonly #create: () => object;
  #engine!: { readonly destroyed: boolean };
  #handle!: NativeZstdHandle;
  /** After a write: output room left ([0]) and input left ([1]). */
  state!: Uint32Array;

  private constructor(create: () => object, first: object) {
    this.#create = create;
    this.#attach(first);
  }

  /** A stream from `create`, or undefined when this Node's zlib streams lack the native handle. */
  static open(create: () => object): ZstdStream | undefined {
    const first = create() as { _handle?: { writeSync?: unknown }; _writeState?: unknown };
    if (typeof first._handle?.writeSync !== 'function' || !(first._writeState instanceof Uint32Array)) return undefined;
    return new ZstdStream(create, first);
  }

  #attach(created: object = this.#create()): void {
    const engine = created as {
      _handle: NativeZstdHandle;
      _writeState: Uint32Array;
      readonly destroyed: boolean;
      on(event: 'error', listener: () => void): void;
    };
    // The error arrives after `write` has already thrown; it only has to be handled.
    engine.on('error', () => undefined);
    this.#engine = engine;
    this.#handle = engine._handle;
    this.state = engine._writeState;
  }

  /** The handle's `writeSync` (flush, input, offset, length, output, offset, length). */
  write(...args: Parameters<NativeZstdHandle['writeSync']>): void {
    this.#handle.writeSync(...args);
    if (!this.#engine.destroyed) return;
    this.#attach();
    throw new Error('zstd rejected the data');
  }

  reset(): void {
    this.#handle.reset();
  }
}

/** zstd's worst-case frame size for `length` input bytes (`ZSTD_COMPRESSBOUND`). */
export function compressBound(length: number): number {
  const small = 128 * 1024;
  return length + (length >>> 8) + (length < small ? (small - length) >>> 11 : 0);
}

/**
 * Blobs at least this large (every chunk cut from a large file with the default chunker
 * parameters, whose minimum is 256 KiB) get a zstd context of their own. zstd sizes a context's tables and window for
 * each input; one context that alternated between small files and large chunks was
 * reallocated over and over, and ~40 MiB of fresh pages were faulted in per 1 GiB backup.
 */
const largeBlob = 256 * 1024;

/**
 * Match-finder tables for `level`. At level 3, zstd sizes them for inputs over 256 KiB at
 * 2^17 hash and 2^16 chain entries (768 KiB per context, mostly outside the core's L2
 * cache); 2^14 and 2^15 (192 KiB) compress the benchmark corpus's blobs ~10 % faster for
 * 0.2–0.3 % more stored bytes, and an initial backup ran 4.7 % faster and peaked 2.8 MiB
 * lower (docs/decisions/0024-zstd-tables-and-fair-restores.md). Frames and their window
 * are unchanged, so decoding is not affected. Other levels keep zstd's own tables.
 */
export function matchFinderTables(level: number): Record<number, number> {
  return level === 3 ? { [constants.ZSTD_c_hashLog]: 14, [constants.ZSTD_c_chainLog]: 15 } : {};
}

/**
 * The window of the context that compresses blobs under `largeBlob` at `level`, when that
 * context is given each blob without its size; undefined: with it.
 *
 * Told a frame's size (a whole blob ended in one call), zstd sizes the context's window and
 * tables to it, and frees and reallocates its ~1 MiB workspace whenever it has been over
 * three times too large for 128 frames: as small files of varied sizes went by, 20 times per
 * lane in a 1 GiB backup, each a block of fresh memory to fault in or one that fragmented
 * the malloc arenas. Untold, at level 3 with a fixed 256 KiB window (the largest blob it
 * gets), zstd keeps one workspace, and stores the benchmark corpus's 11,262 files under
 * 256 KiB in 0.07 % more bytes (docs/decisions/0025). Frames then carry no content size,
 * which nothing reads (a blob's plain length is in its record).
 * Other levels keep the sized frames: their tables for large inputs are much larger.
 */
function smallBlobWindowLog(level: number): number | undefined {
  return level === 3 ? Math.log2(largeBlob) : undefined;
}

/** zstd's parameters for a blob's frame at `level`: no checksum (the AEAD tag covers it). */
function frameParams(level: number): Record<number, number> {
  return {
    [constants.ZSTD_c_compressionLevel]: level,
    [constants.ZSTD_c_checksumFlag]: 0,
    ...matchFinderTables(level),
  };
}

/**
 * Reusable zstd compressor for blobs, into a caller's buffer (`compressInto`) or its own
 * (`compress`); a blob is stored raw when zstd does not save `minimumSaving` of it (judged
 * first on three 8 KiB samples at level 1, then on the full result).
 */
export class BlobCompressor {
  readonly #level: number;
  readonly #small: ZstdStream | undefined;
  readonly #large: ZstdStream | undefined;
  readonly #sampler: ZstdStream | undefined;
  /** Whether `#small` is given blobs without their size (`smallBlobWindowLog`). */
  readonly #smallUnsized: boolean;
  #out = new Uint8Array(0);
  readonly #sample = new Uint8Array(3 * sampleSlice);

  constructor(level: number = defaultCompressionLevel) {
    this.#level = level;
    const smallWindowLog = smallBlobWindowLog(level);
    this.#smallUnsized = smallWindowLog !== undefined;
    this.#small = this.#open(level, smallWindowLog);
    this.#large = this.#open(level);
    this.#sampler = this.#open(1);
  }

  #open(level: number, windowLog?: number): ZstdStream | undefined {
    const params = frameParams(level);
    if (windowLog !== undefined) params[constants.ZSTD_c_windowLog] = windowLog;
    return ZstdStream.open(() => createZstdCompress({ params }));
  }

  /**
   * Compresses `input` into `target` (room for `compressBound` of it); returns the frame's
   * length, or -1 when it is longer than `limit`.
   */
  #run(
    stream: ZstdStream | undefined,
    level: number,
    input: Uint8Array,
    limit: number,
    target: Uint8Array,
    unsized = false,
  ): number {
    const capacity = compressBound(input.byteLength);
    if (!stream) {
      const frame = zstdCompressSync(input, { params: frameParams(level) });
      if (frame.byteLength > limit) return -1;
      target.set(frame);
      return frame.byteLength;
    }
    // Unsized: the input first (zstd takes all of it into its window buffer, which holds a
    // whole small blob), then the end of the frame. Sized: room for the worst case, so zstd
    // compresses the whole input in one pass straight into the target (with less, it would
    // copy the input into its own window buffer first).
    let consumed = 0;
    let produced = 0;
    if (unsized) {
      stream.write(constants.ZSTD_e_continue, input, 0, input.byteLength, target, 0, capacity);
      consumed = input.byteLength - stream.state[1]!;
      produced = capacity - stream.state[0]!;
    }
    stream.write(
      constants.ZSTD_e_end,
      input,
      consumed,
      input.byteLength - consumed,
      target,
      produced,
      capacity - produced,
    );
    const availableOut = stream.state[0]!;
    const availableIn = stream.state[1]!;
    const frameLength = capacity - availableOut;
    if (availableOut === 0 || availableIn !== 0) {
      // The frame is unfinished (cannot happen within the bound): start the next one afresh.
      stream.reset();
      return -1;
    }
    // Too large a frame: the data is incompressible.
    return frameLength > limit ? -1 : frameLength;
  }

  /**
   * Compresses `plain` into `target`, which needs room for `compressBound(plain.length)`
   * bytes, and returns the frame's length; or returns -1 when the blob should be stored raw
   * (`target` then holds garbage).
   */
  compressInto(plain: Uint8Array, target: Uint8Array): number {
    if (target.byteLength < compressBound(plain.byteLength)) throw new RangeError('compression target too small');
    if (plain.byteLength < 64) return -1;
    if (plain.byteLength >= sampleThreshold) {
      const middle = Math.floor(plain.byteLength / 2) - sampleSlice / 2;
      this.#sample.set(plain.subarray(0, sampleSlice), 0);
      this.#sample.set(plain.subarray(middle, middle + sampleSlice), sampleSlice);
      this.#sample.set(plain.subarray(plain.byteLength - sampleSlice), 2 * sampleSlice);
      const sampleLimit = Math.floor(this.#sample.byteLength * (1 - sampleMinimumSaving));
      if (this.#run(this.#sampler, 1, this.#sample, sampleLimit, target) < 0) return -1;
    }
    const limit = Math.floor(plain.byteLength * (1 - minimumSaving));
    if (plain.byteLength >= largeBlob) return this.#run(this.#large, this.#level, plain, limit, target);
    return this.#run(this.#small, this.#level, plain, limit, target, this.#smallUnsized);
  }

  /** `compressInto` a buffer of the compressor's own, returned as a view valid until the next call. */
  compress(plain: Uint8Array): Uint8Array | undefined {
    const capacity = compressBound(plain.byteLength);
    if (this.#out.byteLength < capacity) this.#out = new Uint8Array(Math.max(capacity, 1 << 16));
    const length = this.compressInto(plain, this.#out);
    return length < 0 ? undefined : this.#out.subarray(0, length);
  }
}

/**
 * Reusable zstd decompressor with output bounded by the expected plain length: a frame must
 * expand to exactly `plainLength` bytes, or `CorruptDataError` is thrown, so a hostile frame
 * cannot balloon memory.
 */
export class BlobDecompressor {
  readonly #stream = ZstdStream.open(() => createZstdDecompress());

  /** Decompresses into `out` (or a new buffer) and returns the plain bytes. */
  decompress(frame: Uint8Array, plainLength: number, out?: Uint8Array): Uint8Array {
    // One byte of room more than expected: a frame that is too long fills it.
    const target = out && out.byteLength >= plainLength + 1 ? out : new Uint8Array(plainLength + 1);
    this.decompressInPieces(frame, plainLength, target, () => undefined);
    return target.subarray(0, plainLength);
  }

  /**
   * Decompresses into `out` in pieces, handing each to `piece` in order (a view of `out`
   * valid during the call): a restore streams blobs this way, so a worker needs one buffer of
   * `out`'s size instead of one as large as the largest blob. When `out` holds the whole
   * blob, zstd decodes it in one pass. An error (the frame's, or one `piece` throws) may come
   * after some pieces were handed over.
   */
  decompressInPieces(
    frame: Uint8Array,
    plainLength: number,
    out: Uint8Array,
    piece: (bytes: Uint8Array) => void,
  ): void {
    const stream = this.#stream;
    if (!stream) {
      const plain = decompressBlob(frame, plainLength);
      for (let start = 0; start < plain.byteLength; start += out.byteLength) {
        const part = plain.subarray(start, Math.min(plain.byteLength, start + out.byteLength));
        out.set(part);
        piece(out.subarray(0, part.byteLength));
      }
      return;
    }
    let consumed = 0;
    let produced = 0;
    try {
      for (;;) {
        const input = frame.byteLength - consumed;
        try {
          // Not ZSTD_e_end: Node fails a frame that does not end within one call's output.
          stream.write(constants.ZSTD_e_continue, frame, consumed, input, out, 0, out.byteLength);
        } catch (error) {
          throw new CorruptDataError('zstd frame does not decompress', { cause: error });
        }
        const length = out.byteLength - stream.state[0]!;
        consumed += input - stream.state[1]!;
        produced += length;
        if (produced > plainLength) throw new CorruptDataError('zstd frame expands beyond the blob length');
        if (length > 0) piece(out.subarray(0, length));
        // Done once the input is used up and the output was not full (nothing held back).
        if (consumed === frame.byteLength && length < out.byteLength) break;
        if (length === 0 && stream.state[1] === input) throw new CorruptDataError('zstd frame makes no progress');
      }
      if (produced !== plainLength) throw new CorruptDataError('zstd frame is shorter than the blob length');
    } catch (error) {
      // A frame left unfinished would run into the next one.
      stream.reset();
      throw error;
    }
  }
}

/** One-shot compression with a fresh context (tests and cold paths). */
export function compressBlob(plain: Uint8Array, level: number = defaultCompressionLevel): Uint8Array | undefined {
  const result = new BlobCompressor(level).compress(plain);
  return result?.slice();
}

/** One-shot bounded decompression (cold paths); see `BlobDecompressor`. */
export function decompressBlob(frame: Uint8Array, plainLength: number): Uint8Array {
  let plain: Buffer;
  try {
    plain = zstdDecompressSync(frame, { maxOutputLength: Math.max(1, plainLength) });
  } catch (error) {
    throw new CorruptDataError('zstd frame does not decompress', { cause: error });
  }
  if (plain.byteLength !== plainLength) throw new CorruptDataError('zstd frame has the wrong plain length');
  return plain;
}
