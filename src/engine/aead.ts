import { createCipheriv, createDecipheriv, type KeyObject, randomFillSync } from 'node:crypto';
import { copyBytes } from './bytes.ts';
import { CorruptDataError } from './errors.ts';
import { secretKey } from './secret-key.ts';

/** Bytes of nonce and tag around every AES-256-GCM ciphertext (docs/FORMAT.md §4). */
export const nonceLength = 12;
export const tagLength = 16;
export const aeadOverhead = nonceLength + tagLength;

/** Random nonces are drawn from the CSPRNG in batches (one call per 4096 nonces). */
const noncePool = new Uint8Array(nonceLength * 4096);
let noncePosition = noncePool.byteLength;

/** A fresh random 96-bit nonce (a view that stays valid until 4095 more are drawn). */
export function randomNonce(): Uint8Array {
  if (noncePosition === noncePool.byteLength) {
    randomFillSync(noncePool);
    noncePosition = 0;
  }
  const nonce = noncePool.subarray(noncePosition, noncePosition + nonceLength);
  noncePosition += nonceLength;
  return nonce;
}

/**
 * Encrypts `plain` with AES-256-GCM under a fresh random 96-bit nonce and writes
 * `nonce ‖ ciphertext ‖ tag` into `out` at `offset` (which must have room for
 * `plain.length + aeadOverhead` bytes). Returns the number of bytes written.
 */
export function sealInto(
  key: Uint8Array | KeyObject,
  plain: Uint8Array,
  aad: Uint8Array,
  out: Uint8Array,
  offset: number,
  nonce: Uint8Array = randomNonce(),
): number {
  out.set(nonce, offset);
  const cipher = createCipheriv('aes-256-gcm', secretKey(key), nonce);
  cipher.setAAD(aad);
  let position = offset + nonceLength;
  // Small slices keep each output allocation below malloc's mmap threshold, so their
  // memory is recycled instead of being faulted in afresh (see docs/decisions/0005-engine-measurements.md).
  const slice = 1 << 16;
  for (let start = 0; start < plain.byteLength; start += slice) {
    const part = cipher.update(plain.subarray(start, Math.min(plain.byteLength, start + slice)));
    copyBytes(out, part, position);
    position += part.byteLength;
  }
  const last = cipher.final();
  copyBytes(out, last, position);
  position += last.byteLength;
  copyBytes(out, cipher.getAuthTag(), position);
  return position + tagLength - offset;
}

/** `sealInto` with a freshly allocated result. */
export function seal(key: Uint8Array | KeyObject, plain: Uint8Array, aad: Uint8Array): Uint8Array {
  const out = new Uint8Array(plain.byteLength + aeadOverhead);
  sealInto(key, plain, aad, out, 0);
  return out;
}

/**
 * Decrypts `nonce ‖ ciphertext ‖ tag` into `out` (or a new buffer) and returns the plain
 * bytes; throws `CorruptDataError` when the tag does not verify. `out` may start at or
 * before `sealed` in the same memory (decryption in place): each slice is written behind
 * the position it was read from, and the tag is taken before anything is written.
 */
export function open(key: Uint8Array | KeyObject, sealed: Uint8Array, aad: Uint8Array, out?: Uint8Array): Uint8Array {
  if (sealed.byteLength < aeadOverhead) throw new CorruptDataError('sealed data is shorter than nonce and tag');
  const plainLength = sealed.byteLength - aeadOverhead;
  const target = out ? out.subarray(0, plainLength) : new Uint8Array(plainLength);
  if (target.byteLength < plainLength) throw new RangeError('output buffer too small');
  const decipher = createDecipheriv('aes-256-gcm', secretKey(key), sealed.subarray(0, nonceLength));
  decipher.setAAD(aad);
  decipher.setAuthTag(sealed.subarray(sealed.byteLength - tagLength));
  const body = sealed.subarray(nonceLength, sealed.byteLength - tagLength);
  let position = 0;
  const slice = 1 << 16;
  try {
    for (let start = 0; start < body.byteLength; start += slice) {
      const part = decipher.update(body.subarray(start, Math.min(body.byteLength, start + slice)));
      target.set(part, position);
      position += part.byteLength;
    }
    const last = decipher.final();
    target.set(last, position);
  } catch (error) {
    throw new CorruptDataError('authentication failed: data was altered or the key is wrong', { cause: error });
  }
  return target;
}
