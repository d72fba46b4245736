import { BlobIndex, type Repository } from '../engine/index.ts';
import { missingBlobIds } from './http-blob-store.ts';
import type { ServerConnection } from './http-client.ts';

/**
 * Makes a repository opened over the agent protocol confirm its index with the server
 * before a backup deduplicates against it: after the engine has loaded the index files
 * (and adopted packs a previous, interrupted run left without one), every indexed blob is
 * sent to the missing-blobs call, and blobs the server no longer holds (collected by
 * retention meanwhile, or named by a stale index file) are dropped, so the backup uploads
 * them again instead of committing a snapshot the server would refuse.
 */
export function confirmIndexWithServer(
  repository: Repository,
  connection: ServerConnection,
  vaultId: string,
  onChecked?: (checked: number, missing: number) => void,
): void {
  const adopt = repository.adoptUnindexedPacks.bind(repository);
  repository.adoptUnindexedPacks = async () => {
    const result = await adopt();
    const ids: Uint8Array[] = [];
    for (const location of repository.index.entries()) ids.push(location.id);
    const missing = await missingBlobIds(connection, vaultId, ids);
    onChecked?.(ids.length, missing.size);
    if (missing.size > 0) {
      const confirmed = new BlobIndex();
      for (const location of repository.index.entries()) {
        if (!missing.has(Buffer.from(location.id).toString('hex'))) confirmed.add(location.packId, location);
      }
      repository.index = confirmed;
    }
    return result;
  };
}
