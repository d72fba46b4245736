import { constants, zstdCompressSync, zstdDecompressSync } from 'node:zlib';
import { CorruptDataError } from './errors.ts';

/** zstd level of blob payloads, chosen by measurement (docs/decisions/0006). */
export const defaultCompressionLevel = 3;

/** A blob is stored raw unless zstd saves at least this fraction (docs/FORMAT.md §6). */
const minimumSaving = 0.03;
/** Sample-compression test: below this size the whole blob is simply tried. */
const sampleThreshold = 64 * 1024;
const sampleSlice = 8 * 1024;
/** A sample that shrinks less than this at level 1 marks the blob incompressible. */
const sampleMinimumSaving = 0.05;

/**
 * Compresses `plain` with zstd at `level` and returns the frame, or `undefined` when the
 * data is incompressible (judged first on three 8 KiB samples at level 1, then on the
 * result), in which case the blob is stored raw.
 */
export function compressBlob(plain: Uint8Array, level: number = defaultCompressionLevel): Uint8Array | undefined {
  if (plain.byteLength < 64) return undefined;
  if (plain.byteLength >= sampleThreshold) {
    const middle = Math.floor(plain.byteLength / 2) - sampleSlice / 2;
    const sample = Buffer.concat([
      plain.subarray(0, sampleSlice),
      plain.subarray(middle, middle + sampleSlice),
      plain.subarray(plain.byteLength - sampleSlice),
    ]);
    const compressedSample = zstdCompressSync(sample, { params: { [constants.ZSTD_c_compressionLevel]: 1 } });
    if (compressedSample.byteLength > sample.byteLength * (1 - sampleMinimumSaving)) return undefined;
  }
  const compressed = zstdCompressSync(plain, {
    params: { [constants.ZSTD_c_compressionLevel]: level, [constants.ZSTD_c_checksumFlag]: 0 },
  });
  if (compressed.byteLength > plain.byteLength * (1 - minimumSaving)) return undefined;
  return compressed;
}

/**
 * Decompresses a zstd frame that must expand to exactly `plainLength` bytes; throws
 * `CorruptDataError` otherwise. `plainLength` bounds the output, so a hostile frame cannot
 * balloon memory.
 */
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
