import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDatabase } from '../helpers/databases.ts';
import { describeTree, writeTree } from './files.ts';
import { buildProtectionHarness, type ProtectionHarness, type TestAgent } from './harness.ts';

describeEachDatabase('data path in process', (factory) => {
  let harness: ProtectionHarness;
  let work: string;
  let source: string;
  let dataSourceId: string;
  let agent: TestAgent;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'coffer-datapath-'));
    source = join(work, 'source');
    writeTree(source, { files: 6 });
    harness = await buildProtectionHarness(factory);
    dataSourceId = await harness.createDataSource({ policy: { paths: [source] } });
    agent = await harness.enrolAgent(dataSourceId);
  });

  afterAll(async () => {
    await harness?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('names the data source by the inherited rule and marks it enrolled', async () => {
    const response = await harness.call('GET', `/api/v1/data-sources/${dataSourceId}`);
    expect(response.statusCode).toBe(200);
    const body = response.json<{ status: string; name: string }>();
    expect(body.status).toBe('active');
    expect(agent.credentials.vaultId).toMatch(/-/);
  });

  it('runs an on-demand backup and records the snapshot and consumption', async () => {
    const requested = await harness.call('POST', `/api/v1/data-sources/${dataSourceId}/backups`, {});
    expect(requested.statusCode).toBe(202);
    const lines = await agent.runOnce();
    expect(lines.join('\n')).toMatch(/success snapshot/);
    const job = (await harness.call('GET', `/api/v1/jobs/${requested.json<{ id: string }>().id}`)).json<{
      status: string;
      snapshotId: string;
    }>();
    expect(job.status).toBe('success');
    const snapshots = (await harness.call('GET', `/api/v1/data-sources/${dataSourceId}/snapshots`)).json<{
      items: { id: string; plainBytes: number }[];
    }>();
    expect(snapshots.items.map((s) => s.id)).toEqual([job.snapshotId]);
    const usage = (await harness.call('GET', `/api/v1/data-sources/${dataSourceId}/consumption`)).json<{
      days: { backups: number; bytesAdded: number; fileCount: number }[];
      snapshots: unknown[];
    }>();
    expect(usage.days[0]?.backups).toBe(1);
    expect(usage.days[0]?.fileCount).toBe(7);
    expect(usage.snapshots).toHaveLength(1);
  });

  it('restores everything byte-identical with metadata, and a single file', async () => {
    const target = join(work, 'restore-all');
    const all = await harness.call('POST', `/api/v1/data-sources/${dataSourceId}/restores`, { target });
    expect(all.statusCode).toBe(202);
    await agent.runOnce();
    expect(
      (await harness.call('GET', `/api/v1/jobs/${all.json<{ id: string }>().id}`)).json<{ status: string }>().status,
    ).toBe('success');
    expect(describeTree(join(target, source))).toEqual(describeTree(source));

    const one = join(work, 'restore-one');
    const file = join(source, 'media', 'file-1.bin');
    await harness.call('POST', `/api/v1/data-sources/${dataSourceId}/restores`, { target: one, paths: [file] });
    await agent.runOnce();
    expect(describeTree(join(one, source))).toEqual({
      media: expect.stringMatching(/^dir/),
      'media/file-1.bin': describeTree(source)['media/file-1.bin'],
    });
  });

  it('restores a deleted file to its original place', async () => {
    const file = join(source, 'docs', 'readme.txt');
    const before = describeTree(source);
    rmSync(file);
    const job = (
      await harness.call('POST', `/api/v1/data-sources/${dataSourceId}/restores`, { paths: [file], target: null })
    ).json<{ id: string }>();
    await agent.runOnce();
    expect((await harness.call('GET', `/api/v1/jobs/${job.id}`)).json<{ status: string }>().status).toBe('success');
    expect(describeTree(source)).toEqual(before);
  });

  it('documents every data path route in OpenAPI and refuses to delete a unit that still has data sources', async () => {
    const document = (await harness.call('GET', '/api/v1/openapi.json')).json<{ paths: Record<string, unknown> }>();
    for (const path of ['/api/v1/data-sources/{id}/restores', '/api/v1/agent/vaults/{vaultId}/blobs/missing']) {
      expect(Object.keys(document.paths)).toContain(path);
    }
    const refused = await harness.call('DELETE', `/api/v1/business-units/${harness.unitId}`);
    expect(refused.statusCode).toBe(409);
    expect(refused.body).toMatch(/data source/);
  });

  it('retires a data source: its agent is locked out at once', async () => {
    expect((await harness.call('DELETE', `/api/v1/data-sources/${dataSourceId}`)).statusCode).toBe(204);
    await expect(agent.runOnce()).rejects.toThrow(/revoked/);
  });
});
