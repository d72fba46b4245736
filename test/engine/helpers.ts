import { lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initRepository, type LockEnvironment, openRepository, type Repository } from '../../src/engine/index.ts';
import { FsBlobStore } from '../../src/storage/index.ts';

/** Small chunks and packs so tests exercise many blobs and packs with little data. */
export const testRepositoryOptions = {
  chunker: { minSize: 1024, avgSize: 4096, maxSize: 16384 },
  packSize: 64 * 1024,
  kdf: { algorithm: 'argon2id', memoryKiB: 64, iterations: 1, parallelism: 1 },
} as const;

export const password = { passphrase: 'correct horse' };

/** A fresh temporary directory; removed by `cleanup`. */
export function temporaryDirectory(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `coffer-${prefix}-`));
}

export function cleanup(...paths: string[]): void {
  for (const path of paths) rmSync(path, { recursive: true, force: true });
}

/** Creates a test repository (non-durable store for speed) and returns it opened. */
export async function createTestRepository(directory: string): Promise<Repository> {
  return initRepository(new FsBlobStore(directory, { durable: false }), password, testRepositoryOptions);
}

export async function reopen(directory: string): Promise<Repository> {
  return openRepository(new FsBlobStore(directory, { durable: false }), password);
}

/** Lock environment of this test process. */
export const testLocks: LockEnvironment = {
  hostname: 'test-host',
  pid: process.pid,
  now: () => Date.now(),
  isAlive: () => true,
};

/** A comparable description of a directory tree: content hashes, modes, mtimes, link targets, hard-link groups. */
export function describeTree(root: string): Record<string, string> {
  const result: Record<string, string> = {};
  const inodes = new Map<number, string>();
  const visit = (path: string, relative: string): void => {
    const stats = lstatSync(path);
    const mode = (stats.mode & 0o7777).toString(8);
    if (stats.isDirectory()) {
      result[relative || '/'] = `dir ${mode}`;
      for (const name of readdirSync(path).sort()) visit(join(path, name), `${relative}/${name}`);
    } else if (stats.isSymbolicLink()) {
      result[relative] = `link ${readlinkSync(path)}`;
    } else if (stats.isFile()) {
      const content = readFileSync(path);
      const link = stats.nlink > 1 ? (inodes.get(stats.ino) ?? relative) : '';
      if (stats.nlink > 1 && !inodes.has(stats.ino)) inodes.set(stats.ino, relative);
      result[relative] = `file ${mode} ${Math.floor(stats.mtimeMs)} ${content.toString('base64')} ${link}`;
    }
  };
  visit(root, '');
  return result;
}
