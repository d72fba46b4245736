import { CofferError } from '../platform/index.ts';
import { BlobNotFoundError, BlobRangeError, StorageError } from '../storage/index.ts';
import { StorageFullError, StorageUnavailableError } from './errors.ts';

const fullCodes = new Set(['ENOSPC', 'EDQUOT', 'EFBIG']);

function errnoOf(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    const code = (current as NodeJS.ErrnoException).code;
    if (code && fullCodes.has(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * What kind of zone problem an error of a store call is: `full` (no space or quota left),
 * `unavailable` (the store cannot be reached), `error` (anything else the store refused, such
 * as denied credentials), or null for the answers a store gives in normal work (no such
 * object, a range past its end).
 */
export function storageProblemKind(error: unknown): 'full' | 'unavailable' | 'error' | null {
  if (error instanceof BlobNotFoundError || error instanceof BlobRangeError) return null;
  if (errnoOf(error)) return 'full';
  if (error instanceof StorageError && error.code === 'storage_unavailable') return 'unavailable';
  return 'error';
}

/**
 * Turns a zone failure into an error the agent can act on: a full disk or quota becomes
 * `storage_full`, an unreachable store `storage_unavailable`; anything else is rethrown.
 */
export function translateStorageError(error: unknown, what: string): never {
  if (error instanceof CofferError) throw error;
  const errno = errnoOf(error);
  if (errno) {
    throw new StorageFullError(`the storage zone is full (${errno}) while writing ${what}; nothing was stored`, error);
  }
  if (error instanceof StorageError && error.code === 'storage_unavailable') {
    throw new StorageUnavailableError(`the storage zone cannot be reached while writing ${what}`, error);
  }
  throw error;
}
