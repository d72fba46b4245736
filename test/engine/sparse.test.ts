import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, ftruncateSync, mkdtempSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanup, temporaryDirectory } from './helpers.ts';

const script = join(import.meta.dirname, 'fixtures', 'backup-rss.ts');

function sparseFile(path: string, size: number): void {
  const fd = openSync(path, 'w');
  ftruncateSync(fd, size);
  writeSync(fd, Buffer.alloc(1 << 20, 7), 0, 1 << 20, 0);
  writeSync(fd, Buffer.alloc(1 << 20, 9), 0, 1 << 20, size - (1 << 20));
  closeSync(fd);
}

function backupInChild(
  repository: string,
  path: string,
): { maxRssBytes: number; summary: { bytesRead: number; storedBytesAdded: number } } {
  const output = execFileSync(process.execPath, [script, repository, path], { encoding: 'utf8', maxBuffer: 1 << 20 });
  return JSON.parse(output.trim().split('\n').pop()!);
}

/**
 * The sparse files live on tmpfs when there is one: there a hole reads as the shared zero
 * page, while ext4 fills fresh page-cache pages with zeros (slow on these machines; that
 * would measure the kernel, not the engine).
 */
function sparseDirectory(): string {
  return existsSync('/dev/shm') ? mkdtempSync('/dev/shm/coffer-sparse-') : temporaryDirectory('sparse-data');
}

describe('bounded memory', () => {
  const base = temporaryDirectory('sparse');
  const data = sparseDirectory();
  afterAll(() => cleanup(base, data));

  it('backs up a 4 GiB sparse file with peak RSS independent of the file size', () => {
    sparseFile(join(data, 'small.img'), 64 << 20);
    sparseFile(join(data, 'big.img'), 4 * 1024 ** 3);
    const small = backupInChild(join(base, 'repo-small'), join(data, 'small.img'));
    const big = backupInChild(join(base, 'repo-big'), join(data, 'big.img'));
    process.stdout.write(
      `peak RSS: 64 MiB file ${small.maxRssBytes >> 20} MiB, 4 GiB file ${big.maxRssBytes >> 20} MiB\n`,
    );
    expect(big.summary.bytesRead).toBe(4 * 1024 ** 3);
    // Only the two data regions take space; the zero runs are sparse extents.
    expect(big.summary.storedBytesAdded).toBeLessThan(3 << 20);
    // The bound of docs/FORMAT.md §14; and no growth with a 64× larger file.
    expect(big.maxRssBytes).toBeLessThan(400 << 20);
    expect(big.maxRssBytes).toBeLessThan(small.maxRssBytes + (48 << 20));
  }, 90_000);
});
