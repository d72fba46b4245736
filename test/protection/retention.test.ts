import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpBlobStore } from '../../src/agent/http-blob-store.ts';
import { confirmIndexWithServer } from '../../src/agent/server-index-check.ts';
import { backup, openRepository, packKey } from '../../src/engine/index.ts';
import { protectionDb } from '../../src/protection/db.ts';
import { configureProtection, maintainVault } from '../../src/protection/index.ts';
import type { BlobStore } from '../../src/storage/index.ts';
import { describeEachDatabase } from '../helpers/databases.ts';
import { setSetting } from '../helpers/principals.ts';
import { describeTree, pseudoRandomBytes } from './files.ts';
import { buildProtectionHarness, type ProtectionHarness, type TestAgent } from './harness.ts';

const dayMs = 86_400_000;
const graceMs = 60 * 60_000;

describeEachDatabase('keyless retention and prune', (factory) => {
  let harness: ProtectionHarness;
  let work: string;
  let source: string;
  let dataSourceId: string;
  let agent: TestAgent;

  const backupNow = async () => {
    const job = (await harness.call('POST', `/api/v1/data-sources/${dataSourceId}/backups`, {})).json<{ id: string }>();
    await agent.runOnce();
    return (await harness.call('GET', `/api/v1/jobs/${job.id}`)).json<{ status: string; snapshotId: string }>();
  };
  const restoreTo = async (target: string, snapshot = 'latest') => {
    const job = (
      await harness.call('POST', `/api/v1/data-sources/${dataSourceId}/restores`, { target, snapshot })
    ).json<{ id: string }>();
    await agent.runOnce();
    return (await harness.call('GET', `/api/v1/jobs/${job.id}`)).json<{ status: string; error: string | null }>();
  };
  const packs = (state?: 'live' | 'condemned') => {
    let query = protectionDb(harness.server.database).selectFrom('protection_packs').selectAll();
    if (state) query = query.where('state', '=', state);
    return query.execute();
  };

  beforeAll(async () => {
    configureProtection({ fastFilesystem: true });
    work = mkdtempSync(join(tmpdir(), 'coffer-retention-'));
    source = join(work, 'source');
    harness = await buildProtectionHarness(factory);
  });

  afterAll(async () => {
    configureProtection({});
    await harness?.close();
    rmSync(work, { recursive: true, force: true });
  });

  describe('forget and prune', () => {
    beforeAll(async () => {
      mkdirSync(source, { recursive: true });
      writeFileSync(join(source, 'keep.bin'), pseudoRandomBytes(1, 600_000));
      writeFileSync(join(source, 'drop.bin'), pseudoRandomBytes(2, 2_400_000));
      dataSourceId = await harness.createDataSource({
        policy: { paths: [source], retention: { last: 1 }, schedules: [] },
      });
      agent = await harness.enrolAgent(dataSourceId);
    });

    it('keeps snapshots younger than the earliest-deletion days, then forgets and prunes without any key', async () => {
      const first = await backupNow();
      expect(first.status).toBe('success');
      rmSync(join(source, 'drop.bin'));
      writeFileSync(join(source, 'new.bin'), pseudoRandomBytes(3, 300_000));
      const second = await backupNow();
      expect(second.status).toBe('success');
      await setSetting(harness.server, harness.unitId, 'retention.earliestDeletionDays', 30);
      const vaultId = agent.credentials.vaultId;

      const early = await maintainVault(harness.runtime(), vaultId);
      expect(early.snapshotsForgotten).toBe(0);

      harness.server.clock.advance(31 * dayMs);
      const forgot = await maintainVault(harness.runtime(), vaultId);
      expect(forgot.snapshotsForgotten).toBe(1);
      expect(forgot.packsRepacked).toBeGreaterThanOrEqual(1);
      expect(forgot.packsCondemned).toBeGreaterThanOrEqual(2);
      const condemned = await packs('condemned');
      // Condemned packs are hidden from agents at once, but stay until the grace period ends.
      const store = new HttpBlobStore(agent.api().connection, vaultId);
      const listed = [];
      for await (const info of store.list('data/')) listed.push(info.key);
      for (const pack of condemned) {
        expect(listed).not.toContain(packKey(pack.pack_id));
        expect(await store.head(packKey(pack.pack_id))).toBeDefined();
      }

      harness.server.clock.advance(graceMs + 1000);
      const swept = await maintainVault(harness.runtime(), vaultId);
      expect(swept.packsDeleted).toBe(condemned.length);
      expect(await packs('condemned')).toEqual([]);
      for (const pack of condemned) expect(await store.head(packKey(pack.pack_id))).toBeUndefined();

      const restored = join(work, 'restored');
      expect(await restoreTo(restored)).toMatchObject({ status: 'success' });
      expect(describeTree(join(restored, source))).toEqual(describeTree(source));
      const vault = (await harness.call('GET', `/api/v1/vaults/${vaultId}`)).json<{
        snapshots: number;
        storedBytes: number;
      }>();
      expect(vault.snapshots).toBe(1);
      expect(vault.storedBytes).toBeLessThan(1_500_000);
    });

    it('lets a backup that started before a prune commit, and keeps what it referenced', async () => {
      // A blob that only a forgotten snapshot references, and that a running backup deduplicates against.
      writeFileSync(join(source, 'again.bin'), pseudoRandomBytes(4, 400_000));
      expect((await backupNow()).status).toBe('success');
      rmSync(join(source, 'again.bin'));
      expect((await backupNow()).status).toBe('success');
      writeFileSync(join(source, 'again.bin'), pseudoRandomBytes(4, 400_000));
      harness.server.clock.advance(graceMs + 1000);

      const api = agent.api();
      const vaultId = agent.credentials.vaultId;
      const { sessionId } = await api.openSession(vaultId, 'backup');
      let release!: () => void;
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      let paused!: () => void;
      const reachedCommit = new Promise<void>((resolve) => {
        paused = resolve;
      });
      const inner = new HttpBlobStore(api.connection, vaultId, () => sessionId);
      const gated: BlobStore = {
        put: async (key, data) => {
          if (key.startsWith('snapshots/')) {
            paused();
            await released;
          }
          return inner.put(key, data);
        },
        get: (key, options) => inner.get(key, options),
        head: (key) => inner.head(key),
        list: (prefix) => inner.list(prefix),
        delete: (key) => inner.delete(key),
      };
      const repository = await openRepository(gated, { key: Buffer.from(agent.credentials.agentKey, 'base64') });
      confirmIndexWithServer(repository, api.connection, vaultId);
      const running = backup(repository, { paths: [source], hostname: 'race' });
      await reachedCommit;

      const pruned = await maintainVault(harness.runtime(), vaultId);
      expect(pruned.snapshotsForgotten).toBeGreaterThanOrEqual(1);
      expect(pruned.packsCondemned).toBeGreaterThanOrEqual(1);
      harness.server.clock.advance(graceMs + 1000);
      // A live agent renews its session while it works (every few seconds).
      await api.renewSession(sessionId);
      const blocked = await maintainVault(harness.runtime(), vaultId);
      expect(blocked.packsDeleted).toBe(0);

      release();
      const result = await running;
      await api.closeSession(sessionId);
      harness.server.clock.advance(graceMs + 1000);
      const after = await maintainVault(harness.runtime(), vaultId);
      expect(after.packsRevived).toBeGreaterThanOrEqual(1);

      const restored = join(work, 'restored-race');
      expect(await restoreTo(restored, result.snapshotId)).toMatchObject({ status: 'success' });
      expect(describeTree(join(restored, source))).toEqual(describeTree(source));
    });
  });
});
