import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  backup,
  checkRepository,
  listSnapshot,
  openRepository,
  packKey,
  rebuildIndex,
  restore,
  toHex,
  WrongPasswordError,
} from '../../src/engine/index.ts';
import { deterministicBytes } from '../../src/engine/testing/deterministic-bytes.ts';
import { FsBlobStore } from '../../src/storage/index.ts';
import { cleanup, createTestRepository, reopen, temporaryDirectory, testLocks } from './helpers.ts';

function randomText(seed: number, size: number): string {
  // Hex is half as dense as bytes, so zstd compresses it; every chunk is distinct.
  return Buffer.from(deterministicBytes(`text${seed}`, Math.ceil(size / 2)))
    .toString('hex')
    .slice(0, size);
}

/** Threads of this process that run a worker (Node names them `WorkerThread`). */
function workerThreads(): number {
  return readdirSync('/proc/self/task').filter(
    (task) => readFileSync(`/proc/self/task/${task}/comm`, 'utf8').trim() === 'WorkerThread',
  ).length;
}

/** Copies the pristine repository so each case damages its own copy. */
function copyRepository(from: string, to: string): void {
  cpSync(from, to, { recursive: true });
}

describe('damage: check names what is affected, the rest stays restorable', () => {
  let base: string;
  let source: string;
  let pristine: string;
  /** Pack holding blobs of big.txt only, and the snapshot-relative path of big.txt. */
  let bigPack: string;
  let bigPath: string;
  let smallPath: string;

  beforeAll(async () => {
    base = temporaryDirectory('damage');
    source = join(base, 'source');
    mkdirSync(join(source, 'sub'), { recursive: true });
    writeFileSync(join(source, 'big.txt'), randomText(1, 300_000));
    writeFileSync(join(source, 'sub', 'small.txt'), 'small file content');
    pristine = join(base, 'pristine');
    const repository = await createTestRepository(pristine);
    await backup(repository, { paths: [source], workers: 1, lockEnvironment: testLocks });
    writeFileSync(join(source, 'later.txt'), randomText(2, 20_000));
    await backup(repository, { paths: [source], workers: 1, lockEnvironment: testLocks });
    const repo = await reopen(pristine);
    await repo.loadIndex();
    const snapshot = await repo.findSnapshot('latest');
    bigPath = join(source, 'big.txt');
    smallPath = join(source, 'sub', 'small.txt');
    const smallBlobs = new Set<string>();
    let bigBlobs: string[] = [];
    for await (const { path, entry } of listSnapshot(repo, snapshot)) {
      const blobs = entry.extents.flatMap((extent) => ('blob' in extent ? [toHex(extent.blob)] : []));
      if (path === bigPath) bigBlobs = blobs;
      else for (const blob of blobs) smallBlobs.add(blob);
    }
    const packs = new Set(bigBlobs.map((blob) => repo.index.get(Buffer.from(blob, 'hex'))!.packId));
    bigPack = [...packs].find((packId) =>
      [...repo.index.entries()]
        .filter((b) => b.packId === packId)
        .every((b) => !smallBlobs.has(toHex(b.id)) && b.type === 0),
    )!;
    expect(bigPack).toBeDefined();
  });
  afterAll(() => cleanup(base));

  async function damaged(name: string, damage: (repoDir: string) => void) {
    const repoDir = join(base, name);
    copyRepository(pristine, repoDir);
    damage(repoDir);
    const repository = await reopen(repoDir);
    return { repoDir, report: await checkRepository(repository, { readData: true }) };
  }

  it('passes a clean repository', async () => {
    const report = await checkRepository(await reopen(pristine), { readData: true });
    expect(report.errors).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.blobsChecked).toBeGreaterThan(10);
  });

  it('a flipped bit: names the pack, both snapshots and the file; the other files restore', async () => {
    const { repoDir, report } = await damaged('flip', (repoDir) => {
      const path = join(repoDir, packKey(bigPack));
      const bytes = readFileSync(path);
      bytes[Math.floor(bytes.length / 2)]! ^= 0x10;
      writeFileSync(path, bytes);
    });
    expect(report.ok).toBe(false);
    expect(report.damagedPacks.map((pack) => pack.packId)).toEqual([bigPack]);
    expect(report.affectedSnapshots).toHaveLength(2);
    for (const affected of report.affectedSnapshots) expect(affected.paths).toEqual([bigPath]);
    const repo = await reopen(repoDir);
    await repo.loadIndex();
    const target = join(base, 'flip-restore');
    const partial = await restore(repo, await repo.findSnapshot('latest'), {
      target,
      includes: [join(source, 'sub')],
      workers: 1,
    });
    expect(partial.failures).toEqual([]);
    expect(readFileSync(join(target, smallPath), 'utf8')).toBe('small file content');
    const whole = await restore(repo, await repo.findSnapshot('latest'), {
      target: join(base, 'flip-all'),
      workers: 1,
    });
    expect(new Set(whole.failures.map((failure) => failure.path))).toEqual(new Set([bigPath]));
    // The main thread's own lane, with no worker, verifies and reports the same way.
    const mainOnly = await restore(repo, await repo.findSnapshot('latest'), {
      target: join(base, 'flip-main'),
      workers: 0,
    });
    expect(new Set(mainOnly.failures.map((failure) => failure.path))).toEqual(new Set([bigPath]));
    expect(readFileSync(join(base, 'flip-main', smallPath), 'utf8')).toBe('small file content');
    // A target written relative, with `.` and a trailing slash: same files, same paths reported.
    const untidy = `${relative(process.cwd(), join(base, 'flip-untidy'))}/./`;
    const again = await restore(repo, await repo.findSnapshot('latest'), { target: untidy, workers: 1 });
    expect(new Set(again.failures.map((failure) => failure.path))).toEqual(new Set([bigPath]));
    expect(readFileSync(join(base, 'flip-untidy', smallPath), 'utf8')).toBe('small file content');
  });

  it('a truncated pack is found even without reading data', async () => {
    const repoDir = join(base, 'truncate');
    copyRepository(pristine, repoDir);
    const path = join(repoDir, packKey(bigPack));
    truncateSync(path, readFileSync(path).length - 100);
    const report = await checkRepository(await reopen(repoDir));
    expect(report.damagedPacks.map((pack) => pack.packId)).toEqual([bigPack]);
    expect(report.affectedSnapshots.flatMap((affected) => affected.paths)).toEqual([bigPath, bigPath]);
  });

  it('a deleted pack is reported missing with the files that need it', async () => {
    const { report } = await damaged('delete', (repoDir) => rmSync(join(repoDir, packKey(bigPack))));
    expect(report.damagedPacks).toEqual([expect.objectContaining({ packId: bigPack, error: 'pack is missing' })]);
    expect(report.affectedSnapshots.flatMap((affected) => affected.paths)).toEqual([bigPath, bigPath]);
  });

  it('a deleted index: packs are still found, and the index is rebuilt from packs alone', async () => {
    const { repoDir, report } = await damaged('noindex', (repoDir) =>
      rmSync(join(repoDir, 'index'), { recursive: true }),
    );
    expect(report.ok).toBe(true);
    expect(report.unindexedPacks.length).toBeGreaterThan(0);
    const rebuilt = await rebuildIndex(new FsBlobStore(repoDir));
    expect(rebuilt.unreadable).toEqual([]);
    const after = await checkRepository(await reopen(repoDir), { readData: true });
    expect(after.ok).toBe(true);
    expect(after.unindexedPacks).toEqual([]);
    const repo = await reopen(repoDir);
    await repo.loadIndex();
    const result = await restore(repo, await repo.findSnapshot('latest'), {
      target: join(base, 'noindex-restore'),
      workers: 1,
    });
    expect(result.failures).toEqual([]);
  });

  it('a restore whose trees are missing fails and leaves none of its workers running', async () => {
    const repoDir = join(base, 'notrees');
    copyRepository(pristine, repoDir);
    const repo = await reopen(repoDir);
    await repo.loadIndex();
    const treePacks = new Set([...repo.index.entries()].filter((blob) => blob.type === 1).map((blob) => blob.packId));
    expect(treePacks.size).toBeGreaterThan(0);
    for (const packId of treePacks) rmSync(join(repoDir, packKey(packId)));
    // A whole restore starts its workers before reading the trees (from the snapshot's
    // summary); a failed read must stop them, or they would keep the process alive.
    const before = workerThreads();
    await expect(
      restore(repo, await repo.findSnapshot('latest'), { target: join(base, 'notrees-restore'), workers: 2 }),
    ).rejects.toThrow();
    expect(workerThreads()).toBe(before);
  });

  it('a damaged snapshot object is named', async () => {
    const repoDir = join(base, 'snapshot');
    copyRepository(pristine, repoDir);
    const [name] = readdirSync(join(repoDir, 'snapshots'));
    const path = join(repoDir, 'snapshots', name!);
    const bytes = readFileSync(path);
    bytes[bytes.length - 3]! ^= 1;
    writeFileSync(path, bytes);
    const report = await checkRepository(await reopen(repoDir));
    expect(report.ok).toBe(false);
    expect(report.damagedSnapshots).toEqual([name]);
  });

  it('a wrong passphrase is refused cleanly', async () => {
    await expect(openRepository(new FsBlobStore(pristine), { passphrase: 'wrong' })).rejects.toBeInstanceOf(
      WrongPasswordError,
    );
  });
});
