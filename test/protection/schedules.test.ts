import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ManualClock } from '../../src/platform/index.ts';
import { createDataSourceStatusProvider, protectionTick } from '../../src/protection/index.ts';
import type { DataSourceProvider } from '../../src/reporting/report-model.ts';
import { describeEachDatabase } from '../helpers/databases.ts';
import { writeTree } from './files.ts';
import { buildProtectionHarness, type ProtectionHarness, type TestAgent } from './harness.ts';

interface Job {
  id: string;
  status: string;
  trigger: string;
  scheduledFor: string | null;
  error: string | null;
  linkRate: number | null;
  snapshotId: string | null;
  warnings: { path: string; error: string }[];
}

describeEachDatabase('schedules, missed runs and job outcomes', (factory) => {
  let harness: ProtectionHarness;
  let work: string;
  let source: string;
  let dataSourceId: string;
  let agent: TestAgent;
  // Saturday evening before the switch to summer time in Europe/Berlin (29 March 2026, 01:00 UTC).
  const clock = new ManualClock(Date.UTC(2026, 2, 28, 20, 0));

  const jobs = async (query = '') =>
    (await harness.call('GET', `/api/v1/data-sources/${dataSourceId}/jobs${query}`)).json<{ items: Job[] }>().items;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'coffer-schedules-'));
    source = join(work, 'source');
    writeTree(source, { files: 2, size: 20_000 });
    harness = await buildProtectionHarness(factory, { clock });
    dataSourceId = await harness.createDataSource({
      policy: {
        paths: [source],
        missedAfterSeconds: 3600,
        schedules: [{ name: 'noon-and-midnight', cron: '0 0,12 * * *', timezone: 'Europe/Berlin' }],
      },
    });
    agent = await harness.enrolAgent(dataSourceId);
    await protectionTick(harness.runtime());
  });

  afterAll(async () => {
    await harness?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('fires slots at local noon and midnight across the DST change, and records a slot nobody started as missed', async () => {
    clock.set(Date.UTC(2026, 2, 29, 10, 30));
    await protectionTick(harness.runtime());
    const scheduled = (await jobs('?kind=backup')).filter((job) => job.trigger === 'schedule');
    expect(scheduled.map((job) => [job.scheduledFor, job.status]).sort()).toEqual([
      ['2026-03-28T23:00:00.000Z', 'missed'],
      ['2026-03-29T10:00:00.000Z', 'queued'],
    ]);
    expect(scheduled.find((job) => job.status === 'missed')?.error).toMatch(
      /did not start this scheduled backup within 3600 s/,
    );
    await agent.runOnce();
    const ran = (await jobs('?kind=backup')).find((job) => job.scheduledFor === '2026-03-29T10:00:00.000Z');
    expect(ran?.status).toBe('success');
  });

  it('refuses a large initial upload over a link slower than the policy allows, recording the measured rate', async () => {
    const other = await harness.createDataSource({
      policy: { paths: [source], schedules: [], minimumInitialRate: 1e15, largeInitialBytes: 1000 },
    });
    const slow = await harness.enrolAgent(other);
    const job = (await harness.call('POST', `/api/v1/data-sources/${other}/backups`, {})).json<{ id: string }>();
    await slow.runOnce();
    const refused = (await harness.call('GET', `/api/v1/jobs/${job.id}`)).json<Job>();
    expect(refused.status).toBe('failed');
    expect(refused.error).toMatch(/initial backup of \d+ bytes refused by policy: the link test measured/);
    expect(refused.linkRate).toBeGreaterThan(0);
  });

  it('records a warning outcome with the files that could not be read', async () => {
    const job = (await harness.call('POST', `/api/v1/data-sources/${dataSourceId}/backups`, {})).json<{ id: string }>();
    const api = agent.api();
    await api.start(job.id);
    await api.finish(job.id, { outcome: 'failed', error: 'disk vanished' });
    const failed = (await harness.call('GET', `/api/v1/jobs/${job.id}`)).json<Job>();
    expect(failed).toMatchObject({ status: 'failed', error: 'disk vanished' });
    clock.advance(1000);
    const second = (await harness.call('POST', `/api/v1/data-sources/${dataSourceId}/backups`, {})).json<{
      id: string;
    }>();
    await api.start(second.id);
    const bogus = await api
      .finish(second.id, { outcome: 'warning', snapshotId: 'f'.repeat(64) })
      .catch((error: Error) => error.message);
    expect(bogus).toMatch(/was not committed by this data source/);
    const committed = (await jobs('?status=success'))[0]!;
    await api.finish(second.id, {
      outcome: 'warning',
      snapshotId: committed.snapshotId!,
      warnings: [{ path: '/etc/locked.db', error: 'EBUSY: resource busy or locked' }],
    });
    const warned = (await harness.call('GET', `/api/v1/jobs/${second.id}`)).json<Job>();
    expect(warned).toMatchObject({
      status: 'warning',
      warnings: [{ path: '/etc/locked.db', error: 'EBUSY: resource busy or locked' }],
    });
  });

  it('cancels a queued job and tells a running agent to stop', async () => {
    const job = (await harness.call('POST', `/api/v1/data-sources/${dataSourceId}/backups`, {})).json<{ id: string }>();
    await agent.api().start(job.id);
    const cancelled = await harness.call('POST', `/api/v1/jobs/${job.id}/cancel`, {});
    expect(cancelled.json<Job>().status).toBe('cancelled');
    expect(await agent.api().progress(job.id, { files: 1 })).toEqual({ cancel: true });
  });

  it('gives reports each data source’s last outcome, sizes and agent contact', async () => {
    const provider: DataSourceProvider = createDataSourceStatusProvider(harness.server.database);
    const idle = await harness.createDataSource({ hostname: 'idle-host' });
    const statuses = await provider.listForSubtree(harness.unitId, clock.now() + 1000);
    // Each source gets its own figures (they are read for all sources at once).
    expect(statuses.find((status) => status.id === idle)).toMatchObject({
      lastOutcome: 'never',
      lastRunAt: null,
      lastGoodAt: null,
      protectedBytes: 0,
      storedBytes: 0,
      warnings: [],
    });
    const mine = statuses.find((status) => status.id === dataSourceId);
    expect(mine).toMatchObject({
      lastOutcome: 'warning',
      warnings: ['/etc/locked.db: EBUSY: resource busy or locked'],
    });
    expect(mine?.protectedBytes).toBeGreaterThan(0);
    expect(mine?.storedBytes).toBeGreaterThan(0);
    expect(mine?.lastGoodAt).not.toBeNull();
    expect(mine?.agentLastSeenAt).not.toBeNull();
  });
});
