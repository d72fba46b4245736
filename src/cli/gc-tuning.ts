import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';

/**
 * Garbage-collector setting for the processes that stream packs over HTTPS (the server and
 * the agent daemon). Every TLS record read arrives in a fresh 16 KiB buffer, and every
 * sealed chunk leaves the engine's worker in a fresh buffer; V8 counts those bytes as
 * external memory and, by default, starts a full mark-compact of the whole heap each time
 * 64 MiB of them have been allocated — about every 200 ms on a busy upload, each marking a
 * heap of tens of MB. Counting external memory inside the heap's global growth limit
 * instead collects them with the rest of the heap: a quarter of the full collections, ~25 %
 * less server CPU per byte (docs/decisions/0014), at the price of holding some more dead
 * buffers between collections (tens of MiB). The `coffer repo` commands keep the default:
 * their peak memory is a measured target (they get `boundHeapGrowth` instead).
 */
export function tuneGcForStreaming(): void {
  setFlagsFromString('--external-memory-accounted-in-global-limit');
}

/** Both semi-spaces of the young generation together, past which it stops growing. */
const youngGenerationLimit = 8 * 1024 * 1024;
/** How far the old generation may grow past what the last full collection kept, in percent. */
const oldGenerationGrowth = 50;

function youngGenerationBytes(): number {
  for (const space of getHeapSpaceStatistics()) if (space.space_name === 'new_space') return space.space_size;
  return 0;
}

/**
 * Keeps the main thread's heap from growing with the work done, for the `coffer repo`
 * commands (docs/decisions/0020-main-thread-heap-growth.md):
 * - The young generation stops growing once it holds `youngGenerationLimit` bytes (both
 *   semi-spaces). V8 doubles it each time as many bytes have survived scavenges as it holds,
 *   so a process that keeps a steady stream of objects in flight — a backup's queued files
 *   and their promises, ~1.5 MiB at any time — grows it to its maximum, 128 MiB on a machine
 *   with 16 GiB or more: 32–43 MiB after a 1 GiB backup, 53 MiB after 3.3 GiB. V8 reads its
 *   growth factor each time it grows the space, so setting the factor to 1 once the space is
 *   large enough holds it there (the size is checked after each collection).
 *   `--max-semi-space-size` would do the same, but only on the command line.
 * - The old generation, which now receives more of those objects, is collected once it has
 *   grown by half past what the last full collection kept, instead of V8's up to fourfold
 *   for a small heap (a 1 GiB backup's old space reached 22–32 MiB with 12 MiB live).
 * Together: a 1 GiB backup's main heap peaks at 28–29 MiB instead of 45–64 MiB and the
 * process ~25 MiB lower, in the same wall time (+2–3 % CPU; +6 % for 3.3 GiB). Both flags are
 * process-wide, so the worker threads get them too.
 */
export function boundHeapGrowth(): void {
  setFlagsFromString(`--heap-growing-percent=${oldGenerationGrowth}`);
  const stopGrowth = (): boolean => {
    if (youngGenerationBytes() < youngGenerationLimit) return false;
    setFlagsFromString('--semi-space-growth-factor=1');
    return true;
  };
  if (stopGrowth()) return;
  // The global, not an import of node:perf_hooks: this module loads with every command,
  // and only the repository commands come here.
  const observer = new PerformanceObserver(() => {
    if (stopGrowth()) observer.disconnect();
  });
  observer.observe({ entryTypes: ['gc'] });
}

/**
 * V8's memory-over-speed mode for the `coffer repo` commands
 * (docs/decisions/0025-malloc-arenas.md): `--optimize-for-size`, set before the engine loads
 * so that every thread compiles under the same flags (V8 rejects code cached under others).
 * Read at each collection, it makes V8 size and shrink the heaps as when memory is tight:
 * a 1 GiB backup's V8 pages went from 29–32 to 20–25 MiB and its peak below the KDF's moment
 * (~123 MiB), ~1 % slower; a folder of 100,000 files 287.6 → 280.3 MiB, 5 % slower.
 */
export function favourMemoryOverSpeed(): void {
  setFlagsFromString('--optimize-for-size');
}

/**
 * Optimizes hot JavaScript with Maglev only, not TurboFan, for the `coffer repo` commands
 * (docs/decisions/0022-main-thread-lane.md). Their hot work is native (zstd, AES-GCM,
 * SHA-256) or WebAssembly (the chunker); what TurboFan added was its compile jobs' zones,
 * kept by the malloc arenas of V8's background threads: without it a 1 GiB backup peaks
 * ~5 MiB lower and a restore ~3 MiB lower, in the same time, and a no-change backup spends
 * less CPU (the compile work of a short run). Process-wide, read at each tier-up decision,
 * so it holds for the worker threads too and may be set after start-up.
 */
export function optimizeWithMaglevOnly(): void {
  setFlagsFromString('--no-turbofan');
}

/**
 * Worker threads started afterwards call V8's builtins where the executable maps them, for
 * the `coffer repo` commands (docs/decisions/0023-smaller-chunks-and-shared-builtins.md). By
 * default V8 maps the builtins a second time next to an isolate's code when that lands far
 * from the executable (for most isolates; the placement is random), so that compiled
 * JavaScript reaches them with short calls; the pages are the executable's own, but each such
 * mapping counts them again in the process's resident memory (~1.9 MiB per worker).
 * A worker's JavaScript only drives native work (zstd, AES-GCM, SHA-256, the WebAssembly
 * chunker), so the longer calls cost nothing measurable: a 1 GiB backup (one worker) peaks
 * ~1.8 MiB lower in the same time. Read when an isolate starts: the main thread keeps its own
 * mapping, workers started after the call get none.
 */
export function shareBuiltinsWithWorkers(): void {
  setFlagsFromString('--no-short-builtin-calls');
}
