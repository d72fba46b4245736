import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Prompt collection of the small Buffers that node:crypto returns per `update()` call.
 * Each is a tiny JS object holding 64 KiB outside the V8 heap, so the young generation
 * fills only after gigabytes; meanwhile malloc arenas grew by ~50 MiB per thread
 * (measured, docs/decisions/0005-engine-measurements.md). A minor GC every 16 MiB of
 * processed data costs well under 1 % and keeps that memory recycled.
 */
setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as ((options?: { type: 'minor' | 'major' }) => void) | undefined;
const interval = 16 * 1024 * 1024;
let processed = 0;

/** Counts processed bytes and runs a minor GC every 16 MiB. */
export function noteProcessed(bytes: number): void {
  processed += bytes;
  if (processed < interval) return;
  processed = 0;
  collect?.({ type: 'minor' });
}
