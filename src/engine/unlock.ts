import type { BlobStore } from '../storage/index.ts';
import { isBlobNotFound, RepositoryError, WrongPasswordError } from './errors.ts';
import { configKey, keysPrefix } from './format.ts';
import { decodeKeySlot, openKeySlot, type SlotSecret } from './key-slot.ts';
import { decodeConfig, type RepositoryConfig } from './repository-config.ts';

/** A repository's config and its master key, as a key slot gave it. */
export interface UnlockedRepository {
  readonly config: RepositoryConfig;
  readonly master: Uint8Array;
}

/** Reads the config (no key needed). */
export async function readRepositoryConfig(store: BlobStore): Promise<RepositoryConfig> {
  try {
    return decodeConfig(await store.get(configKey));
  } catch (error) {
    if (isBlobNotFound(error)) throw new RepositoryError('no repository there (config is missing)');
    throw error;
  }
}

/**
 * Takes the master key from the first key slot that `secret` opens; throws
 * `WrongPasswordError` when none does. A module of its own, light to load: the `coffer repo`
 * commands derive the key (argon2id, 64 MiB by default) before they load the rest of the
 * engine and read the index, so that those 64 MiB come on top of as little as possible
 * (docs/decisions/0022-main-thread-lane.md).
 */
export async function unlockRepository(store: BlobStore, secret: SlotSecret): Promise<UnlockedRepository> {
  const config = await readRepositoryConfig(store);
  for await (const info of store.list(keysPrefix)) {
    let slot: ReturnType<typeof decodeKeySlot>;
    try {
      slot = decodeKeySlot(await store.get(info.key));
    } catch {
      continue;
    }
    if (slot.repository !== config.id) continue;
    try {
      return { config, master: await openKeySlot(slot, secret) };
    } catch (error) {
      if (!(error instanceof WrongPasswordError)) throw error;
    }
  }
  throw new WrongPasswordError();
}
