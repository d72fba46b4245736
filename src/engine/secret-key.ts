import { createSecretKey, type KeyObject } from 'node:crypto';

const cache = new WeakMap<Uint8Array, KeyObject>();

/**
 * The `KeyObject` for raw key bytes, created once per buffer: passing raw bytes to
 * createCipheriv/createHmac re-imports the key on every call (~30 µs each, measured).
 */
export function secretKey(key: Uint8Array | KeyObject): KeyObject {
  if (!(key instanceof Uint8Array)) return key;
  let object = cache.get(key);
  if (!object) {
    object = createSecretKey(key);
    cache.set(key, object);
  }
  return object;
}
