import { createHash } from 'node:crypto';
import {
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';

/** Deterministic pseudo-random bytes (xorshift), so test data is reproducible and incompressible. */
export function pseudoRandomBytes(seed: number, length: number): Buffer {
  const out = Buffer.alloc(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/**
 * Writes a small tree under `root`: nested folders, random files of the given sizes, a
 * text file, a symlink, and fixed modes and times (so restores can be compared exactly).
 */
export function writeTree(root: string, options: { seed?: number; files?: number; size?: number } = {}): void {
  const seed = options.seed ?? 1;
  const count = options.files ?? 6;
  const size = options.size ?? 200_000;
  mkdirSync(join(root, 'docs', 'deep'), { recursive: true });
  mkdirSync(join(root, 'media'), { recursive: true });
  for (let i = 0; i < count; i++) {
    const folder = i % 3 === 0 ? 'docs' : i % 3 === 1 ? 'media' : join('docs', 'deep');
    const path = join(root, folder, `file-${i}.bin`);
    writeFileSync(path, pseudoRandomBytes(seed * 1000 + i, size + i * 1013), { mode: 0o640 });
    utimesSync(path, 1_700_000_000 + i, 1_700_000_000 + i);
  }
  writeFileSync(join(root, 'docs', 'readme.txt'), 'Coffer test data\n'.repeat(200), { mode: 0o600 });
  symlinkSync('docs/readme.txt', join(root, 'link-to-readme'));
  utimesSync(join(root, 'docs', 'readme.txt'), 1_690_000_000, 1_690_000_000);
}

/** A comparable description of a tree: per entry its kind, mode, mtime (s) and content hash or link target. */
export function describeTree(root: string): Record<string, string> {
  const entries: Record<string, string> = {};
  const visit = (path: string) => {
    for (const name of readdirSync(path).sort()) {
      const full = join(path, name);
      const stats = lstatSync(full);
      const key = relative(root, full);
      if (stats.isSymbolicLink()) entries[key] = `link ${readlinkSync(full)}`;
      else if (stats.isDirectory()) {
        entries[key] = `dir ${(stats.mode & 0o7777).toString(8)}`;
        visit(full);
      } else {
        const hash = createHash('sha256').update(readFileSync(full)).digest('hex').slice(0, 16);
        entries[key] = `file ${(stats.mode & 0o7777).toString(8)} ${Math.floor(stats.mtimeMs / 1000)} ${hash}`;
      }
    }
  };
  visit(root);
  return entries;
}
