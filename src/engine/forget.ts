import { EngineError } from './errors.ts';
import type { LockEnvironment } from './locks.ts';
import type { Repository } from './repository.ts';
import { applyRetention, isEmptyPolicy, type RetentionDecision, type RetentionPolicy } from './retention.ts';

/** One snapshot's fate in a forget run. */
export interface ForgetDecision extends RetentionDecision {
  readonly time: string;
  readonly hostname: string;
  readonly paths: readonly string[];
}

/**
 * Applies a retention policy to the snapshots, grouped by host and paths, and deletes the
 * snapshots it does not keep (unless `dryRun`). Deleting snapshot objects frees nothing by
 * itself; `prune` then removes the data no remaining snapshot references.
 */
export async function forgetSnapshots(
  repository: Repository,
  policy: RetentionPolicy,
  options: { dryRun?: boolean; lockEnvironment: LockEnvironment; lockWaitMs?: number },
): Promise<ForgetDecision[]> {
  if (isEmptyPolicy(policy))
    throw new EngineError('invalid_arguments', 'refusing to forget every snapshot: give at least one --keep-* rule');
  const lock = await repository.lock('forget', false, options.lockEnvironment, options.lockWaitMs ?? 0);
  try {
    const { snapshots } = await repository.listSnapshots();
    const decisions = applyRetention(
      snapshots.map((snapshot) => ({
        id: snapshot.id,
        timeMs: snapshot.envelope.timeMs,
        group: JSON.stringify([snapshot.meta.hostname, [...snapshot.meta.paths].sort()]),
      })),
      policy,
    );
    const byId = new Map(snapshots.map((snapshot) => [snapshot.id, snapshot]));
    const result = decisions.map((decision) => {
      const snapshot = byId.get(decision.id)!;
      return { ...decision, time: snapshot.meta.time, hostname: snapshot.meta.hostname, paths: snapshot.meta.paths };
    });
    if (!options.dryRun) {
      for (const decision of result) if (!decision.keep) await repository.deleteSnapshot(decision.id);
    }
    return result;
  } finally {
    await lock.release();
  }
}
