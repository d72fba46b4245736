import type { Clock, Database, JobQueue, Logger } from '../platform/index.ts';
import type { BlobStore } from '../storage/index.ts';
import { storageProblemRecorder } from './storage-problems.ts';
import { createZoneRegistry, type ZoneRegistry } from './zones.ts';

/** Timing and size rules of the data path. */
export interface ProtectionLimits {
  /** An upload or restore session's lease; every request of the session renews it. */
  readonly sessionLeaseMs: number;
  /** Unreferenced packs younger than this are left alone; condemned packs wait this long. */
  readonly pruneGraceMs: number;
  /** A running job whose agent was silent this long is failed (or retried). */
  readonly jobHeartbeatTimeoutMs: number;
  /** Largest pack (and so request body) accepted. */
  readonly maxPackBytes: number;
  /** A job interrupted by its agent's restart runs again at most this many times. */
  readonly maxJobAttempts: number;
  /** Repack a pack when at least this fraction of its bytes is unreferenced. */
  readonly repackThreshold: number;
  /** Nightly verification reads 1/n of a vault's pack bytes (checked longest ago first): every pack is re-read within n nights... */
  readonly verifyEveryDays: number;
  /** ...but at least this many bytes a night (small vaults are read whole). */
  readonly verifyMinBytes: number;
}

export const defaultLimits: ProtectionLimits = Object.freeze({
  sessionLeaseMs: 10 * 60_000,
  pruneGraceMs: 60 * 60_000,
  jobHeartbeatTimeoutMs: 5 * 60_000,
  maxPackBytes: 64 * 1024 * 1024,
  maxJobAttempts: 3,
  repackThreshold: 0.2,
  verifyEveryDays: 30,
  verifyMinBytes: 256 * 1024 * 1024,
});

/** Long-lived dependencies of the data path, shared by its routes and background jobs. */
export interface ProtectionRuntime {
  readonly database: Database;
  readonly clock: Clock;
  readonly log: Logger;
  readonly zones: ZoneRegistry;
  readonly limits: ProtectionLimits;
  /** The server's durable job queue (maintenance runs as background jobs). */
  readonly queue: JobQueue;
  /** SHA-256 fingerprint of the certificate the server presents (undefined: HTTPS off). */
  tlsFingerprint(): string | undefined;
  /** The HTTPS address agents reach the server at (`COFFER_PUBLIC_URL`); null when not configured. */
  readonly publicUrl: string | null;
}

export interface ProtectionRuntimeOptions {
  readonly database: Database;
  readonly clock: Clock;
  readonly log: Logger;
  readonly queue: JobQueue;
  readonly dataDir: string;
  readonly secretKey: () => Uint8Array;
  readonly tlsFingerprint?: () => string | undefined;
  readonly limits?: Partial<ProtectionLimits>;
  readonly wrapStore?: (zoneId: string, store: BlobStore) => BlobStore;
  readonly fastFilesystem?: boolean;
  readonly publicUrl?: string | null;
}

export function createProtectionRuntime(options: ProtectionRuntimeOptions): ProtectionRuntime {
  const recordProblems = storageProblemRecorder(options);
  const wrap = options.wrapStore;
  return Object.freeze({
    database: options.database,
    clock: options.clock,
    log: options.log,
    zones: createZoneRegistry({
      database: options.database,
      dataDir: options.dataDir,
      secretKey: options.secretKey,
      // Problems are recorded on what the store really did, after any injected fault.
      wrapStore: wrap ? (zoneId, store) => recordProblems(zoneId, wrap(zoneId, store)) : recordProblems,
      ...(options.fastFilesystem ? { fastFilesystem: true } : {}),
    }),
    limits: { ...defaultLimits, ...options.limits },
    queue: options.queue,
    tlsFingerprint: options.tlsFingerprint ?? (() => undefined),
    publicUrl: options.publicUrl ?? null,
  });
}
