import {
  appendFileSync,
  chmodSync,
  linkSync,
  mkdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { backup, checkRepository, initRepository, openRepository, restore } from '../../src/engine/index.ts';
import { deterministicBytes } from '../../src/engine/testing/deterministic-bytes.ts';
import { FsBlobStore } from '../../src/storage/index.ts';
import {
  cleanup,
  createTestRepository,
  describeTree,
  password,
  reopen,
  temporaryDirectory,
  testLocks,
} from './helpers.ts';

type Content =
  | { kind: 'random'; seed: number; size: number }
  | { kind: 'text'; words: number }
  | { kind: 'sparse'; size: number };

interface FileSpec {
  readonly path: string;
  readonly content: Content;
  readonly mode: number;
  readonly mtime: number;
}

function bytesOf(content: Content): Uint8Array {
  switch (content.kind) {
    case 'random': {
      const out = new Uint8Array(content.size);
      let state = content.seed | 1;
      for (let i = 0; i < out.length; i++) {
        state ^= state << 13;
        state ^= state >>> 17;
        state ^= state << 5;
        out[i] = state & 0xff;
      }
      return out;
    }
    case 'text':
      return Buffer.from(Array.from({ length: content.words }, (_, i) => `word${i % 97} `).join(''));
    case 'sparse': {
      // Data, a long zero run (stored as a sparse extent), data.
      const out = new Uint8Array(content.size + 256 * 1024);
      out.fill(7, 0, 1000);
      out.fill(9, out.length - content.size);
      return out;
    }
  }
}

const segment = fc.constantFrom('a', 'b', 'c', 'docs', 'src', 'x y', 'ünï');
const specArbitrary: fc.Arbitrary<FileSpec> = fc.record({
  path: fc.array(segment, { minLength: 1, maxLength: 3 }).map((parts) => `${parts.join('/')}.f`),
  content: fc.oneof(
    fc.record({ kind: fc.constant('random' as const), seed: fc.integer(), size: fc.integer({ min: 0, max: 40_000 }) }),
    fc.record({ kind: fc.constant('text' as const), words: fc.integer({ min: 0, max: 5000 }) }),
    fc.record({ kind: fc.constant('sparse' as const), size: fc.integer({ min: 1, max: 3000 }) }),
  ),
  mode: fc.constantFrom(0o600, 0o644, 0o755, 0o640),
  mtime: fc.integer({ min: 1_000_000_000, max: 1_900_000_000 }),
});

function writeTree(root: string, specs: readonly FileSpec[]): void {
  for (const spec of specs) {
    const path = join(root, spec.path);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, bytesOf(spec.content));
    chmodSync(path, spec.mode);
    utimesSync(path, spec.mtime, spec.mtime);
  }
  symlinkSync('a/../target-that-may-not-exist', join(root, 'link'));
  writeFileSync(join(root, 'hard1'), 'shared by two names');
  linkSync(join(root, 'hard1'), join(root, 'hard2'));
  mkdirSync(join(root, 'empty-dir'), { recursive: true });
}

type Edit = { kind: 'insert' | 'append' | 'delete'; index: number; seed: number };
const editArbitrary: fc.Arbitrary<Edit> = fc.record({
  kind: fc.constantFrom('insert', 'append', 'delete'),
  index: fc.nat(),
  seed: fc.integer(),
});

function applyEdits(root: string, specs: readonly FileSpec[], edits: readonly Edit[]): void {
  const unique = [...new Set(specs.map((spec) => spec.path))];
  for (const edit of edits) {
    const target = unique[edit.index % Math.max(1, unique.length)];
    if (!target) continue;
    const path = join(root, target);
    try {
      if (edit.kind === 'delete') rmSync(path);
      else if (edit.kind === 'append') appendFileSync(path, `appended ${edit.seed}`);
      else {
        const old = readFileSync(path);
        const at = Math.abs(edit.seed) % (old.length + 1);
        writeFileSync(
          path,
          Buffer.concat([old.subarray(0, at), Buffer.from(`<inserted ${edit.seed}>`), old.subarray(at)]),
        );
      }
    } catch {
      // Already deleted by an earlier edit.
    }
  }
  writeFileSync(join(root, 'new-file'), 'added after the first snapshot');
}

