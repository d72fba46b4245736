// V8's compile cache for the `coffer` command, in plain JavaScript on purpose: the first
// TypeScript module a process imports starts Node's type stripper (~18 MiB of memory and
// 60–75 ms on the reference machine), so the cache must be on before any of them loads.
// Node stores the type-stripped source with the code cache, so a cached TypeScript module
// loads without the stripper (docs/decisions/0012-engine-start-and-restore.md).
import module from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * A per-user folder (never the shared temporary folder, where another user could plant
 * compiled code); Node's own switch `NODE_DISABLE_COMPILE_CACHE=1` turns the cache off.
 */
function compileCacheDirectory() {
  if (process.env.NODE_DISABLE_COMPILE_CACHE) return undefined;
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'coffer', 'compile-cache');
}

/**
 * Switches the cache on for this thread and names it in `NODE_COMPILE_CACHE`, the only way
 * a worker thread starts one: the engine's workers inherit the environment (a worker
 * loading from it saved ~0.2 s of CPU and ~19 MiB of memory). Failures are ignored: the
 * cache is an optimisation only (a read-only home folder).
 */
export function enableCompileCache() {
  const directory = compileCacheDirectory();
  if (!directory || typeof module.enableCompileCache !== 'function') return;
  try {
    const result = module.enableCompileCache(directory);
    if (result.status !== module.constants.compileCacheStatus.FAILED) process.env.NODE_COMPILE_CACHE = directory;
  } catch {
    // run without the cache
  }
}
