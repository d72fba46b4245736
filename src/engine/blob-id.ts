import { createHmac, type Hmac, type KeyObject } from 'node:crypto';
import { secretKey } from './secret-key.ts';

/**
 * The keyed ID of a blob: HMAC-SHA256(idKey, plaintext), 32 bytes (docs/FORMAT.md §4;
 * chosen over keyed BLAKE3 by measurement, docs/decisions/0005-engine-measurements.md).
 */
export function computeBlobId(idKey: Uint8Array | KeyObject, plain: Uint8Array): Uint8Array {
  return new Uint8Array(blobIdHash(idKey).update(plain).digest());
}

/** `computeBlobId` over plaintext that arrives in pieces: `update` each, then `digest`. */
export function blobIdHash(idKey: Uint8Array | KeyObject): Hmac {
  return createHmac('sha256', secretKey(idKey));
}
