import { NotFoundInRepositoryError } from './errors.ts';
import type { Repository, SnapshotInfo } from './repository.ts';
import type { TreeEntry } from './tree.ts';

/** A snapshot entry with its absolute path inside the snapshot. */
export interface ListedEntry {
  readonly path: string;
  readonly entry: TreeEntry;
}

/**
 * Entries of a snapshot below `path` (default: everything), depth first. When `path`
 * names a file, only that file is listed. Throws `NotFoundInRepositoryError` for a path
 * the snapshot does not hold.
 */
export async function* listSnapshot(
  repository: Repository,
  snapshot: SnapshotInfo,
  path = '/',
): AsyncIterable<ListedEntry> {
  const parts = path.split('/').filter(Boolean);
  let tree = Buffer.from(snapshot.meta.tree, 'hex') as Uint8Array;
  let prefix = '';
  for (const [i, part] of parts.entries()) {
    const entry = (await repository.readTree(tree)).find((candidate) => candidate.name === part);
    if (!entry) throw new NotFoundInRepositoryError(`${path} is not in snapshot ${snapshot.id.slice(0, 8)}`);
    prefix += `/${part}`;
    if (entry.kind !== 'dir') {
      if (i !== parts.length - 1)
        throw new NotFoundInRepositoryError(`${path} is not in snapshot ${snapshot.id.slice(0, 8)}`);
      yield { path: prefix, entry };
      return;
    }
    tree = entry.subtree!;
  }
  yield* walk(repository, tree, prefix);
}

async function* walk(repository: Repository, tree: Uint8Array, prefix: string): AsyncIterable<ListedEntry> {
  for (const entry of await repository.readTree(tree)) {
    const path = `${prefix}/${entry.name}`;
    yield { path, entry };
    if (entry.kind === 'dir' && entry.subtree) yield* walk(repository, entry.subtree, path);
  }
}
