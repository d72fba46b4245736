// glibc malloc settings for the `coffer repo` commands, in plain JavaScript because they must
// be decided before anything else loads (docs/decisions/0025-malloc-arenas.md). glibc reads
// its tunables once, when the process starts, so the only way to apply them is to start the
// command again with them in its environment: `process.execve` replaces this process (same
// PID, no parent left waiting, ~20 ms on the reference machine).
//
// - `arena_max=2`: by default every thread that allocates gets a malloc arena of its own, up
//   to eight per core, and keeps the memory freed in it for itself. A 1 GiB backup's process
//   had ten: the main thread's, the engine's worker, two of V8's helper threads, its
//   delayed-task thread and five of libuv's pool (which run `readdir`). With two it peaked
//   ~5.5 MiB lower in the same time.
// - `mmap_threshold=131072`: blocks of 128 KiB or more are mapped for themselves and
//   returned when freed. glibc otherwise raises the threshold to the size of each large block
//   freed (up to 32 MiB), after which such blocks are carved from the arenas and their pages
//   stay. The hot path reuses its buffers (a 1 GiB backup maps ~120 blocks; zstd's context
//   for small blobs keeps one workspace, see `smallBlobWindowLog` in the engine's
//   compression.ts — before it was, 20 workspaces per lane were mapped afresh, +2.7 % time).
// - `trim_threshold=1048576`: setting the first turns off glibc's adjustment of this one too,
//   which would leave it at 128 KiB: the main arena then shrank and regrew all the time
//   (+0.14 s of system time per 1 GiB backup). At 1 MiB it costs nothing measurable.
// The last two took the peak a further 1.7 MiB lower, in a narrower band (7 pairs).

/** The tunables coffer sets, in `GLIBC_TUNABLES` syntax. */
export const mallocTunables = [
  'glibc.malloc.arena_max=2',
  'glibc.malloc.mmap_threshold=131072',
  'glibc.malloc.trim_threshold=1048576',
].join(':');

/**
 * The environment to restart `argv` (a `process.argv`) with, or undefined to run as is: only
 * the repository commands are restarted (their peak memory is a measured target; the
 * server's and the agent's commands pay no restart), only on Linux, and never when
 * `GLIBC_TUNABLES` already sets malloc's (after the restart, or the user's own choice).
 * Other tunables the user set are kept.
 */
export function mallocTunedEnvironment(argv, env, platform = process.platform) {
  if (platform !== 'linux') return undefined;
  const command = argv.slice(2).find((argument) => !argument.startsWith('-'));
  if (command !== 'repo') return undefined;
  const current = env.GLIBC_TUNABLES;
  if (current?.includes('glibc.malloc.')) return undefined;
  return { ...env, GLIBC_TUNABLES: current ? `${current}:${mallocTunables}` : mallocTunables };
}

/**
 * Restarts this process with the malloc tunables when `mallocTunedEnvironment` asks for them;
 * where the restart is impossible (no `process.execve`, or it fails) the command runs as is.
 */
export function restartWithMallocTunables(script) {
  if (typeof process.execve !== 'function') return;
  const env = mallocTunedEnvironment(process.argv, process.env);
  if (!env) return;
  try {
    process.execve(process.execPath, [process.execPath, ...process.execArgv, script, ...process.argv.slice(2)], env);
  } catch {
    // run with glibc's defaults
  }
}
