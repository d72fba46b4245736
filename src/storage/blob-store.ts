/**
 * The one storage abstraction the data plane writes through. It is shaped after object
 * stores (S3 and friends): whole-object puts, ranged gets, head, prefix listing and delete.
 * There is deliberately no rename and no append, so every implementation can be an object
 * store; atomicity is the implementation's job (an object is visible whole or not at all).
 * A store that can keep a private partial object (a local directory) may also offer
 * `startUpload`, an object written in pieces and named when complete; writers fall back to
 * `put` where it is absent.
 *
 * Keys are `/`-separated relative names such as `data/ab/ab12…`; each segment matches
 * `[A-Za-z0-9._-]+` and does not start with a dot.
 */
export interface BlobStore {
  /** Stores `data` under `key`, replacing any previous object; visible only once complete and durable. */
  put(key: string, data: Uint8Array): Promise<void>;
  /**
   * Reads an object or a byte range of it. With `into`, the bytes land in that buffer and a
   * view of it is returned (so hot paths can reuse memory). Throws `BlobNotFoundError` when
   * the key is absent and `BlobRangeError` when the range passes the end of the object.
   */
  get(key: string, options?: GetOptions): Promise<Uint8Array>;
  /** Size of the object, or `undefined` when it does not exist. */
  head(key: string): Promise<BlobInfo | undefined>;
  /** Every object whose key starts with `prefix`, in no particular order. */
  list(prefix: string): AsyncIterable<BlobInfo>;
  /** Removes the object; deleting an absent key is not an error. */
  delete(key: string): Promise<void>;
  /**
   * How many `put`s a writer should keep in flight to keep this store busy (1 when omitted).
   * A store whose puts wait on a network round trip and a remote fsync says 2, so that one
   * upload's acknowledgement overlaps the next upload's transfer; so does a local directory
   * that fsyncs every put (the disk flush of one pack overlaps the filling of the next).
   */
  readonly writesInFlight?: number;
  /**
   * Starts an object written piece by piece and named only when complete (a pack is named
   * by the hash of its bytes), in the folder `folder` (a key prefix without the trailing
   * slash). Offered by stores that can keep a private partial object (a local directory),
   * so a writer need not hold the whole object in memory; without it, writers use `put`.
   */
  startUpload?(folder: string): Promise<BlobUpload>;
  /**
   * Removes partial objects older than `olderThanMs` (uploads and puts that never finished:
   * their process was killed) and returns how many. Offered by stores that keep them.
   */
  removeStaleTemporaryFiles?(olderThanMs: number): Promise<number>;
}

/** An object being written by `startUpload`: invisible until `commit`. */
export interface BlobUpload {
  /** Writes `bytes` at `offset`; pieces may be written concurrently and in any order. */
  write(bytes: Uint8Array, offset: number): Promise<void>;
  /** Makes the object durable and visible under `key`; every `write` must have settled. */
  commit(key: string): Promise<void>;
  /** Discards the partial object (after a failure); safe to call more than once. */
  abort(): Promise<void>;
}

/** What `head` and `list` report about one object. */
export interface BlobInfo {
  readonly key: string;
  readonly size: number;
}

/** A byte range of an object, and optionally the buffer to read it into. */
export interface GetOptions {
  readonly offset?: number;
  /** Bytes to read; the rest of the object when omitted. */
  readonly length?: number;
  /** Destination buffer; must hold at least `length` bytes. */
  readonly into?: Uint8Array;
}

const segmentPattern = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

/** Throws `InvalidBlobKeyError` unless `key` is a well-formed store key. */
export function assertBlobKey(key: string): void {
  if (key.length === 0 || key.length > 512) throw new InvalidBlobKeyError(key);
  for (const segment of key.split('/')) {
    if (!segmentPattern.test(segment)) throw new InvalidBlobKeyError(key);
  }
}

/** Base class of storage errors; `code` is stable. */
export class StorageError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The key names no object. */
export class BlobNotFoundError extends StorageError {
  readonly key: string;
  constructor(key: string, options?: { cause?: unknown }) {
    super('blob_not_found', `object ${key} does not exist`, options);
    this.key = key;
  }
}

/** A ranged read reached past the end of the object. */
export class BlobRangeError extends StorageError {
  constructor(key: string, offset: number, length: number, size: number) {
    super('blob_range', `range ${offset}+${length} is outside object ${key} of ${size} bytes`);
  }
}

/** The key is malformed (empty, absolute, with `..` or unusual characters). */
export class InvalidBlobKeyError extends StorageError {
  constructor(key: string) {
    super('invalid_blob_key', `invalid object key ${JSON.stringify(key)}`);
  }
}
