import { openRepository, restore } from '../engine/index.ts';
import type { AgentApi, AgentJob, JobOutcome } from './agent-api.ts';
import { type AgentCredentials, agentKeyOf } from './credentials.ts';
import { HttpBlobStore } from './http-blob-store.ts';
import { recoverySecret } from './vault-setup.ts';

/**
 * Runs a restore job: opens a read session on the vault, opens the repository with this
 * agent's key (its own vault) or through the unit's recovery slot (another machine's
 * vault; needs the unit passphrase, unwrapped here, never sent), and restores the
 * snapshot or the chosen paths below the target (or to the original paths).
 */
export async function runRestoreJob(
  api: AgentApi,
  credentials: AgentCredentials,
  job: AgentJob,
  recoveryPassphrase: string | undefined,
): Promise<JobOutcome> {
  const spec = job.restore;
  if (!spec) return { outcome: 'failed', error: 'the job carries no restore specification' };
  if (spec.viaRecovery && !recoveryPassphrase) {
    return {
      outcome: 'failed',
      error:
        'restoring another machine’s data needs the unit recovery passphrase: run the agent with --recovery-passphrase-file',
    };
  }
  const session = await api.openSession(spec.vaultId, 'restore', job.id);
  const store = new HttpBlobStore(api.connection, spec.vaultId, () => session.sessionId);
  const progress = { files: 0, bytes: 0 };
  const timer = setInterval(() => {
    api
      .progress(job.id, { files: progress.files, bytes: progress.bytes })
      .then((answer) => {
        if (answer.cancel) store.abort();
      })
      .catch(() => undefined);
    api.renewSession(session.sessionId).catch(() => undefined);
  }, 2000);
  try {
    const key = spec.viaRecovery
      ? await recoverySecret(api, spec.vaultId, recoveryPassphrase ?? '')
      : agentKeyOf(credentials);
    const repository = await openRepository(store, { key });
    const snapshot = await repository.readSnapshot(spec.snapshotId);
    const result = await restore(repository, snapshot, {
      target: spec.target ?? '/',
      includes: spec.paths,
      progress,
    });
    const stats = {
      files: result.files,
      directories: result.directories,
      bytesWritten: result.bytesWritten,
      durationMs: result.durationMs,
    };
    if (result.failures.length > 0) {
      return { outcome: 'warning', warnings: result.failures.map((f) => ({ path: f.path, error: f.error })), stats };
    }
    return { outcome: 'success', stats };
  } finally {
    clearInterval(timer);
    await api.closeSession(session.sessionId).catch(() => undefined);
  }
}