describe('backup and restore round trip (property)', () => {
  const directories: string[] = [];
  afterAll(() => cleanup(...directories));

  it('restores every snapshot byte-identical with metadata, across random trees and edits', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(specArbitrary, { selector: (spec) => spec.path.toLowerCase(), minLength: 1, maxLength: 12 }),
        fc.array(editArbitrary, { maxLength: 6 }),
        async (specs, edits) => {
          const base = temporaryDirectory('prop');
          directories.push(base);
          const source = join(base, 'source');
          // A file path must not also be a folder path.
          const paths = new Set(specs.map((spec) => spec.path));
          const clean = specs.filter((spec) => ![...paths].some((other) => other.startsWith(`${spec.path}/`)));
          writeTree(source, clean);
          const repository = await createTestRepository(join(base, 'repo'));
          const first = describeTree(source);
          const one = await backup(repository, { paths: [source], workers: 1, lockEnvironment: testLocks });
          applyEdits(source, clean, edits);
          const second = describeTree(source);
          const two = await backup(await reopen(join(base, 'repo')), {
            paths: [source],
            workers: 1,
            lockEnvironment: testLocks,
          });
          expect(two.parent).toBe(one.snapshotId);
          for (const [result, expected, name] of [
            [one, first, 'r1'],
            [two, second, 'r2'],
          ] as const) {
            const repo = await reopen(join(base, 'repo'));
            await repo.loadIndex();
            const target = join(base, name);
            const outcome = await restore(repo, await repo.findSnapshot(result.snapshotId), { target, workers: 1 });
            expect(outcome.failures).toEqual([]);
            expect(describeTree(join(target, source))).toEqual(expected);
          }
        },
      ),
      { numRuns: 6 },
    );
  }, 120_000);

  it('does not re-read unchanged files, and --force does', async () => {
    const base = temporaryDirectory('incr');
    directories.push(base);
    const source = join(base, 'source');
    mkdirSync(source);
    writeFileSync(join(source, 'a'), 'x'.repeat(100_000));
    writeFileSync(join(source, 'b'), 'y'.repeat(50_000));
    const repository = await createTestRepository(join(base, 'repo'));
    const first = await backup(repository, { paths: [source], workers: 1, lockEnvironment: testLocks });
    expect(first.summary.bytesRead).toBe(150_000);
    const again = await backup(repository, { paths: [source], workers: 1, lockEnvironment: testLocks });
    expect(again.summary.bytesRead).toBe(0);
    // Only a tree may change: the temporary parent folder's times move as other tests run.
    expect(again.summary.bytesAdded).toBeLessThan(1000);
    appendFileSync(join(source, 'b'), 'z');
    const changed = await backup(repository, { paths: [source], workers: 1, lockEnvironment: testLocks });
    expect(changed.summary.bytesRead).toBe(50_001);
    const forced = await backup(repository, { paths: [source], workers: 1, force: true, lockEnvironment: testLocks });
    expect(forced.summary.bytesRead).toBe(150_001);
    expect(forced.summary.bytesAdded).toBeLessThan(1000);
  });

  it('skips excluded entries and reports unreadable files as warnings', async () => {
    const base = temporaryDirectory('excl');
    directories.push(base);
    const source = join(base, 'source');
    mkdirSync(join(source, 'node_modules'), { recursive: true });
    writeFileSync(join(source, 'node_modules', 'x.js'), 'x');
    writeFileSync(join(source, 'keep.txt'), 'keep');
    writeFileSync(join(source, 'drop.log'), 'drop');
    const repository = await createTestRepository(join(base, 'repo'));
    const result = await backup(repository, {
      paths: [source, join(base, 'does-not-exist')],
      excludes: ['node_modules', '*.log'],
      workers: 1,
      lockEnvironment: testLocks,
    });
    expect(result.summary.files).toBe(1);
    expect(result.warnings.map((warning) => warning.path)).toEqual([join(base, 'does-not-exist')]);
  });

  it('round-trips with the default chunk and pack sizes (records batched by the megabyte)', async () => {
    const base = temporaryDirectory('defaults');
    directories.push(base);
    const directory = join(base, 'repo-default-sizes');
    const source = join(base, 'source-default-sizes');
    mkdirSync(source, { recursive: true });
    // 40 files of 100 kB (many records per message), and one of 3 MB (records of ~1 MiB).
    for (let i = 0; i < 40; i++) writeFileSync(join(source, `small-${i}`), deterministicBytes(`small-${i}`, 100_000));
    writeFileSync(join(source, 'large'), deterministicBytes('large', 3_000_000));
    const repository = await initRepository(new FsBlobStore(directory, { durable: false }), password);
    const result = await backup(repository, { paths: [source], workers: 2, lockEnvironment: testLocks });
    expect(result.summary.bytesAdded).toBeGreaterThanOrEqual(7_000_000);
    const reader = await openRepository(new FsBlobStore(directory, { durable: false }), password);
    expect((await checkRepository(reader, { readData: true })).errors).toEqual([]);
    await reader.loadIndex();
    const target = join(base, 'restored-default-sizes');
    const restored = await restore(reader, await reader.findSnapshot(result.snapshotId), { target, workers: 2 });
    expect(restored.failures).toEqual([]);
    expect(describeTree(join(target, source))).toEqual(describeTree(source));
  });
});
