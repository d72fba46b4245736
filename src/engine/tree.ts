import { ByteCopies, ByteReader, ByteWriter } from './bytes.ts';
import { CorruptDataError } from './errors.ts';

/** Kinds of tree entries (docs/FORMAT.md §9). */
export type EntryKind = 'file' | 'dir' | 'symlink' | 'fifo' | 'chardev' | 'blockdev' | 'socket';
const kindCodes: Record<EntryKind, number> = {
  file: 1,
  dir: 2,
  symlink: 3,
  fifo: 4,
  chardev: 5,
  blockdev: 6,
  socket: 7,
};
const kindsByCode: (EntryKind | undefined)[] = [
  undefined,
  'file',
  'dir',
  'symlink',
  'fifo',
  'chardev',
  'blockdev',
  'socket',
];

/** A piece of file content: a blob, or a run of zero bytes stored as nothing (sparse). */
export type Extent = { readonly blob: Uint8Array; readonly length: number } | { readonly zeros: number };

/** One directory entry; every field is always present so encoding is canonical. */
export interface TreeEntry {
  readonly name: string;
  readonly kind: EntryKind;
  /** Permission and special bits (mode & 0o7777). */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly user: string;
  readonly group: string;
  /** Nanoseconds since the epoch. */
  readonly mtimeNs: bigint;
  readonly ctimeNs: bigint;
  readonly device: number;
  readonly inode: number;
  readonly links: number;
  readonly size: number;
  /** Files: content in order. */
  readonly extents: readonly Extent[];
  /** Directories: ID of the subtree blob. */
  readonly subtree: Uint8Array | undefined;
  /** Symlinks: target bytes. */
  readonly target: string;
  /** Device nodes: st_rdev. */
  readonly rdev: number;
  /** Extended attributes (name → value); empty where the platform offers none. */
  readonly xattrs: readonly { readonly name: string; readonly value: Uint8Array }[];
}

const treeMagic = 0x52544643; // "CFTR"
const treeVersion = 1;
const maxName = 4096;
const maxEntries = 1 << 24;

/**
 * Encodes a directory (entries sorted by name, names unique) as a tree blob's plaintext:
 * "CFTR" | version u8 = 1 | entry count varint | entries (docs/FORMAT.md §9).
 */
export function encodeTree(entries: readonly TreeEntry[]): Uint8Array {
  const writer = new ByteWriter(256 + entries.length * 96);
  writer.u32(treeMagic).u8(treeVersion).varint(entries.length);
  let previous: string | undefined;
  for (const entry of entries) {
    if (previous !== undefined && !(previous < entry.name))
      throw new RangeError(`tree entries not sorted/unique at ${entry.name}`);
    previous = entry.name;
    writer.u8(kindCodes[entry.kind]).string(entry.name);
    writer.varint(entry.mode).varint(entry.uid).varint(entry.gid).string(entry.user).string(entry.group);
    writer.i64(entry.mtimeNs).i64(entry.ctimeNs);
    writer.varint(entry.device).varint(entry.inode).varint(entry.links).varint(entry.size);
    switch (entry.kind) {
      case 'file':
        writer.varint(entry.extents.length);
        for (const extent of entry.extents) {
          if ('blob' in extent) writer.u8(0).bytes(extent.blob).varint(extent.length);
          else writer.u8(1).varint(extent.zeros);
        }
        break;
      case 'dir':
        if (!entry.subtree) throw new RangeError(`directory ${entry.name} lacks its subtree`);
        writer.bytes(entry.subtree);
        break;
      case 'symlink':
        writer.string(entry.target);
        break;
      case 'chardev':
      case 'blockdev':
        writer.varint(entry.rdev);
        break;
      case 'fifo':
      case 'socket':
        break;
    }
    writer.varint(entry.xattrs.length);
    for (const xattr of entry.xattrs) writer.string(xattr.name).lengthPrefixed(xattr.value);
  }
  return writer.view().slice();
}

/** Decodes a tree blob's plaintext; throws `CorruptDataError` on anything malformed. */
export function decodeTree(bytes: Uint8Array): TreeEntry[] {
  const reader = new ByteReader(bytes, 'tree');
  if (reader.u32() !== treeMagic) throw new CorruptDataError('not a tree (bad magic)');
  const version = reader.u8();
  if (version !== treeVersion) throw new CorruptDataError(`unsupported tree version ${version}`);
  const count = reader.varint();
  if (count > maxEntries || count > reader.remaining) throw new CorruptDataError('tree entry count is implausible');
  const entries: TreeEntry[] = [];
  // Copies, not views of `bytes`: the entries outlive it (a parent tree is kept while its folder is walked).
  const ids = new ByteCopies();
  let previous: string | undefined;
  for (let i = 0; i < count; i++) {
    const kind = kindsByCode[reader.u8()];
    if (!kind) throw new CorruptDataError('tree entry has an unknown kind');
    const name = reader.string(maxName);
    if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) {
      throw new CorruptDataError('tree entry has an invalid name');
    }
    if (previous !== undefined && !(previous < name)) throw new CorruptDataError('tree entries are not sorted');
    previous = name;
    const mode = reader.varint();
    const uid = reader.varint();
    const gid = reader.varint();
    const user = reader.string(256);
    const group = reader.string(256);
    const mtimeNs = reader.i64();
    const ctimeNs = reader.i64();
    const device = reader.varint();
    const inode = reader.varint();
    const links = reader.varint();
    const size = reader.varint();
    const extents: Extent[] = [];
    let subtree: Uint8Array | undefined;
    let target = '';
    let rdev = 0;
    switch (kind) {
      case 'file': {
        const extentCount = reader.varint();
        if (extentCount > reader.remaining) throw new CorruptDataError('tree extent count is implausible');
        let total = 0;
        for (let e = 0; e < extentCount; e++) {
          const tag = reader.u8();
          if (tag === 0) {
            const blob = ids.copy(reader.bytes(32));
            const length = reader.varint();
            extents.push({ blob, length });
            total += length;
          } else if (tag === 1) {
            const zeros = reader.varint();
            extents.push({ zeros });
            total += zeros;
          } else {
            throw new CorruptDataError('tree extent has an unknown tag');
          }
        }
        if (total !== size) throw new CorruptDataError(`tree entry ${name}: extents do not add up to the size`);
        break;
      }
      case 'dir':
        subtree = ids.copy(reader.bytes(32));
        break;
      case 'symlink':
        target = reader.string(maxName);
        break;
      case 'chardev':
      case 'blockdev':
        rdev = reader.varint();
        break;
      case 'fifo':
      case 'socket':
        break;
    }
    const xattrCount = reader.varint();
    if (xattrCount > reader.remaining) throw new CorruptDataError('tree xattr count is implausible');
    const xattrs: { name: string; value: Uint8Array }[] = [];
    for (let x = 0; x < xattrCount; x++)
      xattrs.push({ name: reader.string(256), value: reader.lengthPrefixed(1 << 16).slice() });
    entries.push({
      name,
      kind,
      mode,
      uid,
      gid,
      user,
      group,
      mtimeNs,
      ctimeNs,
      device,
      inode,
      links,
      size,
      extents,
      subtree,
      target,
      rdev,
      xattrs,
    });
  }
  reader.end();
  return entries;
}
