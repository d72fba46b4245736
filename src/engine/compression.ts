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

interface NativeStream {
  readonly handle: NativeZstdHandle;
  readonly state: Uint32Array;
  error: Error | undefined;
  /**
   * True once the stream failed: Node then closes the handle at once (another write would
   * abort the process) but emits the error only on the next tick.
   */
  readonly failed: () => boolean;
}

function nativeStream(engine: object): NativeStream | undefined {
  const internal = engine as {
    _handle?: NativeZstdHandle;
    _writeState?: Uint32Array;
    readonly destroyed: boolean;
    on(event: 'error', listener: (error: Error) => void): void;
  };
  if (typeof internal._handle?.writeSync !== 'function' || !(internal._writeState instanceof Uint32Array))
    return undefined;
  const stream: NativeStream = {
    handle: internal._handle,
    state: internal._writeState,
    error: undefined,
    failed: () => internal.destroyed,
  };
  internal.on('error', (error) => {
    stream.error = error;
  });
  return stream;
}

/** zstd's worst-case frame size for `length` input bytes (`ZSTD_COMPRESSBOUND`). */
export function compressBound(length: number): number {
  const small = 128 * 1024;
  return length + (length >>> 8) + (length < small ? (small - length) >>> 11 : 0);
}

/**
 * Blobs at least this large (every chunk cut from a large file: the chunker's minimum is
 * 512 KiB) get a zstd context of their own. zstd sizes a context's tables and window for
 * each input; one context that alternated between small files and large chunks was
 * reallocated over and over, and ~40 MiB of fresh pages were faulted in per 1 GiB backup.
 */
const largeBlob = 256 * 1024;

/**
 * Reusable zstd compressor for blobs, into a caller's buffer (`compressInto`) or its own
 * (`compress`); a blob is stored raw when zstd does not save `minimumSaving` of it (judged
 * first on three 8 KiB samples at level 1, then on the full result).
 */
export class BlobCompressor {
  readonly #level: number;
  #small: NativeStream | undefined;
  #large: NativeStream | undefined;
  #sampler: NativeStream | undefined;
  #out = new Uint8Array(0);
  readonly #sample = new Uint8Array(3 * sampleSlice);

  constructor(level: number = defaultCompressionLevel) {
    this.#level = level;
    this.#small = this.#open(level);
    this.#large = this.#open(level);
    this.#sampler = this.#open(1);
  }

  #open(level: number): NativeStream | undefined {
    return nativeStream(
      createZstdCompress({
        params: { [constants.ZSTD_c_compressionLevel]: level, [constants.ZSTD_c_checksumFlag]: 0 },
      }),
    );
  }

  /**
   * Compresses `input` into `target` (room for `compressBound` of it); returns the frame's
   * length, or -1 when it is longer than `limit`.
   */
  #run(stream: NativeStream | undefined, level: number, input: Uint8Array, limit: number, target: Uint8Array): number {
    const capacity = compressBound(input.byteLength);
    if (!stream) {
      const frame = zstdCompressSync(input, {
        params: { [constants.ZSTD_c_compressionLevel]: level, [constants.ZSTD_c_checksumFlag]: 0 },
      });
      if (frame.byteLength > limit) return -1;
      target.set(frame);
      return frame.byteLength;
    }
    // Room for the worst case: zstd then compresses the whole input in one pass straight
    // into the target. With less, it copies the input into its own window buffer first.
    stream.handle.writeSync(constants.ZSTD_e_end, input, 0, input.byteLength, target, 0, capacity);
    if (stream.error) throw stream.error;
    const availableOut = stream.state[0]!;
    const availableIn = stream.state[1]!;
    const produced = capacity - availableOut;
    if (availableOut === 0 || availableIn !== 0) {
      // The frame is unfinished (cannot happen within the bound): start the next one afresh.
      stream.handle.reset();
      return -1;
    }
    // Too large a frame: the data is incompressible.
    return produced > limit ? -1 : produced;
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
    const stream = plain.byteLength >= largeBlob ? this.#large : this.#small;
    return this.#run(stream, this.#level, plain, Math.floor(plain.byteLength * (1 - minimumSaving)), target);
  }

  /** `compressInto` a buffer of the compressor's own, returned as a view valid until the next call. */
  compress(plain: Uint8Array): Uint8Array | undefined {
    const capacity = compressBound(plain.byteLength);
    if (this.#out.byteLength < capacity) this.#out = new Uint8Array(Math.max(capacity, 1 << 16));
    const length = this.compressInto(plain, this.#out);
    return length < 0 ? undefined : this.#out.subarray(0, length);
  }
}

/** Reusable zstd decompressor with output bounded by the expected plain length. */
export class BlobDecompressor {
  #stream: NativeStream | undefined = nativeStream(createZstdDecompress());

  /**
   * Decompresses a frame that must expand to exactly `plainLength` bytes into `out` (or a
   * new buffer); throws `CorruptDataError` otherwise, so a hostile frame cannot balloon memory.
   */
  decompress(frame: Uint8Array, plainLength: number, out?: Uint8Array): Uint8Array {
    const target = out && out.byteLength >= plainLength + 1 ? out : new Uint8Array(plainLength + 1);
    const stream = this.#stream;
    if (!stream) {
      const plain = decompressBlob(frame, plainLength);
      target.set(plain);
      return target.subarray(0, plainLength);
    }
    try {
      stream.handle.writeSync(constants.ZSTD_e_end, frame, 0, frame.byteLength, target, 0, plainLength + 1);
    } catch (error) {
      this.#stream = nativeStream(createZstdDecompress());
      throw new CorruptDataError('zstd frame does not decompress', { cause: error });
    }
    const produced = plainLength + 1 - stream.state[0]!;
    if (stream.error || stream.failed() || produced !== plainLength || stream.state[1] !== 0) {
      // Reopen: after an error or a partial frame the context is unusable.
      this.#stream = nativeStream(createZstdDecompress());
      throw new CorruptDataError('zstd frame does not decompress to the expected length', { cause: stream.error });
    }
    return target.subarray(0, plainLength);
  }
}

/**
 * Decompresses a frame that must expand to exactly `plainLength` bytes, handing the plain
 * bytes to `piece` in order, each a view of `out` valid during the call. A restore streams
 * blobs this way, so a worker needs one buffer of `out`'s size instead of one as large as
 * the largest blob. Throws `CorruptDataError` when the frame is damaged or its length is
 * wrong (after some pieces may have been handed over).
 */
export class BlobStreamDecompressor {
  #stream: NativeStream | undefined = nativeStream(createZstdDecompress());

  decompress(frame: Uint8Array, plainLength: number, out: Uint8Array, piece: (bytes: Uint8Array) => void): void {
    const stream = this.#stream;
    if (!stream) {
      const plain = decompressBlob(frame, plainLength);
      for (let start = 0; start < plain.byteLength; start += out.byteLength)
        piece(plain.subarray(start, Math.min(plain.byteLength, start + out.byteLength)));
      return;
    }
    let consumed = 0;
    let produced = 0;
    try {
      for (;;) {
        const input = frame.byteLength - consumed;
        try {
          // Not ZSTD_e_end: Node fails a frame that does not end within one call's output.
          stream.handle.writeSync(constants.ZSTD_e_continue, frame, consumed, input, out, 0, out.byteLength);
          if (stream.error || stream.failed()) throw stream.error ?? new Error('zstd stream failed');
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
      // Reopen: after an error, or a frame left unfinished, the context is unusable.
      this.#stream = nativeStream(createZstdDecompress());
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
