import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { backup, checkRepository, restore } from '../../src/engine/index.ts';
import { listPackObjects, readPackTrailer } from '../../src/engine/keyless.ts';
import { deterministicBytes } from '../../src/engine/testing/deterministic-bytes.ts';
import { cleanup, createTestRepository, describeTree, reopen, temporaryDirectory, testLocks } from './helpers.ts';

/** Every data blob in the repository's packs, with how many times it is stored. */
async function storedDataBlobs(directory: string): Promise<Map<string, number>> {
  const repository = await reopen(directory);
  const counts = new Map<string, number>();
  for (const [packId, size] of await listPackObjects(repository.store)) {
    const pack = await readPackTrailer(repository.store, packId, size);
    for (const blob of pack.blobs) {
      if (blob.type !== 0) continue;
      const key = Buffer.from(blob.id).toString('hex');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return counts;
}

describe('claims shared by the backup workers', () => {
  const base = temporaryDirectory('claims');
  afterAll(() => cleanup(base));

  it('store every blob once with two workers, also once the claim table is full, and after an indexed parent', async () => {
    const source = join(base, 'source');
    for (let folder = 0; folder < 6; folder++) {
      mkdirSync(join(source, `f${folder}`), { recursive: true });
      for (let file = 0; file < 30; file++) {
        // Many files in two copies in different folders, read by either worker.
        writeFileSync(
          join(source, `f${folder}`, `n${file}.bin`),
          deterministicBytes(`c${(folder % 3) * 30 + file}`, 3000 + file * 17),
        );
      }
    }
    writeFileSync(join(source, 'large.bin'), deterministicBytes('large', 3 * 1024 * 1024));
    cpSync(join(source, 'large.bin'), join(source, 'f0', 'large-copy.bin'));

    for (const claimSlots of [1 << 18, 16]) {
      const directory = join(base, `repo-${claimSlots}`);
      await createTestRepository(directory);
      const backUp = async () =>
        backup(await reopen(directory), { paths: [source], workers: 2, claimSlots, lockEnvironment: testLocks });
      const first = await backUp();
      const afterFirst = await storedDataBlobs(directory);
      expect([...afterFirst.values()].every((count) => count === 1)).toBe(true);
      // 90 distinct small files and the large file's chunks (the copies add nothing).
      expect(afterFirst.size).toBeGreaterThanOrEqual(91);
      // A changed file and a new one: their blobs are checked against the index (the filter) this time.
      writeFileSync(join(source, 'f1', 'n0.bin'), deterministicBytes('changed', 5000));
      writeFileSync(join(source, 'f5', 'new.bin'), deterministicBytes('c1', 3017));
      const second = await backUp();
      const afterSecond = await storedDataBlobs(directory);
      expect([...afterSecond.values()].every((count) => count === 1)).toBe(true);
      // Only the changed file's content is new (a chunk or two with the test chunker).
      expect(afterSecond.size - afterFirst.size).toBeGreaterThanOrEqual(1);
      expect(afterSecond.size - afterFirst.size).toBeLessThanOrEqual(3);
      expect((await checkRepository(await reopen(directory), { readData: true })).errors).toEqual([]);
      for (const result of [first, second]) {
        const target = join(base, `restore-${claimSlots}-${result.snapshotId.slice(0, 8)}`);
        const repository = await reopen(directory);
        expect(
          (await restore(repository, await repository.findSnapshot(result.snapshotId), { target })).failures,
        ).toEqual([]);
      }
      const latest = join(base, `restore-${claimSlots}-${second.snapshotId.slice(0, 8)}`);
      expect(describeTree(join(latest, source))).toEqual(describeTree(source));
      // Back to the first state for the next table size.
      writeFileSync(join(source, 'f1', 'n0.bin'), deterministicBytes('c30', 3000));
      cleanup(join(source, 'f5', 'new.bin'));
    }
  });
});
