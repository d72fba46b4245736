import { backup, openRepository, processLockEnvironment, scanTotals } from '../engine/index.ts';
import type { AgentApi, AgentJob, JobOutcome } from './agent-api.ts';
import { type AgentCredentials, agentKeyOf } from './credentials.ts';
import { HttpBlobStore } from './http-blob-store.ts';
import { measureUploadRate } from './link-test.ts';
import { confirmIndexWithServer } from './server-index-check.ts';

/** How often a running job reports progress (and renews its session). */
const progressEveryMs = 2000;

function formatRate(bytesPerSecond: number): string {
  return `${(bytesPerSecond / 1024 / 1024).toFixed(2)} MiB/s`;
}

/**
 * Runs a backup job: opens an upload session, runs the engine against the vault through
 * the agent protocol (the server's index is confirmed first, so only blobs it lacks are
 * sent), reports progress, and returns the outcome (warning when files were unreadable).
 * Before an initial backup it runs the link test, and refuses a large initial upload over
 * a link slower than the policy allows.
 */
export async function runBackupJob(
  api: AgentApi,
  credentials: AgentCredentials,
  job: AgentJob,
  log: (line: string) => void,
): Promise<JobOutcome> {
  const spec = job.backup;
  if (!spec) return { outcome: 'failed', error: 'the job carries no backup specification' };
  if (spec.paths.length === 0) {
    return { outcome: 'failed', error: 'the protection policy selects no paths to back up (set paths in the policy)' };
  }
  let linkRate: number | undefined;
  if (spec.initial) {
    linkRate = await measureUploadRate(api.connection);
    log(`link test: ${formatRate(linkRate)}`);
    if (spec.minimumInitialRate !== null && linkRate < spec.minimumInitialRate) {
      const totals = scanTotals(spec.paths, spec.excludes);
      if (totals.bytes > spec.largeInitialBytes) {
        return {
          outcome: 'failed',
          linkRate,
          error: `initial backup of ${totals.bytes} bytes refused by policy: the link test measured ${formatRate(linkRate)}, below the required ${formatRate(spec.minimumInitialRate)}`,
        };
      }
    }
  }
  const session = await api.openSession(credentials.vaultId, 'backup', job.id);
  const store = new HttpBlobStore(api.connection, credentials.vaultId, () => session.sessionId);
  const progress = { files: 0, bytes: 0 };
  let checked = { blobs: 0, missing: 0 };
  const timer = setInterval(() => {
    api
      .progress(job.id, { files: progress.files, bytes: progress.bytes, sentBytes: store.bytesSent })
      .then((answer) => {
        if (answer.cancel) store.abort();
      })
      .catch(() => undefined);
    api.renewSession(session.sessionId).catch(() => undefined);
  }, progressEveryMs);
  try {
    const repository = await openRepository(store, { key: agentKeyOf(credentials) });
    confirmIndexWithServer(repository, api.connection, credentials.vaultId, (blobs, missing) => {
      checked = { blobs, missing };
    });
    const result = await backup(repository, {
      paths: spec.paths,
      excludes: spec.excludes,
      force: spec.full,
      hostname: credentials.hostname,
      progress,
      lockEnvironment: processLockEnvironment(credentials.hostname),
    });
    const stats = {
      files: result.summary.files,
      directories: result.summary.directories,
      totalBytes: result.summary.totalBytes,
      bytesRead: result.summary.bytesRead,
      bytesAdded: result.summary.bytesAdded,
      storedBytesAdded: result.summary.storedBytesAdded,
      durationMs: result.summary.durationMs,
      sentBytes: store.bytesSent,
      indexedBlobsConfirmed: checked.blobs,
      indexedBlobsMissing: checked.missing,
    };
    return {
      outcome: result.warnings.length > 0 ? 'warning' : 'success',
      snapshotId: result.snapshotId,
      warnings: result.warnings.map((warning) => ({ path: warning.path, error: warning.error })),
      stats,
      ...(linkRate !== undefined ? { linkRate } : {}),
    };
  } finally {
    clearInterval(timer);
    await api.closeSession(session.sessionId).catch(() => undefined);
  }
}
