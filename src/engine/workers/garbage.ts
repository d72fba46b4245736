import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Prompt collection of the small Buffers that node:crypto returns per `update()` call.
 * Each is a tiny JS object holding 64 KiB outside the V8 heap, so the young generation
 * fills only after gigabytes; meanwhile malloc arenas grew by ~50 MiB per thread
 * (measured, docs/decisions/0005-engine-measurements.md). A minor GC every 2 MiB of
 * processed data keeps that memory recycled: at 16 MiB each worker's malloc arena still
 * held ~15 MiB of dead cipher output at the peak and the kernel faulted pages in afresh
 * after every collection; at 2 MiB a 1 GiB backup peaks ~28 MiB lower and a restore ~31 MiB
 * lower, in the same time or less (docs/decisions/0018-engine-memory-floor.md).
 */
const interval = 2 * 1024 * 1024;
let processed = 0;
type Collect = (options?: { type: 'minor' | 'major' }) => void;
/**
 * V8's `gc`, from a context made on the first collection: the main thread loads this module
 * with the engine (it is a backup and a restore lane too), and a context costs ~3 ms and
 * ~1.2 MiB to every command, most of which never process a byte.
 */
let collect: Collect | undefined | null = null;

// The flag now, as this module loads, not at the first collection: V8 rejects code cached
// under other flags, and a worker that loaded its modules after another thread's first
// collection had changed them compiled them afresh — in about half the runs, whichever way
// the cache had last been written (docs/decisions/0025-malloc-arenas.md).
setFlagsFromString('--expose-gc');

/** Counts processed bytes and runs a minor GC every 2 MiB. */
export function noteProcessed(bytes: number): void {
  processed += bytes;
  if (processed < interval) return;
  processed = 0;
  if (collect === null) collect = runInNewContext('gc') as Collect | undefined;
  collect?.({ type: 'minor' });
}
