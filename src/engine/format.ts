/**
 * Constants that define the on-disk format; each cites its section of docs/FORMAT.md.
 */

/** §2 Layout: object key prefixes in the blob store. */
export const configKey = 'config';
export const keysPrefix = 'keys/';
export const dataPrefix = 'data/';
export const indexPrefix = 'index/';
export const snapshotsPrefix = 'snapshots/';
export const locksPrefix = 'locks/';

/** §2 Repository format version this code writes and reads. */
export const repositoryVersion = 1;

/** §4 Blob types. */
export const blobTypeData = 0;
export const blobTypeTree = 1;
export type BlobType = typeof blobTypeData | typeof blobTypeTree;

/** §4 Blob flags: bit 0 = payload is a zstd frame. */
export const flagCompressed = 1;

/** §4 Length of blob and pack IDs. */
export const idLength = 32;

/** §7 Pack size target: a pack is closed once it reaches this many bytes. */
export const defaultPackSize = 16 * 1024 * 1024;

/** Key of a pack object: `data/<first two hex digits>/<64 hex digits>`. */
export function packKey(packIdHex: string): string {
  return `${dataPrefix}${packIdHex.slice(0, 2)}/${packIdHex}`;
}

/** Pack ID hex from a `data/…` key, or undefined for a foreign object. */
export function packIdFromKey(key: string): string | undefined {
  const match = /^data\/[0-9a-f]{2}\/([0-9a-f]{64})$/.exec(key);
  return match?.[1];
}
