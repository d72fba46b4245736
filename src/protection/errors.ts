import { CofferError } from '../platform/index.ts';

/**
 * Errors of the data path. Codes reuse the server's statuses where one fits
 * (validation_failed 400, unauthenticated 401, not_found 404, conflict 409, gone 410,
 * payload_too_large 413); `storage_full` (507) and `storage_unavailable` (503) are
 * answered by the agent routes themselves.
 */

/** An uploaded object fails the keyless checks (hash, structure, headers). */
export class InvalidUploadError extends CofferError {
  constructor(message: string, cause?: unknown) {
    super('validation_failed', message, cause === undefined ? undefined : { cause });
  }
}

/** A snapshot commit names blobs the vault does not hold. */
export class MissingBlobsError extends CofferError {
  constructor(missing: readonly string[]) {
    super(
      'conflict',
      `snapshot refused: ${missing.length} referenced blob(s) are not stored in the vault (first: ${missing[0]})`,
      { details: { missingCount: missing.length, missing: missing.slice(0, 20) } },
    );
  }
}

/** An enrolment token that was used already or has expired. */
export class EnrolmentTokenGoneError extends CofferError {
  constructor(reason: 'used' | 'expired') {
    super(
      'gone',
      reason === 'used'
        ? 'this enrolment token was already used; ask for a new one'
        : 'this enrolment token has expired; ask for a new one',
      { details: { reason } },
    );
  }
}

/** The zone refused a write because it is full (ENOSPC, quota of the backing store). */
export class StorageFullError extends CofferError {
  constructor(message: string, cause?: unknown) {
    super('storage_full', message, { cause });
  }
}

/** The zone could not be reached. */
export class StorageUnavailableError extends CofferError {
  constructor(message: string, cause?: unknown) {
    super('storage_unavailable', message, { cause });
  }
}

/** HTTP status of the codes above that the server's table does not know. */
export const protectionErrorStatuses: Readonly<Record<string, number>> = Object.freeze({
  storage_full: 507,
  storage_unavailable: 503,
});
