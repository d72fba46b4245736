// glibc malloc settings for the `coffer repo` commands, in plain JavaScript because they must
// be decided before anything else loads (docs/decisions/0025-malloc-arenas.md). glibc reads
// its tunables once, when the process starts, so the only way to apply them is to start the
// command again with them in its environment: `process.execve` replaces this process (same
// PID, no parent left waiting, ~20 ms on the reference machine).
//
// `arena_max=2`: by default every thread that allocates gets a malloc arena of its own, up to
// eight per core, and keeps the memory freed in it for itself. A 1 GiB backup's process had
// ten: the main thread's, the engine's worker, two of V8's helper threads, its delayed-task
// thread and five of libuv's pool (which run `readdir`). With two it peaked ~5.5 MiB lower in
// the same time. glibc's other thresholds stay adaptive: fixed ones took a backup's peak
// 1.7 MiB lower but made a restore's main arena shrink and regrow (3× the `brk` calls,
// +0.18 s of system time) and peak at ~150 MiB in 2 runs of 14.

/** The tunables coffer sets, in `GLIBC_TUNABLES` syntax. */
export const mallocTunables = 'glibc.malloc.arena_max=2';

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
