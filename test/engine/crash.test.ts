import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkRepository } from '../../src/engine/index.ts';
import { deterministicBytes } from '../../src/engine/testing/deterministic-bytes.ts';
import { cleanup, createTestRepository, password, reopen, temporaryDirectory } from './helpers.ts';

const cli = join(import.meta.dirname, '..', '..', 'src', 'agent', 'repo-main.ts');

function run(args: string[]): ChildProcess {
  return spawn(process.execPath, [cli, 'repo', ...args], {
    env: { ...process.env, COFFER_PASSWORD: password.passphrase, COFFER_JSON: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Runs a CLI command to completion; resolves with its exit code and stdout. */
function complete(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = run(args);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

/** Starts a CLI command and SIGKILLs it after `delayMs` (or lets it finish first). */
function killAfter(args: string[], delayMs: number): Promise<{ killed: boolean }> {
  const child = run(args);
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), delayMs);
    child.on('exit', (_code, signal) => {
      clearTimeout(timer);
      resolve({ killed: signal === 'SIGKILL' });
    });
  });
}

/** Deterministic pseudo-random delays so a failure can be replayed. */
function delays(seed: string, count: number, min: number, max: number): number[] {
  const bytes = deterministicBytes(seed, count * 2);
  return Array.from({ length: count }, (_, i) => min + (((bytes[2 * i]! << 8) | bytes[2 * i + 1]!) % (max - min)));
}

function writeSource(source: string, round: number): void {
  mkdirSync(join(source, `round${round}`), { recursive: true });
  for (let i = 0; i < 12; i++) {
    writeFileSync(join(source, `round${round}`, `f${i}.bin`), deterministicBytes(`r${round}f${i}`, 40_000 + i * 3000));
  }
  appendFileSync(join(source, 'log.txt'), `round ${round} `.repeat(2000));
}

async function assertHealthy(repository: string, completed: readonly string[]): Promise<void> {
  const report = await checkRepository(await reopen(repository), { readData: true });
  expect(report.errors).toEqual([]);
  const { snapshots } = await (await reopen(repository)).listSnapshots();
  const present = new Set(snapshots.map((snapshot) => snapshot.id));
  for (const id of completed) expect(present.has(id)).toBe(true);
}

describe('SIGKILL at random points', () => {
  const base = temporaryDirectory('crash');
  afterAll(() => cleanup(base));

  it('backup: the repository stays valid, completed snapshots survive, the next backup reuses uploads', async () => {
    const repository = join(base, 'repo-backup');
    const source = join(base, 'source');
    await createTestRepository(repository);
    const completed: string[] = [];
    let kills = 0;
    for (const [round, delay] of delays('backup-kills', 11, 150, 2500).entries()) {
      writeSource(source, round);
      const { killed } = await killAfter(['backup', '--repo', repository, source], delay);
      if (killed) kills += 1;
      await assertHealthy(repository, completed);
      if (round % 4 === 3) {
        const result = await complete(['backup', '--repo', repository, source]);
        expect(result.code).toBe(0);
        const summary = JSON.parse(result.stdout) as {
          snapshotId: string;
          bytesRead: number;
          storedBytesAdded: number;
        };
        completed.push(summary.snapshotId);
        await assertHealthy(repository, completed);
      }
    }
    expect(kills).toBeGreaterThanOrEqual(6);
  }, 180_000);

  it('forget --prune: the repository stays valid and kept snapshots keep all their data', async () => {
    const repository = join(base, 'repo-prune');
    const source = join(base, 'source-prune');
    await createTestRepository(repository);
    let kills = 0;
    for (const [round, delay] of delays('prune-kills', 10, 5, 250).entries()) {
      writeSource(source, round);
      if (round % 2 === 0) {
        // Drop older data so prune has packs to delete and to repack.
        cleanup(join(source, `round${round - 2}`));
      }
      const made = await complete(['backup', '--repo', repository, source]);
      expect(made.code).toBe(0);
      const latest = (JSON.parse(made.stdout) as { snapshotId: string }).snapshotId;
      const { killed } = await killAfter(['forget', '--repo', repository, '--keep-last', '1', '--prune'], delay);
      if (killed) kills += 1;
      await assertHealthy(repository, [latest]);
    }
    expect(kills).toBeGreaterThanOrEqual(4);
  }, 180_000);
});
