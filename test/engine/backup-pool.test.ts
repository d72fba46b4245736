import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BlobIndex } from '../../src/engine/blob-index.ts';
import { defaultChunkerParams } from '../../src/engine/chunker.ts';
import { deterministicBytes } from '../../src/engine/testing/deterministic-bytes.ts';
import type { Extent } from '../../src/engine/tree.ts';
import { BackupPool } from '../../src/engine/workers/backup-pool.ts';
import { cleanup, temporaryDirectory } from './helpers.ts';

describe('backup workers', () => {
  const base = temporaryDirectory('backup-pool');
  afterAll(() => cleanup(base));

  it('send records in batches of at most 1 MiB (a larger record alone), and a job’s IDs in shared blocks', async () => {
    const source = join(base, 'source');
    mkdirSync(source, { recursive: true });
    const files: { path: string; size: number }[] = [];
    // Incompressible files of one or two chunks (records of 256–700 KiB), small ones between
    // them, and one of several MiB (records of up to the maximum chunk, 2 MiB).
    for (let i = 0; i < 12; i++) {
      const sizes = [600 * 1024, 40 * 1024, 700 * 1024, 30 * 1024];
      const size = sizes[i % sizes.length]!;
      const path = join(source, `f${i}.bin`);
      writeFileSync(path, deterministicBytes(`batch-${i}`, size));
      files.push({ path, size });
    }
    const large = join(source, 'large.bin');
    writeFileSync(large, deterministicBytes('large', 9 * 1024 * 1024));
    files.push({ path: large, size: 9 * 1024 * 1024 });

    const gear = new Uint32Array(randomBytes(1024).buffer);
    const setup = {
      idKey: randomBytes(32),
      blobKey: randomBytes(32),
      gear,
      chunker: defaultChunkerParams,
      compressionLevel: 3,
    };
    const batches: { length: number; records: number }[] = [];
    const pool = new BackupPool(setup, new BlobIndex(), async (records, ends, release) => {
      batches.push({ length: records.byteLength, records: ends.length });
      release();
    });
    const outcomes: Promise<{ extents: Extent[] }>[] = [];
    try {
      for (const file of files) outcomes.push((await pool.submit(file.path, file.size)).outcome);
      const results = await Promise.all(outcomes);
      await pool.finish();

      const mib = 1024 * 1024;
      expect(batches.reduce((sum, batch) => sum + batch.records, 0)).toBeGreaterThan(files.length);
      for (const batch of batches) if (batch.records > 1) expect(batch.length).toBeLessThanOrEqual(mib);
      expect(batches.some((batch) => batch.records > 1)).toBe(true);

      // IDs arrive as views of a few shared buffers per job, not an ArrayBuffer each.
      const ids = results.flatMap((result) =>
        result.extents.flatMap((extent) => ('blob' in extent ? [extent.blob] : [])),
      );
      expect(ids.length).toBeGreaterThan(files.length);
      expect(ids.every((id) => id.byteLength === 32)).toBe(true);
      expect(new Set(ids.map((id) => id.buffer)).size).toBeLessThan(ids.length / 2);
    } finally {
      await pool.close();
    }
  });
});
