import { setFlagsFromString } from 'node:v8';

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
 * their peak memory is a measured target.
 */
export function tuneGcForStreaming(): void {
  setFlagsFromString('--external-memory-accounted-in-global-limit');
}
