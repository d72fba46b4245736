import type { ChunkerParams } from '../chunker.ts';
import type { Extent } from '../tree.ts';
import type { SharedClaimsMemory } from './shared-claims.ts';

/** Everything a backup worker needs, passed as `workerData`. */
export interface BackupWorkerSetup {
  readonly idKey: Uint8Array;
  readonly blobKey: Uint8Array;
  readonly gear: Uint32Array;
  readonly chunker: ChunkerParams;
  readonly compressionLevel: number;
}

/**
 * A worker's `workerData`: the setup, the run's shared claims (`shared-claims.ts`) and its
 * record slots: shared buffers, each with room for the largest record, that the worker
 * seals records into and the main thread writes to packs from, in place.
 */
export interface BackupWorkerData extends BackupWorkerSetup {
  readonly claims: SharedClaimsMemory;
  readonly recordSlots: readonly SharedArrayBuffer[];
}

/**
 * A file for a worker to read, chunk, hash and (where new) compress and seal — or one
 * segment of a large file: the part between the chunk boundaries at or after the nominal
 * offsets `from` and `to` (docs/FORMAT.md §5, "Large files").
 */
export interface FileTask {
  readonly path: string;
  /** Nominal start of a segment (0 or absent: the start of the file). */
  readonly from?: number;
  /** Nominal end of a segment (absent: the end of the file). */
  readonly to?: number;
}

export type ToBackupWorker =
  | { readonly kind: 'job'; readonly jobId: number; readonly files: readonly FileTask[] }
  | { readonly kind: 'answer'; readonly queryId: number; readonly needed: Uint8Array }
  | { readonly kind: 'recycle'; readonly slot: number }
  | { readonly kind: 'flush' };

/** Outcome of one file: its content, or why it could not be read. */
export interface FileOutcome {
  readonly extents: Extent[];
  readonly bytesRead: number;
  readonly error: string | undefined;
  /** For a segment: the file offsets its extents cover, so the segments can be checked to join. */
  readonly span?: { readonly start: number; readonly end: number };
}

export type FromBackupWorker =
  /** IDs the worker could not settle through the shared claims (indexed, or the table is full). */
  | { readonly kind: 'query'; readonly queryId: number; readonly ids: Uint8Array }
  /**
   * Sealed pack records (header ‖ payload) of new data blobs, one after another in the first
   * `length` bytes of record slot `slot`, record i ending at `ends[i]`; the slot is the
   * worker's again after `recycle`.
   */
  | { readonly kind: 'records'; readonly slot: number; readonly length: number; readonly ends: readonly number[] }
  | { readonly kind: 'result'; readonly jobId: number; readonly files: FileOutcome[] }
  | { readonly kind: 'flushed' }
  | { readonly kind: 'fatal'; readonly message: string };
