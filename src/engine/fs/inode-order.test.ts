import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { inInodeOrder } from './backup.ts';
import { DirectoryScanner } from './directory-scanner.ts';

const root = mkdtempSync(join(tmpdir(), 'coffer-inode-order-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('reading a folder in inode order', () => {
  it('orders the entries by inode, unreadable ones first, without dropping any', async () => {
    const folder = join(root, 'folder');
    mkdirSync(folder);
    for (let i = 0; i < 200; i++) writeFileSync(join(folder, `f${(i * 7919) % 1000}`), 'x');
    const listing = await new DirectoryScanner([folder], () => false).take(folder);
    const missing = { name: 'gone', path: join(folder, 'gone'), stats: undefined, error: new Error('ENOENT') };
    const ordered = inInodeOrder([...listing.entries, missing]);
    expect(ordered).toHaveLength(201);
    expect(ordered[0]).toBe(missing);
    const inodes = ordered.slice(1).map((entry) => entry.stats!.ino);
    expect(inodes).toEqual([...inodes].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    expect(new Set(ordered.map((entry) => entry.name))).toEqual(new Set([...readdirSync(folder), 'gone']));
  });
});
