import { parentPort, workerData } from 'node:worker_threads';
import { createBackupLane } from './backup-lane.ts';
import type { BackupWorkerData, FromBackupWorker, ToBackupWorker } from './backup-messages.ts';

/** Backup worker: a backup lane (`backup-lane.ts`) on a thread of its own. */
const port = parentPort!;
const lane = createBackupLane(workerData as BackupWorkerData, (message: FromBackupWorker, transfer = []) =>
  port.postMessage(message, transfer),
);
port.on('message', (message: ToBackupWorker) => lane.receive(message));
