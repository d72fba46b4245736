import { loadOrCreateSecretKey } from '../identity/index.ts';
import type { Clock, Database, JobQueue, Logger } from '../platform/index.ts';
import type { BlobStore } from '../storage/index.ts';
import { createProtectionRuntime, type ProtectionLimits, type ProtectionRuntime } from './runtime.ts';

/** What the server hands the data path (a structural subset of its context). */
export interface ProtectionServer {
  readonly config: { readonly dataDir: string; readonly publicUrl?: string | null };
  readonly database: Database;
  readonly clock: Clock;
  readonly log: Logger;
  readonly queue: JobQueue;
  tlsCertificate?(): { readonly fingerprint256: string } | undefined;
}

/** Test and tuning options. */
export interface ProtectionOptions {
  readonly limits?: Partial<ProtectionLimits>;
  /** Wraps every zone store (tests inject faults such as a full disk). */
  readonly wrapStore?: (zoneId: string, store: BlobStore) => BlobStore;
  /** Filesystem zones skip fsync (tests only). */
  readonly fastFilesystem?: boolean;
  /** The agent-facing HTTPS address; overrides the server's `publicUrl` setting (tests). */
  readonly publicUrl?: string | null;
}

let processDefaults: ProtectionOptions = {};

/**
 * Sets the options every runtime of this process starts from (tests use it to shorten
 * grace periods or inject storage faults into a server built by `buildServer`).
 */
export function configureProtection(options: ProtectionOptions): void {
  processDefaults = options;
}

/** Builds the data path's runtime from the server's context. */
export function runtimeFor(server: ProtectionServer, explicit: ProtectionOptions = {}): ProtectionRuntime {
  const options: ProtectionOptions = {
    ...processDefaults,
    ...explicit,
    limits: { ...processDefaults.limits, ...explicit.limits },
  };
  let secret: Uint8Array | undefined;
  return createProtectionRuntime({
    database: server.database,
    clock: server.clock,
    log: server.log,
    queue: server.queue,
    dataDir: server.config.dataDir,
    secretKey: () => {
      secret ??= loadOrCreateSecretKey(server.config.dataDir);
      return secret;
    },
    tlsFingerprint: () => server.tlsCertificate?.()?.fingerprint256,
    ...(options.limits ? { limits: options.limits } : {}),
    ...(options.wrapStore ? { wrapStore: options.wrapStore } : {}),
    ...(options.fastFilesystem ? { fastFilesystem: true } : {}),
    publicUrl: options.publicUrl !== undefined ? options.publicUrl : (server.config.publicUrl ?? null),
  });
}
