import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

// Counts the reads the read-ahead starts and how many overlap, around node:fs's own `read`.
const reads = vi.hoisted(() => ({
  started: [] as string[],
  inFlight: 0,
  maxInFlight: 0,
  fds: new Map<number, string>(),
}));
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  return {
    ...fs,
    openSync: (path: string, flags: string) => {
      const fd = fs.openSync(path, flags);
      reads.fds.set(fd, path);
      return fd;
    },
    read: (fd: number, buffer: Buffer, offset: number, length: number, position: number, done: () => void) => {
      reads.started.push(reads.fds.get(fd)!);
      reads.inFlight += 1;
      reads.maxInFlight = Math.max(reads.maxInFlight, reads.inFlight);
      fs.read(fd, buffer, offset, length, position, () => {
        reads.inFlight -= 1;
        done();
      });
    },
  };
});

const { ReadAhead, maxWaiting, readAheadLimit, readsInFlight } = await import('./read-ahead.ts');

describe('ReadAhead', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'coffer-read-ahead-'));
    reads.started.length = 0;
    reads.maxInFlight = 0;
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads queued small files in order, at most readsInFlight at once', async () => {
    const paths = Array.from({ length: 3 * readsInFlight }, (_, i) => join(dir, `f${i}`));
    for (const path of paths) writeFileSync(path, `content of ${path}`);
    const readAhead = new ReadAhead();
    for (const path of paths) readAhead.add(path, 100);
    await Promise.all([readAhead.settled(), readAhead.settled()]);
    expect(reads.started).toEqual(paths);
    expect(reads.maxInFlight).toBe(readsInFlight);
    expect(reads.inFlight).toBe(0);
  });

  it('skips empty and large files, and files that are gone, without an error', async () => {
    const small = join(dir, 'small');
    writeFileSync(small, 'x');
    const readAhead = new ReadAhead();
    readAhead.add(join(dir, 'empty'), 0);
    readAhead.add(join(dir, 'large'), readAheadLimit + 1);
    readAhead.add(join(dir, 'missing'), 10);
    readAhead.add(small, 1);
    await readAhead.settled();
    expect(reads.started).toEqual([small]);
  });

  it('keeps at most maxWaiting paths when the reads fall behind, dropping the oldest', async () => {
    const paths = Array.from({ length: readsInFlight + 3 * maxWaiting }, (_, i) => join(dir, `f${i}`));
    for (const path of paths) writeFileSync(path, 'x');
    const readAhead = new ReadAhead();
    let mostWaiting = 0;
    // Added in one go, faster than any read completes.
    for (const path of paths) {
      readAhead.add(path, 1);
      mostWaiting = Math.max(mostWaiting, readAhead.waiting);
    }
    expect(mostWaiting).toBe(maxWaiting);
    await readAhead.settled();
    expect(readAhead.waiting).toBe(0);
    // The first reads started at once; of the rest, the newest maxWaiting were read.
    expect(reads.started).toEqual([...paths.slice(0, readsInFlight), ...paths.slice(-maxWaiting)]);
  });

  it('is settled at once when nothing was queued', async () => {
    await expect(new ReadAhead().settled()).resolves.toBeUndefined();
  });
});
