import { closeSync, fstatSync, mkdirSync, openSync, readdirSync, readSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** A regular file of a tree, by path relative to the tree's root (with `/` separators). */
export interface TreeFile {
  readonly path: string;
  readonly size: number;
}

/**
 * Lists the regular files under `root`, sorted by path, so that choices made from the list
 * with a seeded stream are the same on every run.
 */
export function listFiles(root: string): TreeFile[] {
  const files: TreeFile[] = [];
  const visit = (relative: string): void => {
    const entries = readdirSync(join(root, relative), { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const path = relative === '' ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) visit(path);
      else if (entry.isFile()) files.push({ path, size: fileSize(join(root, path)) });
    }
  };
  visit('');
  return files;
}

export function fileSize(path: string): number {
  const fd = openSync(path, 'r');
  try {
    return fstatSync(fd).size;
  } finally {
    closeSync(fd);
  }
}

/** Creates (or truncates) `path`, creating its parent folders unless told they exist, and writes `data`. */
export function writeWholeFile(path: string, data: Uint8Array, parentExists = false): void {
  if (!parentExists) mkdirSync(dirname(path), { recursive: true });
  const fd = openSync(path, 'w');
  try {
    writeFully(fd, data, null);
  } finally {
    closeSync(fd);
  }
}

/** Writes all of `data` at `position` (or at the current offset when null). */
export function writeFully(fd: number, data: Uint8Array, position: number | null): void {
  let done = 0;
  while (done < data.length) {
    done += writeSync(fd, data, done, data.length - done, position === null ? null : position + done);
  }
}

/** Reads exactly `length` bytes at `position` into the start of `buffer`. */
export function readFully(fd: number, buffer: Uint8Array, length: number, position: number): void {
  let done = 0;
  while (done < length) {
    const read = readSync(fd, buffer, done, length - done, position + done);
    if (read === 0) throw new Error(`unexpected end of file at ${position + done}`);
    done += read;
  }
}

const SHIFT_BUFFER = Buffer.allocUnsafe(4 << 20);

/**
 * Inserts `data` at `offset` of the open file of `size` bytes, in place: the tail is moved
 * back piece by piece from the end, so memory stays bounded whatever the file's size and
 * the inode stays the same, as when a database or a disk image is edited.
 */
export function insertIntoFile(fd: number, size: number, offset: number, data: Uint8Array): void {
  let end = size;
  while (end > offset) {
    const start = Math.max(offset, end - SHIFT_BUFFER.length);
    readFully(fd, SHIFT_BUFFER, end - start, start);
    writeFully(fd, SHIFT_BUFFER.subarray(0, end - start), start + data.length);
    end = start;
  }
  writeFully(fd, data, offset);
}
