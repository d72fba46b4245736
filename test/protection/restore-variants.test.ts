import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { setUnitRecoveryKey } from '../../src/agent/recovery-admin.ts';
import { createRecoveryKey } from '../../src/agent/recovery-crypto.ts';
import { configureProtection } from '../../src/protection/index.ts';
import { describeEachDatabase } from '../helpers/databases.ts';
import { createUnit } from '../helpers/principals.ts';
import { describeTree, pseudoRandomBytes, writeTree } from './files.ts';
import { buildProtectionHarness, type ProtectionHarness, type TestAgent } from './harness.ts';

interface Job {
  id: string;
  status: string;
  error: string | null;
}

const passphrase = 'correct horse battery staple';

describeEachDatabase('restores through the server and unit recovery keys', (factory) => {
  let harness: ProtectionHarness;
  let work: string;
  let sourceA: string;
  let a: { id: string; agent: TestAgent };
  let b: { id: string; agent: TestAgent };

  const job = async (id: string) => (await harness.call('GET', `/api/v1/jobs/${id}`)).json<Job>();

  beforeAll(async () => {
    configureProtection({ fastFilesystem: true });
    work = mkdtempSync(join(tmpdir(), 'coffer-restores-'));
    sourceA = join(work, 'a');
    writeTree(sourceA, { files: 3, size: 40_000 });
    harness = await buildProtectionHarness(factory);
    const key = await createRecoveryKey(passphrase, { n: 1 << 12, r: 8, p: 1 });
    const set = await harness.call('PUT', `/api/v1/business-units/${harness.unitId}/recovery-key`, key);
    expect(set.statusCode).toBe(200);
    const idA = await harness.createDataSource({ policy: { paths: [sourceA], schedules: [] } });
    a = { id: idA, agent: await harness.enrolAgent(idA) };
    const idB = await harness.createDataSource({ policy: { paths: [join(work, 'b')], schedules: [] } });
    b = { id: idB, agent: await harness.enrolAgent(idB) };
    await harness.call('POST', `/api/v1/data-sources/${idA}/backups`, {});
    await a.agent.runOnce();
  });

  afterAll(async () => {
    configureProtection({});
    await harness?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('wraps every new vault to the unit recovery key, so the server holds only envelopes', async () => {
    expect(a.agent.credentials.recoveryKeyId).toMatch(/-/);
    const envelopes = (await harness.call('GET', `/api/v1/business-units/${harness.unitId}/recovery-envelopes`)).json<{
      items: { vaultId: string; envelope: { ciphertext: string } }[];
    }>();
    expect(envelopes.items.map((item) => item.vaultId).sort()).toEqual(
      [a.agent.credentials.vaultId, b.agent.credentials.vaultId].sort(),
    );
  });

  it('restores a lost machine’s data on another machine of the unit only with the recovery passphrase', async () => {
    const target = join(work, 'on-b');
    const queued = (
      await harness.call('POST', `/api/v1/data-sources/${a.id}/restores`, { target, targetDataSourceId: b.id })
    ).json<Job>();
    await b.agent.runOnce();
    const refused = await job(queued.id);
    expect(refused.status).toBe('failed');
    expect(refused.error).toMatch(/needs the unit recovery passphrase/);

    const again = (
      await harness.call('POST', `/api/v1/data-sources/${a.id}/restores`, { target, targetDataSourceId: b.id })
    ).json<Job>();
    await b.agent.runOnce({ recoveryPassphrase: passphrase });
    expect(await job(again.id)).toMatchObject({ status: 'success' });
    expect(describeTree(join(target, sourceA))).toEqual(describeTree(sourceA));
  });

  it('restores every data source of a unit subtree in one request, tracked as a group', async () => {
    const child = await createUnit(harness.server, harness.unitId, { name: 'Branch', code: 'br' });
    const sourceC = join(work, 'c');
    writeTree(sourceC, { files: 2, size: 10_000, seed: 5 });
    const idC = await harness.createDataSource({ buId: child, policy: { paths: [sourceC], schedules: [] } });
    const c = await harness.enrolAgent(idC);
    await harness.call('POST', `/api/v1/data-sources/${idC}/backups`, {});
    await c.runOnce();
    const target = join(work, 'unit-restore');
    const group = (await harness.call('POST', `/api/v1/business-units/${harness.unitId}/restores`, { target })).json<{
      id: string;
      jobs: Job[];
      skipped: { dataSourceId: string; reason: string }[];
    }>();
    expect(group.jobs).toHaveLength(2);
    expect(group.skipped).toEqual([{ dataSourceId: b.id, name: expect.any(String), reason: 'no snapshot yet' }]);
    await a.agent.runOnce();
    await c.runOnce();
    const done = (await harness.call('GET', `/api/v1/restore-groups/${group.id}`)).json<{ status: string }>();
    expect(done.status).toBe('success');
    expect(describeTree(join(target, sourceA))).toEqual(describeTree(sourceA));
    expect(describeTree(join(target, sourceC))).toEqual(describeTree(sourceC));
  });

  it('lets a second machine join a shared vault with the passphrase, deduplicating across machines', async () => {
    const vault = (
      await harness.call('POST', `/api/v1/business-units/${harness.unitId}/vaults`, { name: 'shared' })
    ).json<{ id: string }>();
    const shared = join(work, 'shared');
    writeTree(shared, { files: 2, size: 300_000, seed: 9 });
    const idD = await harness.createDataSource({ vaultId: vault.id, policy: { paths: [shared], schedules: [] } });
    const d = await harness.enrolAgent(idD);
    await harness.call('POST', `/api/v1/data-sources/${idD}/backups`, {});
    await d.runOnce();
    const idE = await harness.createDataSource({ vaultId: vault.id, policy: { paths: [shared], schedules: [] } });
    await expect(harness.enrolAgent(idE)).rejects.toThrow(/shared and already set up/);
    const idF = await harness.createDataSource({ vaultId: vault.id, policy: { paths: [shared], schedules: [] } });
    const f = await harness.enrolAgent(idF, { recoveryPassphrase: passphrase });
    const backup = (await harness.call('POST', `/api/v1/data-sources/${idF}/backups`, {})).json<Job>();
    await f.runOnce();
    const stats = (await harness.call('GET', `/api/v1/jobs/${backup.id}`)).json<{ stats: Record<string, number> }>()
      .stats;
    // The same files from another machine: only new tree metadata is added.
    expect(stats['bytesAdded']).toBeLessThan(50_000);
  });

  it('rotates the recovery key: every vault is re-wrapped, the old passphrase stops working', async () => {
    writeFileSync(join(sourceA, 'late.bin'), pseudoRandomBytes(11, 10_000));
    const rotated = await setUnitRecoveryKey({
      server: harness.url,
      apiKey: harness.adminToken,
      unitId: harness.unitId,
      passphrase: 'a brand new recovery passphrase',
      oldPassphrase: passphrase,
    });
    expect(rotated.rewrapped).toBeGreaterThanOrEqual(3);
    const target = join(work, 'after-rotation');
    const old = (
      await harness.call('POST', `/api/v1/data-sources/${a.id}/restores`, { target, targetDataSourceId: b.id })
    ).json<Job>();
    await b.agent.runOnce({ recoveryPassphrase: passphrase });
    expect((await job(old.id)).error).toMatch(/recovery passphrase is wrong/);
    const fresh = (
      await harness.call('POST', `/api/v1/data-sources/${a.id}/restores`, { target, targetDataSourceId: b.id })
    ).json<Job>();
    await b.agent.runOnce({ recoveryPassphrase: 'a brand new recovery passphrase' });
    expect(await job(fresh.id)).toMatchObject({ status: 'success' });
  });
});
