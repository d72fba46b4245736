import { parentPort, workerData } from 'node:worker_threads';
import { BlobRestorer } from './blob-restorer.ts';
import type { RestoreWorkerSetup, ToRestoreWorker } from './restore-messages.ts';

/** Restore worker: runs each task it is sent through a `BlobRestorer` and hands the buffer back. */
const restorer = new BlobRestorer(workerData as RestoreWorkerSetup);
const port = parentPort!;

port.on('message', (message: ToRestoreWorker) => {
  const reply = restorer.run(message.task);
  port.postMessage(reply, [reply.buffer]);
});
