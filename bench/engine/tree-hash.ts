import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readdirSync, readSync } from 'node:fs';
import { join } from 'node:path';

/** One entry of a hashed tree, keyed by its path relative to the root. */
export interface HashedEntry {
  readonly kind: 'file' | 'directory';
  readonly size: number;
  /** SHA-256 of the content (hex), empty for directories. */
  readonly sha256: string;
  /** Permission bits. */
  readonly mode: number;
  /** Modification time in whole seconds (tools restore it at differing precision). */
  readonly mtimeSeconds: number;
}

export interface HashedTree {
  readonly entries: Map<string, HashedEntry>;
  readonly files: number;
  readonly bytes: number;
  /** SHA-256 over every entry's path, kind, size and content hash, in path order. */
  readonly digest: string;
}

const READ_BUFFER = Buffer.allocUnsafe(4 << 20);

function hashFile(path: string): { sha256: string; size: number; mode: number; mtimeSeconds: number } {
  const fd = openSync(path, 'r');
  try {
    const stat = fstatSync(fd);
    const hash = createHash('sha256');
    let size = 0;
    for (;;) {
      const read = readSync(fd, READ_BUFFER, 0, READ_BUFFER.length, null);
      if (read === 0) break;
      hash.update(READ_BUFFER.subarray(0, read));
      size += read;
    }
    return {
      sha256: hash.digest('hex'),
      size,
      mode: stat.mode & 0o7777,
      mtimeSeconds: Math.floor(stat.mtimeMs / 1000),
    };
  } finally {
    closeSync(fd);
  }
}

/** Reads every file under `root` and hashes it. Symbolic links and other kinds are an error. */
export function hashTree(root: string): HashedTree {
  const entries = new Map<string, HashedEntry>();
  let files = 0;
  let bytes = 0;
  const visit = (relative: string): void => {
    const names = readdirSync(join(root, relative), { withFileTypes: true });
    names.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of names) {
      const path = relative === '' ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) {
        entries.set(path, { kind: 'directory', size: 0, sha256: '', mode: 0, mtimeSeconds: 0 });
        visit(path);
      } else if (entry.isFile()) {
        const hashed = hashFile(join(root, path));
        entries.set(path, { kind: 'file', ...hashed });
        files++;
        bytes += hashed.size;
      } else {
        throw new Error(`unexpected entry type at ${join(root, path)}`);
      }
    }
  };
  visit('');
  const digest = createHash('sha256');
  for (const [path, entry] of entries) digest.update(`${path}\0${entry.kind}\0${entry.size}\0${entry.sha256}\n`);
  return { entries, files, bytes, digest: digest.digest('hex') };
}

export interface TreeComparison {
  /** True when both trees hold the same paths with the same kinds and contents. */
  readonly identical: boolean;
  readonly missing: string[];
  readonly extra: string[];
  readonly contentDiffers: string[];
  /** Files whose permission bits or modification time (seconds) differ; reported, not fatal. */
  readonly metadataDiffers: string[];
}

/** Compares a restored tree against the expected one. */
export function compareTrees(expected: HashedTree, actual: HashedTree): TreeComparison {
  const missing: string[] = [];
  const extra: string[] = [];
  const contentDiffers: string[] = [];
  const metadataDiffers: string[] = [];
  for (const [path, want] of expected.entries) {
    const got = actual.entries.get(path);
    if (got === undefined) missing.push(path);
    else if (got.kind !== want.kind || got.size !== want.size || got.sha256 !== want.sha256) contentDiffers.push(path);
    else if (want.kind === 'file' && (got.mode !== want.mode || got.mtimeSeconds !== want.mtimeSeconds)) {
      metadataDiffers.push(path);
    }
  }
  for (const path of actual.entries.keys()) if (!expected.entries.has(path)) extra.push(path);
  const identical = missing.length === 0 && extra.length === 0 && contentDiffers.length === 0;
  return { identical, missing, extra, contentDiffers, metadataDiffers };
}
