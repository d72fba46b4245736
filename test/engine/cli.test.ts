import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanup, temporaryDirectory } from './helpers.ts';

const cli = join(import.meta.dirname, '..', '..', 'src', 'agent', 'repo-main.ts');

function coffer(args: string[], environment: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [cli, 'repo', ...args], {
    env: { ...process.env, COFFER_PASSWORD: 'pw', COFFER_KDF_MEMORY: '64', COFFER_KDF_ITERATIONS: '1', ...environment },
    encoding: 'utf8',
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('coffer repo CLI', () => {
  const base = temporaryDirectory('cli');
  afterAll(() => cleanup(base));
  const repo = join(base, 'repo');
  const source = join(base, 'data');

  it('runs init, backup, snapshots, ls, restore, stats, check and forget with JSON output', () => {
    mkdirSync(join(source, 'docs'), { recursive: true });
    writeFileSync(join(source, 'docs', 'a.txt'), 'alpha '.repeat(1000));
    writeFileSync(join(source, 'b.bin'), Buffer.alloc(70_000, 3));
    expect(coffer(['init', '--repo', repo]).code).toBe(0);

    const backup = coffer(['backup', '--repo', repo, '--json', '--tag', 'first', source]);
    expect(backup.code).toBe(0);
    const summary = JSON.parse(backup.stdout);
    expect(summary).toMatchObject({ files: 2, bytesRead: 76_000 });
    for (const key of ['snapshotId', 'bytesAdded', 'storedBytesAdded', 'durationMs'])
      expect(summary).toHaveProperty(key);

    const snapshots = JSON.parse(coffer(['snapshots', '--repo', repo], { COFFER_JSON: '1' }).stdout);
    expect(snapshots).toHaveLength(1);
    expect(snapshots[0]).toMatchObject({ id: summary.snapshotId, tags: ['first'], paths: [source] });

    const listing = coffer(['ls', '--repo', repo, summary.snapshotId.slice(0, 8), join(source, 'docs')]);
    expect(listing.stdout).toContain(join(source, 'docs', 'a.txt'));

    const target = join(base, 'restored');
    const restored = coffer([
      'restore',
      '--repo',
      repo,
      'latest',
      '--target',
      target,
      '--include',
      join(source, 'docs', 'a.txt'),
      '--json',
    ]);
    expect(restored.code).toBe(0);
    expect(JSON.parse(restored.stdout)).toMatchObject({ files: 1, failures: [] });
    expect(readFileSync(join(target, source, 'docs', 'a.txt'), 'utf8')).toBe('alpha '.repeat(1000));

    const stats = JSON.parse(coffer(['stats', '--repo', repo, '--json']).stdout);
    expect(stats).toMatchObject({ snapshots: 1, logicalBytes: 76_000 });
    expect(stats.perSnapshot[0].uniqueStoredBytes).toBeGreaterThan(0);

    const check = coffer(['check', '--repo', repo, '--read-data', '--json']);
    expect(check.code).toBe(0);
    expect(JSON.parse(check.stdout)).toMatchObject({ ok: true, snapshotsChecked: 1 });

    const forget = coffer(['forget', '--repo', repo, '--keep-last', '1', '--prune', '--dry-run', '--json']);
    expect(JSON.parse(forget.stdout)).toMatchObject({ dryRun: true, snapshots: [{ keep: true, reasons: ['last'] }] });
    expect(coffer(['forget', '--repo', repo]).code).toBe(1);
  }, 120_000);

  const pruneLock = join(repo, 'locks', 'a'.repeat(32));
  /** Locks the repository as a running prune would. */
  const lockForPrune = (): void => {
    const now = Date.now();
    const record = { version: 1, exclusive: true, hostname: hostname(), pid: process.pid, operation: 'prune' };
    writeFileSync(pruneLock, JSON.stringify({ ...record, createdAt: now, refreshedAt: now }));
  };

  it.each([
    ['backup', () => ['backup', '--repo', repo, source]],
    ['restore', () => ['restore', '--repo', repo, 'latest', '--target', join(base, 'restored-again')]],
  ])(
    '%s derives the key before it takes the lock, and leaves nothing behind when it cannot run',
    (_, args) => {
      // A command that ran releases its lock.
      expect(coffer(args()).code).toBe(0);
      expect(readdirSync(join(repo, 'locks'))).toEqual([]);
      // A wrong passphrase fails before any lock is taken, or waited for.
      lockForPrune();
      const started = Date.now();
      const wrong = coffer([...args(), '--lock-wait', '60'], { COFFER_PASSWORD: 'nope' });
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).toContain('no key slot');
      expect(Date.now() - started).toBeLessThan(30_000);
      expect(readdirSync(join(repo, 'locks'))).toEqual(['a'.repeat(32)]);
      // A repository locked for a prune: the command fails and adds no lock of its own.
      const locked = coffer(args());
      expect(locked.code).toBe(1);
      expect(locked.stderr).toMatch(/lock/i);
      expect(readdirSync(join(repo, 'locks'))).toEqual(['a'.repeat(32)]);
      rmSync(pruneLock);
      // A mistyped repository path: nothing is created there.
      const nowhere = join(base, 'nowhere');
      const missing = coffer(args().map((arg) => (arg === repo ? nowhere : arg)));
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain('no repository');
      expect(existsSync(nowhere)).toBe(false);
    },
    60_000,
  );

  it.each(['backup', 'restore'])(
    '%s waits up to --lock-wait for a prune to finish',
    async (command) => {
      lockForPrune();
      const args =
        command === 'backup'
          ? ['backup', '--repo', repo, '--lock-wait', '20', source]
          : ['restore', '--repo', repo, 'latest', '--lock-wait', '20', '--target', join(base, 'restored-after-wait')];
      const child = spawn(process.execPath, [cli, 'repo', ...args], {
        env: { ...process.env, COFFER_PASSWORD: 'pw' },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (data: Buffer) => {
        stderr += data.toString();
      });
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
      // Still waiting on the prune's lock after a second; done once it is gone.
      const early = await Promise.race([exited, new Promise((resolve) => setTimeout(() => resolve('waiting'), 1500))]);
      expect(early).toBe('waiting');
      rmSync(pruneLock);
      expect(await exited, stderr).toBe(0);
      expect(readdirSync(join(repo, 'locks'))).toEqual([]);
    },
    60_000,
  );

  it('exits 3 and lists unreadable files, 1 on a wrong password', () => {
    writeFileSync(join(source, 'secret'), 'no access');
    chmodSync(join(source, 'secret'), 0o000);
    const unreadable = spawnSync('sh', ['-c', `cat ${join(source, 'secret')}`]).status !== 0;
    const result = coffer(['backup', '--repo', repo, source, join(base, 'missing')]);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(join(base, 'missing'));
    if (unreadable) expect(result.stderr).toContain(join(source, 'secret'));
    const wrong = coffer(['snapshots', '--repo', repo], { COFFER_PASSWORD: 'nope' });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('no key slot');
  }, 60_000);
});
