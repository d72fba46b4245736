import type { Database } from '../platform/index.ts';
import { effectiveSetting } from '../tenancy/index.ts';

/** Soft threshold and hard limit of stored bytes (the tenancy setting `quota.storage`). */
export interface StorageLimits {
  readonly softBytes: number;
  readonly hardBytes: number;
}

/** The effective (inherited) `quota.storage` of a unit; null when no quota applies. */
export async function storageQuotaAt(database: Database, buId: string): Promise<StorageLimits | null> {
  const setting = await effectiveSetting(database, buId, 'quota.storage');
  return setting.value ?? null;
}
