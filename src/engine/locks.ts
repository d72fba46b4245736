import { randomBytes } from 'node:crypto';
import type { BlobStore } from '../storage/index.ts';
import { RepositoryLockedError } from './errors.ts';
import { locksPrefix } from './format.ts';

/** A lock object (`locks/<id>`, JSON, docs/FORMAT.md §11). */
export interface LockRecord {
  readonly version: 1;
  readonly exclusive: boolean;
  readonly hostname: string;
  readonly pid: number;
  readonly operation: string;
  readonly createdAt: number;
  readonly refreshedAt: number;
}

/** Where the lock scheme asks about its environment; injectable for tests. */
export interface LockEnvironment {
  readonly hostname: string;
  readonly pid: number;
  now(): number;
  /** Whether a process of this host is alive. */
  isAlive(pid: number): boolean;
}

/** A lock that was not refreshed for this long is stale (its holder died on another host). */
export const lockStaleAfterMs = 30 * 60 * 1000;
/** Holders refresh their lock this often. */
export const lockRefreshMs = 5 * 60 * 1000;

function isStale(lock: LockRecord, environment: LockEnvironment): boolean {
  if (lock.hostname === environment.hostname && !environment.isAlive(lock.pid)) return true;
  return environment.now() - lock.refreshedAt > lockStaleAfterMs;
}

async function readLocks(store: BlobStore): Promise<{ key: string; lock: LockRecord | undefined }[]> {
  const found: { key: string; lock: LockRecord | undefined }[] = [];
  for await (const info of store.list(locksPrefix)) {
    try {
      const lock = JSON.parse(Buffer.from(await store.get(info.key)).toString('utf8')) as LockRecord;
      found.push({
        key: info.key,
        lock: typeof lock === 'object' && lock !== null && lock.version === 1 ? lock : undefined,
      });
    } catch {
      // Vanished between list and get (released) or unreadable: handled like no lock / stale.
      found.push({ key: info.key, lock: undefined });
    }
  }
  return found;
}

/** A held repository lock; `release()` removes it. */
export interface HeldLock {
  readonly key: string;
  release(): Promise<void>;
}

/**
 * Takes a shared (backup, check, restore) or exclusive (prune) lock. Write-then-list: each
 * contender writes its lock before listing the others, so of two racing contenders at least
 * one sees the other and backs off. Stale locks (dead local pid, or not refreshed for
 * `lockStaleAfterMs`) are removed. Throws `RepositoryLockedError` on a conflict.
 */
export async function acquireLock(
  store: BlobStore,
  operation: string,
  exclusive: boolean,
  environment: LockEnvironment,
): Promise<HeldLock> {
  const now = environment.now();
  const record: LockRecord = {
    version: 1,
    exclusive,
    hostname: environment.hostname,
    pid: environment.pid,
    operation,
    createdAt: now,
    refreshedAt: now,
  };
  const key = `${locksPrefix}${randomBytes(16).toString('hex')}`;
  const encode = (value: LockRecord): Uint8Array => Buffer.from(JSON.stringify(value), 'utf8');
  await store.put(key, encode(record));
  for (const other of await readLocks(store)) {
    if (other.key === key) continue;
    if (!other.lock || isStale(other.lock, environment)) {
      if (other.lock) await store.delete(other.key);
      continue;
    }
    if (exclusive || other.lock.exclusive) {
      await store.delete(key);
      throw new RepositoryLockedError(
        `repository is locked by ${other.lock.operation} (pid ${other.lock.pid} on ${other.lock.hostname}, ` +
          `${other.lock.exclusive ? 'exclusive' : 'shared'}) since ${new Date(other.lock.createdAt).toISOString()}`,
      );
    }
  }
  let current = record;
  const timer = setInterval(() => {
    current = { ...current, refreshedAt: environment.now() };
    store.put(key, encode(current)).catch(() => undefined);
  }, lockRefreshMs);
  timer.unref();
  return {
    key,
    async release() {
      clearInterval(timer);
      await store.delete(key);
    },
  };
}

/** Lock environment of this process. */
export function processLockEnvironment(hostname: string): LockEnvironment {
  return {
    hostname,
    pid: process.pid,
    now: () => Date.now(),
    isAlive(pid: number) {
      try {
        process.kill(pid, 0);
        return true;
      } catch (error) {
        return (error as NodeJS.ErrnoException).code === 'EPERM';
      }
    },
  };
}
