import { closeSync, constants, fchmodSync, fchownSync, ftruncateSync, futimesSync, openSync, writeSync } from 'node:fs';
import { blobIdHash, computeBlobId } from '../blob-id.ts';
import type { BlobLocation } from '../blob-index.ts';
import { bytesEqual, toHex } from '../bytes.ts';
import { BlobDecompressor } from '../compression.ts';
import { CorruptDataError } from '../errors.ts';
import { flagCompressed } from '../format.ts';
import { openRecord, recordHeaderLength } from '../pack.ts';
import { noteProcessed } from './garbage.ts';
import type {
  Destination,
  FromRestoreWorker,
  RestoreFailure,
  RestoreTask,
  RestoreWorkerSetup,
} from './restore-messages.ts';

/**
 * Output of decompression, reused. A buffer as large as the largest blob cost each lane up
 * to that much memory (the repository's maximum chunk size), more while it grew.
 */
const pieceSize = 1 << 20;

function writeAt(fd: number, data: Uint8Array, position: number): void {
  let written = 0;
  while (written < data.byteLength)
    written += writeSync(fd, data, written, data.byteLength - written, position + written);
}

/**
 * Restores the blobs of pack ranges: authenticates and decrypts each blob in place, then
 * decompresses it in pieces of `pieceSize` into its (pre-created) target files while taking
 * its keyed ID, which must match. A blob that fails is reported with its files; a blob whose
 * plaintext does not match its ID has been written by then (its files are reported). Runs in
 * the restore workers and, as one more lane, on the main thread (`src/engine/fs/restore.ts`).
 */
export class BlobRestorer {
  readonly #setup: RestoreWorkerSetup;
  readonly #piece = new Uint8Array(pieceSize);
  readonly #decompressor = new BlobDecompressor();

  constructor(setup: RestoreWorkerSetup) {
    this.#setup = setup;
  }

  /** Restores every blob of `task`; the reply hands the task's buffer back. */
  run(task: RestoreTask): FromRestoreWorker {
    const failures: RestoreFailure[] = [];
    let bytesWritten = 0;
    for (const { location, destinations } of task.blobs) {
      try {
        const start = location.offset - task.rangeOffset;
        const end = start + recordHeaderLength + location.storedLength;
        if (start < 0 || end > task.bytes.byteLength) throw new CorruptDataError('pack is shorter than the index says');
        // Decrypted in place: the record's bytes are read once, so no second buffer is touched.
        const record = task.bytes.subarray(start, end);
        this.#restoreBlob(location, openRecord(this.#setup.blobKey, record, location, record), destinations);
        noteProcessed(location.storedLength);
        bytesWritten += location.plainLength * destinations.length;
      } catch (error) {
        failures.push({
          blobId: toHex(location.id),
          error: (error as Error).message,
          paths: destinations.map((d) => d.path),
        });
      }
    }
    return { kind: 'done', taskId: task.taskId, bytesWritten, failures, buffer: task.bytes.buffer as ArrayBuffer };
  }

  /**
   * Writes one blob's plaintext to its destinations. Files are created on first write; the
   * main thread sets the final size and metadata afterwards, unless this write is the file's
   * only content (`finish`): then it is done here, once the blob is verified.
   */
  #restoreBlob(location: BlobLocation, payload: Uint8Array, destinations: readonly Destination[]): void {
    const fds: number[] = [];
    try {
      for (const { path } of destinations) fds.push(openSync(path, constants.O_WRONLY | constants.O_CREAT, 0o600));
      let matches: boolean;
      if ((location.flags & flagCompressed) !== 0) {
        const id = blobIdHash(this.#setup.idKey);
        let position = 0;
        this.#decompressor.decompressInPieces(payload, location.plainLength, this.#piece, (bytes) => {
          id.update(bytes);
          for (const [i, fd] of fds.entries()) writeAt(fd, bytes, destinations[i]!.offset + position);
          position += bytes.byteLength;
        });
        matches = bytesEqual(id.digest(), location.id);
      } else {
        matches =
          payload.byteLength === location.plainLength &&
          bytesEqual(computeBlobId(this.#setup.idKey, payload), location.id);
        if (matches) for (const [i, fd] of fds.entries()) writeAt(fd, payload, destinations[i]!.offset);
      }
      if (!matches) throw new CorruptDataError('blob does not match its ID');
      for (const [i, fd] of fds.entries()) {
        const { finish, offset } = destinations[i]!;
        if (!finish) continue;
        // The file is new (an old one was removed first): it already has its size unless zeros
        // follow this blob (~5 µs a file otherwise, most of a restore's files).
        if (finish.size !== offset + location.plainLength) ftruncateSync(fd, finish.size);
        if (finish.chown) fchownSync(fd, finish.uid, finish.gid);
        fchmodSync(fd, finish.mode);
        futimesSync(fd, finish.mtime, finish.mtime);
      }
    } finally {
      for (const fd of fds) closeSync(fd);
    }
  }
}
