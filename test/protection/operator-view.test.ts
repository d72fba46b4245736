import { mkdtempSync, rmSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { protectionDb } from '../../src/protection/db.ts';
import { configureProtection, createDataSourceStatusProvider, rebuildVaultIndex } from '../../src/protection/index.ts';
import { recordStorageProblem } from '../../src/protection/storage-problems.ts';
import { BlobNotFoundError, StorageError } from '../../src/storage/index.ts';
import { describeEachDatabase } from '../helpers/databases.ts';
import { writeTree } from './files.ts';
import { buildProtectionHarness, type ProtectionHarness } from './harness.ts';

const minute = 60_000;

/** What the data path tells operators: data no data source owns, and problems met on zones. */
describeEachDatabase('data path operator view', (factory) => {
  let harness: ProtectionHarness;
  let work: string;

  beforeAll(async () => {
    configureProtection({ fastFilesystem: true });
    work = mkdtempSync(join(tmpdir(), 'coffer-operator-'));
    harness = await buildProtectionHarness(factory);
  });

  afterAll(async () => {
    configureProtection({});
    await harness?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('lists snapshots a rebuild could not attribute as unassigned data, with the bytes only they hold', async () => {
    const source = join(work, 'source');
    writeTree(source, { files: 4, size: 80_000 });
    // A shared vault with two data sources: a snapshot without its sidecar can no longer be attributed.
    const created = await harness.call('POST', `/api/v1/business-units/${harness.unitId}/vaults`, { name: 'shared' });
    expect(created.statusCode, created.body).toBe(201);
    const vaultId = created.json<{ id: string }>().id;
    const first = await harness.createDataSource({ vaultId, policy: { paths: [source] } });
    await harness.createDataSource({ vaultId, hostname: 'second' });
    const agent = await harness.enrolAgent(first);
    const job = (await harness.call('POST', `/api/v1/data-sources/${first}/backups`, {})).json<{ id: string }>();
    await agent.runOnce();
    const done = (await harness.call('GET', `/api/v1/jobs/${job.id}`)).json<{ status: string; snapshotId: string }>();
    expect(done.status).toBe('success');

    const provider = createDataSourceStatusProvider(harness.server.database);
    expect(await provider.listUnassigned()).toEqual([]);

    const rt = harness.runtime();
    const db = protectionDb(harness.server.database);
    const row = await db
      .selectFrom('protection_vaults')
      .selectAll()
      .where('id', '=', vaultId)
      .executeTakeFirstOrThrow();
    const store = await rt.zones.vaultStore(row);
    await store.delete(`catalog/${done.snapshotId}`);
    const rebuilt = await rebuildVaultIndex(rt, vaultId);
    expect(rebuilt.snapshots).toBe(1);

    const unassigned = await provider.listUnassigned();
    expect(unassigned).toHaveLength(1);
    expect(unassigned[0]!.id).toBe(vaultId);
    expect(unassigned[0]!.name).toMatch(/1 snapshot\(s\) of no data source/);
    const blobs = await db
      .selectFrom('protection_blobs')
      .select((eb) => eb.fn.sum<number | string>('stored_length').as('bytes'))
      .where('vault_id', '=', vaultId)
      .executeTakeFirstOrThrow();
    // Every blob of the vault belongs to that one snapshot, so all of it is unassigned.
    expect(unassigned[0]!.storedBytes).toBe(Number(blobs.bytes));
    expect(unassigned[0]!.storedBytes).toBeGreaterThan(300_000);

    const report = (
      await harness.call('POST', `/api/v1/business-units/${harness.server.rootId}/reports`, { kind: 'server' })
    ).json<{
      body: {
        unassignedDataSources: { id: string; storedBytes: number }[];
        zones: { zone: string; kind: string; storedBytes: number; capacityBytes: number; freeBytes: number }[];
      };
    }>();
    // The default zone: the packs of every vault in it, and the file system it lives on.
    const packBytes = await db
      .selectFrom('protection_packs')
      .select((eb) => eb.fn.sum<number | string>('size').as('bytes'))
      .executeTakeFirstOrThrow();
    expect(report.body.zones).toEqual([
      expect.objectContaining({ zone: 'default', kind: 'filesystem', storedBytes: Number(packBytes.bytes) }),
    ]);
    const [zone] = report.body.zones;
    const disk = statfsSync(harness.dataDir);
    expect(zone!.capacityBytes).toBe(Number(disk.blocks) * Number(disk.bsize));
    expect(zone!.freeBytes).toBeGreaterThan(0);
    expect(zone!.freeBytes).toBeLessThanOrEqual(zone!.capacityBytes);
    expect(report.body.unassignedDataSources).toEqual([
      expect.objectContaining({ id: vaultId, storedBytes: unassigned[0]!.storedBytes }),
    ]);

    // Attributing the snapshot again (an operator fixing the catalog) empties the list.
    await db
      .updateTable('protection_snapshots')
      .set({ data_source_id: first })
      .where('vault_id', '=', vaultId)
      .execute();
    expect(await provider.listUnassigned()).toEqual([]);
  });

  it('records storage problems by kind, folds repeats, and ignores answers of normal work', async () => {
    const database = harness.server.database;
    const start = harness.server.clock.now() + 10 * minute;
    const full = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    const down = new StorageError('storage_unavailable', 'connect ECONNREFUSED 127.0.0.1:9');
    const denied = new Error('Access Denied');
    const record = (zoneId: string, error: unknown, at: number) =>
      recordStorageProblem(database, { zoneId, operation: 'put', key: 'vaults/v/data/ab', error, at });

    await record('zone-a', new BlobNotFoundError('vaults/v/config'), start);
    await record('zone-a', full, start);
    await record('zone-a', full, start + 5 * minute);
    await record('zone-a', full, start + 19 * minute); // within 15 minutes of the last repeat
    await record('zone-a', full, start + 40 * minute); // a new episode
    await record('zone-a', down, start + 41 * minute);
    await record('zone-b', denied, start + 42 * minute);

    const provider = createDataSourceStatusProvider(database);
    const problems = await provider.storageProblems(start, start + 60 * minute);
    expect(problems.map((p) => [p.zone, p.message.split(':')[0], p.at - start])).toEqual([
      ['zone-b', 'error', 42 * minute],
      ['zone-a', 'unavailable', 41 * minute],
      ['zone-a', 'full', 40 * minute],
      ['zone-a', 'full', 19 * minute],
    ]);
    expect(problems[3]!.message).toMatch(/ENOSPC.*\(3 times since /);
    expect(problems[2]!.message).not.toMatch(/times since/);
    // Only problems overlapping the window are listed.
    expect(await provider.storageProblems(start + 20 * minute, start + 39 * minute)).toEqual([]);
    expect((await provider.storageProblems(start + 30 * minute, start + 40 * minute)).map((p) => p.at - start)).toEqual(
      [40 * minute],
    );
  });
});
