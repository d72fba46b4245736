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
function killAfter(args: string[], delayMs: number): Promise<{ killed: boolean; elapsedMs: number }> {
  const started = performance.now();
  const child = run(args);
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), delayMs);
    child.on('exit', (_code, signal) => {
      clearTimeout(timer);
      resolve({ killed: signal === 'SIGKILL', elapsedMs: performance.now() - started });
    });
  });
}

/**
 * Kill points as fractions of how long the command takes, so they land inside the command on a fast
 * idle machine and on a slow loaded one alike (fixed millisecond delays did not: CI finished
 * backups before most of them). Deterministic, so a failure can be replayed.
 */
function killFractions(seed: string, count: number): number[] {
  const bytes = deterministicBytes(seed, count * 2);
  return Array.from({ length: count }, (_, i) => 0.05 + (((bytes[2 * i]! << 8) | bytes[2 * i + 1]!) / 65_536) * 0.8);
}

/** Kills a run at `fraction` of the expected duration; a run that finished first refines the estimate. */
class KillClock {
  kills = 0;
  #expectedMs: number;

  constructor(expectedMs: number) {
    this.#expectedMs = expectedMs;
  }

  async run(args: string[], fraction: number): Promise<void> {
    const { killed, elapsedMs } = await killAfter(args, Math.max(1, fraction * this.#expectedMs));
    if (killed) this.kills += 1;
    else this.#expectedMs = elapsedMs;
  }
}

async function timed<T>(work: () => Promise<T>): Promise<{ result: T; elapsedMs: number }> {
  const started = performance.now();
  const result = await work();
  return { result, elapsedMs: performance.now() - started };
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
    // A first complete backup both seeds the repository and measures how long a backup takes here.
    writeSource(source, 0);
    const first = await timed(() => complete(['backup', '--repo', repository, source]));
    expect(first.result.code).toBe(0);
    completed.push((JSON.parse(first.result.stdout) as { snapshotId: string }).snapshotId);
    const clock = new KillClock(first.elapsedMs);
    for (const [round, fraction] of killFractions('backup-kills', 11).entries()) {
      writeSource(source, round + 1);
      await clock.run(['backup', '--repo', repository, source], fraction);
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
    expect(clock.kills).toBeGreaterThanOrEqual(6);
  }, 180_000);

  it('forget --prune: the repository stays valid and kept snapshots keep all their data', async () => {
    const repository = join(base, 'repo-prune');
    const source = join(base, 'source-prune');
    await createTestRepository(repository);
    let clock: KillClock | undefined;
    for (const [round, fraction] of killFractions('prune-kills', 12).entries()) {
      writeSource(source, round);
      if (round % 2 === 0) {
        // Drop older data so prune has packs to delete and to repack.
        cleanup(join(source, `round${round - 2}`));
      }
      const made = await complete(['backup', '--repo', repository, source]);
      expect(made.code).toBe(0);
      const latest = (JSON.parse(made.stdout) as { snapshotId: string }).snapshotId;
      const forget = ['forget', '--repo', repository, '--keep-last', '1', '--prune'];
      if (round < 2) {
        expect((await complete(forget)).code).toBe(0);
      } else if (!clock) {
        // Round 2 is the first prune with data to delete; it runs to the end to time one here.
        const measured = await timed(() => complete(forget));
        expect(measured.result.code).toBe(0);
        clock = new KillClock(measured.elapsedMs);
      } else {
        await clock.run(forget, fraction);
      }
      await assertHealthy(repository, [latest]);
    }
    expect(clock!.kills).toBeGreaterThanOrEqual(4);
  }, 180_000);
});
