import type { BlobLocation } from '../blob-index.ts';

/** Keys a restore worker needs, passed as `workerData`. */
export interface RestoreWorkerSetup {
  readonly idKey: Uint8Array;
  readonly blobKey: Uint8Array;
}

/** Final size, owner, mode and times of a file (owner only when `chown`). */
export interface FileFinish {
  readonly size: number;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly chown: boolean;
  /** Modification (and access) time in seconds. */
  readonly mtime: number;
}

/** Where one blob's plaintext goes: a file path and an offset. */
export interface Destination {
  readonly path: string;
  readonly offset: number;
  /**
   * Set when this write is the file's only content: the worker then also gives the file
   * its final size and metadata through the same descriptor.
   */
  readonly finish?: FileFinish;
}

/** A contiguous piece of a pack and the blobs in it to restore. */
export interface RestoreTask {
  readonly taskId: number;
  /** Bytes of the pack from `rangeOffset` on. */
  readonly bytes: Uint8Array;
  readonly rangeOffset: number;
  readonly blobs: readonly { readonly location: BlobLocation; readonly destinations: readonly Destination[] }[];
}

export type ToRestoreWorker = { readonly kind: 'task'; readonly task: RestoreTask };

/** A blob that failed to verify, with the files it was meant for. */
export interface RestoreFailure {
  readonly blobId: string;
  readonly error: string;
  readonly paths: readonly string[];
}

export type FromRestoreWorker = {
  readonly kind: 'done';
  readonly taskId: number;
  readonly bytesWritten: number;
  readonly failures: RestoreFailure[];
  readonly buffer: ArrayBuffer;
};
