/**
 * Errors the engine raises on purpose. Each has a stable string `code`; the engine never
 * mentions HTTP or exit codes — callers map codes to those.
 */
export class EngineError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Bytes that should follow docs/FORMAT.md do not (bad magic, bounds, hash or tag). */
export class CorruptDataError extends EngineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('corrupt_data', message, options);
  }
}

/** No key slot opens with the given passphrase or key. */
export class WrongPasswordError extends EngineError {
  constructor() {
    super('wrong_password', 'no key slot of this repository opens with the given password');
  }
}

/** The repository is missing, of an unknown version, or used wrongly. */
export class RepositoryError extends EngineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('repository_error', message, options);
  }
}

/** Another process holds a conflicting repository lock. */
export class RepositoryLockedError extends EngineError {
  constructor(message: string) {
    super('repository_locked', message);
  }
}

/** A snapshot or path named by the caller does not exist. */
export class NotFoundInRepositoryError extends EngineError {
  constructor(message: string) {
    super('not_found', message);
  }
}

/**
 * True for a store's "object does not exist" error. Matched by its stable code rather than
 * its class, so the engine needs no runtime import of any store implementation.
 */
export function isBlobNotFound(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'blob_not_found';
}
