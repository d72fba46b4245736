/**
 * In-process wake-ups for agents long-polling for jobs: a job created by this process wakes
 * its data source's poll at once. Other processes' jobs are found by the poll's periodic
 * re-check, so correctness never depends on a wake-up arriving.
 */
const waiters = new Map<string, Set<() => void>>();

/** Resolves after `ms`, or earlier when `wake(dataSourceId)` is called or `signal` aborts. */
export function waitForWork(dataSourceId: string, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const set = waiters.get(dataSourceId) ?? new Set();
    waiters.set(dataSourceId, set);
    const done = () => {
      clearTimeout(timer);
      set.delete(done);
      if (set.size === 0) waiters.delete(dataSourceId);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    set.add(done);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Wakes every poll waiting for the data source. */
export function wake(dataSourceId: string): void {
  for (const done of [...(waiters.get(dataSourceId) ?? [])]) done();
}
