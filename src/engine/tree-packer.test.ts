import { describe, expect, it } from 'vitest';
import { deriveVaultKeys } from './keys.ts';
import { verifyPackStructure } from './pack.ts';
import { deterministicBytes } from './testing/deterministic-bytes.ts';
import { TreePacker, treePackLimit } from './tree-packer.ts';

describe('TreePacker', () => {
  it('closes tree packs at treePackLimit even when the repository’s packs are larger', () => {
    const keys = deriveVaultKeys(
      deterministicBytes('tree-packer-master', 32),
      deterministicBytes('tree-packer-repo', 16),
    );
    const packer = new TreePacker(keys, 16 * 1024 * 1024, 3);
    const full: Uint8Array[] = [];
    // Incompressible "trees" of 100 KiB: 10 MiB of them.
    for (let i = 0; i < 100; i++) {
      const pack = packer.add(deterministicBytes(`tree-${i}`, 100 * 1024), () => true).full;
      if (pack) full.push(pack.bytes.slice());
    }
    const last = packer.flush();
    expect(full.length).toBeGreaterThanOrEqual(2);
    for (const bytes of full) {
      expect(bytes.byteLength).toBeLessThanOrEqual(treePackLimit);
      expect(bytes.byteLength).toBeGreaterThan(treePackLimit - 200 * 1024);
      expect(verifyPackStructure(bytes).blobs.length).toBeGreaterThan(30);
    }
    expect(last?.bytes.byteLength).toBeLessThanOrEqual(treePackLimit);
  });
});
