import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateCorpus } from '../../bench/engine/corpus.ts';
import { mutateCorpus } from '../../bench/engine/mutate.ts';
import { hashTree } from '../../bench/engine/tree-hash.ts';

const SIZE = 8 * 1024 * 1024;
const scratch = mkdtempSync(join(tmpdir(), 'coffer-bench-corpus-'));

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

function build(name: string, seed: string): { generated: string; mutated: string; bytesWritten: number } {
  const root = join(scratch, name);
  const summary = generateCorpus({ root, sizeBytes: SIZE, seed });
  const generated = hashTree(root);
  expect(generated.bytes).toBe(summary.bytes);
  expect(generated.files).toBe(summary.files);
  const mutation = mutateCorpus(root, seed);
  return { generated: generated.digest, mutated: hashTree(root).digest, bytesWritten: mutation.bytesWritten };
}

describe('benchmark corpus', () => {
  it('is the same for the same seed, before and after the mutation, and differs for another seed', () => {
    const first = build('first', 'seed-a');
    const second = build('second', 'seed-a');
    const other = build('other', 'seed-b');
    expect(second).toEqual(first);
    expect(first.mutated).not.toBe(first.generated);
    expect(other.generated).not.toBe(first.generated);
    expect(first.bytesWritten).toBeGreaterThan(0);
  });

  it('has roughly the requested size', () => {
    const summary = generateCorpus({ root: join(scratch, 'size'), sizeBytes: SIZE, seed: 'size' });
    expect(summary.bytes).toBeGreaterThan(SIZE * 0.95);
    expect(summary.bytes).toBeLessThan(SIZE * 1.05);
    expect(Object.keys(summary.kinds).sort()).toEqual([
      'disk-image',
      'duplicates',
      'logs',
      'marker',
      'media',
      'source',
    ]);
  });
});
