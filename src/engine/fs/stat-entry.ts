import type { BigIntStats } from 'node:fs';
import type { EntryKind, Extent, TreeEntry } from '../tree.ts';
import type { UserNames } from './user-names.ts';

/** The kind of a stat result, or undefined for kinds a tree cannot hold. */
export function entryKind(stats: BigIntStats): EntryKind | undefined {
  if (stats.isFile()) return 'file';
  if (stats.isDirectory()) return 'dir';
  if (stats.isSymbolicLink()) return 'symlink';
  if (stats.isFIFO()) return 'fifo';
  if (stats.isCharacterDevice()) return 'chardev';
  if (stats.isBlockDevice()) return 'blockdev';
  if (stats.isSocket()) return 'socket';
  return undefined;
}

/** A tree entry from `lstat` results plus the kind-specific parts. */
export function entryFromStats(
  name: string,
  kind: EntryKind,
  stats: BigIntStats,
  names: UserNames,
  parts: { extents?: readonly Extent[]; subtree?: Uint8Array; target?: string; size?: number },
): TreeEntry {
  const uid = Number(stats.uid);
  const gid = Number(stats.gid);
  return {
    name,
    kind,
    mode: Number(stats.mode) & 0o7777,
    uid,
    gid,
    user: names.user(uid),
    group: names.group(gid),
    mtimeNs: stats.mtimeNs,
    ctimeNs: stats.ctimeNs,
    device: Number(stats.dev),
    inode: Number(stats.ino),
    links: Number(stats.nlink),
    size: kind === 'file' ? (parts.size ?? Number(stats.size)) : 0,
    extents: parts.extents ?? [],
    subtree: parts.subtree,
    target: parts.target ?? '',
    rdev: kind === 'chardev' || kind === 'blockdev' ? Number(stats.rdev) : 0,
    xattrs: [],
  };
}

/** True when a file is unchanged since `previous` by size, mtime, ctime and inode. */
export function unchangedSince(previous: TreeEntry | undefined, stats: BigIntStats): previous is TreeEntry {
  return (
    previous !== undefined &&
    previous.kind === 'file' &&
    previous.size === Number(stats.size) &&
    previous.mtimeNs === stats.mtimeNs &&
    previous.ctimeNs === stats.ctimeNs &&
    previous.inode === Number(stats.ino)
  );
}
