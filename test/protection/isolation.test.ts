import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { HttpBlobStore, missingBlobIds } from '../../src/agent/http-blob-store.ts';
import { ServerError } from '../../src/agent/http-client.ts';
import { packKey } from '../../src/engine/index.ts';
import { protectionDb } from '../../src/protection/db.ts';
import { BlobNotFoundError } from '../../src/storage/index.ts';
import { describeEachDatabase } from '../helpers/databases.ts';
import { createApiKey, createRootUnit, createUser } from '../helpers/principals.ts';
import { writeTree } from './files.ts';
import { buildProtectionHarness, type ProtectionHarness, type TestAgent } from './harness.ts';

describeEachDatabase('data path tenant isolation', (factory) => {
  let harness: ProtectionHarness;
  let work: string;
  let victim: { dataSourceId: string; vaultId: string; snapshotId: string; packId: string };
  let intruder: TestAgent;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'coffer-isolation-'));
    writeTree(join(work, 'a'), { files: 2, size: 20_000 });
    harness = await buildProtectionHarness(factory);
    const dataSourceId = await harness.createDataSource({ policy: { paths: [join(work, 'a')] } });
    const agent = await harness.enrolAgent(dataSourceId);
    await harness.call('POST', `/api/v1/data-sources/${dataSourceId}/backups`, {});
    await agent.runOnce();
    const db = protectionDb(harness.server.database);
    const snapshot = await db.selectFrom('protection_snapshots').selectAll().executeTakeFirstOrThrow();
    const pack = await db.selectFrom('protection_packs').selectAll().executeTakeFirstOrThrow();
    victim = { dataSourceId, vaultId: agent.credentials.vaultId, snapshotId: snapshot.id, packId: pack.pack_id };
    const otherTenant = await createRootUnit(harness.server);
    const otherAdmin = await createApiKey(
      harness.server,
      await createUser(harness.server, { buId: otherTenant, role: 'administrator' }),
    );
    const otherSource = await harness.createDataSource({ buId: otherTenant, as: otherAdmin });
    intruder = await harness.enrolAgent(otherSource, { as: otherAdmin });
  });

  afterAll(async () => {
    await harness?.close();
    rmSync(work, { recursive: true, force: true });
  });

  async function status(promise: Promise<unknown>): Promise<number> {
    try {
      await promise;
      return 200;
    } catch (error) {
      if (error instanceof ServerError) return error.status;
      if (error instanceof BlobNotFoundError) return 404;
      throw error;
    }
  }

  it("gives another tenant's agent 404 for the vault, its packs, its snapshots and its blobs", async () => {
    const connection = intruder.api().connection;
    const store = new HttpBlobStore(connection, victim.vaultId);
    const list = (prefix: string) => store.list(prefix)[Symbol.asyncIterator]().next();
    expect(await status(list('data/'))).toBe(404);
    expect(await status(store.get(packKey(victim.packId)))).toBe(404);
    expect(await status(store.get(`snapshots/${victim.snapshotId}`))).toBe(404);
    expect(await status(store.get('config'))).toBe(404);
    expect(await status(missingBlobIds(connection, victim.vaultId, [Buffer.alloc(32)]))).toBe(404);
    expect(await status(intruder.api().openSession(victim.vaultId, 'restore'))).toBe(404);
    expect(await status(intruder.api().vaultRecovery(victim.vaultId))).toBe(404);
    // Its own vault answers, so the 404 above is about reach, not a broken agent.
    expect(await status(new HttpBlobStore(connection, intruder.credentials.vaultId).get('config'))).toBe(200);
  });

  it("gives another tenant's users 404 for the vault, the data source, its snapshots and jobs", async () => {
    const otherTenant = await createRootUnit(harness.server);
    const user = await createUser(harness.server, { buId: otherTenant, role: 'administrator' });
    const key = await createApiKey(harness.server, user);
    for (const url of [
      `/api/v1/vaults/${victim.vaultId}`,
      `/api/v1/data-sources/${victim.dataSourceId}`,
      `/api/v1/data-sources/${victim.dataSourceId}/snapshots`,
      `/api/v1/data-sources/${victim.dataSourceId}/jobs`,
    ]) {
      expect((await harness.call('GET', url, undefined, key)).statusCode, url).toBe(404);
    }
    const restore = await harness.call(
      'POST',
      `/api/v1/data-sources/${victim.dataSourceId}/restores`,
      { target: '/tmp/x' },
      key,
    );
    expect(restore.statusCode).toBe(404);
  });

  it('does not let a restore on another machine cross units', async () => {
    const response = await harness.call('POST', `/api/v1/data-sources/${victim.dataSourceId}/restores`, {
      target: '/tmp/x',
      targetDataSourceId: intruder.credentials.dataSourceId,
    });
    expect(response.statusCode).toBe(404);
  });
});
