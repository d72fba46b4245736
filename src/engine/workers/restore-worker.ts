import { closeSync, constants, fchmodSync, fchownSync, ftruncateSync, futimesSync, openSync, writeSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { computeBlobId } from '../blob-id.ts';
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
  RestoreWorkerSetup,
  ToRestoreWorker,
} from './restore-messages.ts';

/**
 * Restore worker: authenticates, decrypts, decompresses and re-checks the keyed ID of
 * each blob of a pack range, then writes it into the (pre-created) target files.
 */
const setup = workerData as RestoreWorkerSetup;
const port = parentPort!;
/** Reused output buffer for decompression (the largest blob grows it once). */
let plainBuffer = new Uint8Array(1 << 20);
const decompressor = new BlobDecompressor();

function writeAll(destination: Destination, data: Uint8Array): void {
  // Created on first write; the main thread sets the final size and metadata afterwards,
  // unless this write is the file's only content (`finish`): then it is done here.
  const fd = openSync(destination.path, constants.O_WRONLY | constants.O_CREAT, 0o600);
  try {
    let written = 0;
    const { offset, finish } = destination;
    while (written < data.byteLength)
      written += writeSync(fd, data, written, data.byteLength - written, offset + written);
    if (finish) {
      ftruncateSync(fd, finish.size);
      if (finish.chown) fchownSync(fd, finish.uid, finish.gid);
      fchmodSync(fd, finish.mode);
      futimesSync(fd, finish.mtime, finish.mtime);
    }
  } finally {
    closeSync(fd);
  }
}

port.on('message', (message: ToRestoreWorker) => {
  const { task } = message;
  const failures: RestoreFailure[] = [];
  let bytesWritten = 0;
  for (const { location, destinations } of task.blobs) {
    try {
      const start = location.offset - task.rangeOffset;
      const end = start + recordHeaderLength + location.storedLength;
      if (start < 0 || end > task.bytes.byteLength) throw new CorruptDataError('pack is shorter than the index says');
      // Decrypted in place: the record's bytes are read once, so no second buffer is touched.
      const record = task.bytes.subarray(start, end);
      const payload = openRecord(setup.blobKey, record, location, record);
      if (plainBuffer.byteLength < location.plainLength + 1) plainBuffer = new Uint8Array(location.plainLength + 1);
      const plain =
        (location.flags & flagCompressed) !== 0
          ? decompressor.decompress(payload, location.plainLength, plainBuffer)
          : payload;
      if (plain.byteLength !== location.plainLength || !bytesEqual(computeBlobId(setup.idKey, plain), location.id)) {
        throw new CorruptDataError('blob does not match its ID');
      }
      noteProcessed(location.storedLength);
      for (const destination of destinations) {
        writeAll(destination, plain);
        bytesWritten += plain.byteLength;
      }
    } catch (error) {
      failures.push({
        blobId: toHex(location.id),
        error: (error as Error).message,
        paths: destinations.map((d) => d.path),
      });
    }
  }
  const reply: FromRestoreWorker = {
    kind: 'done',
    taskId: task.taskId,
    bytesWritten,
    failures,
    buffer: task.bytes.buffer as ArrayBuffer,
  };
  port.postMessage(reply, [task.bytes.buffer as ArrayBuffer]);
});
