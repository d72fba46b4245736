import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { packKey } from '../../src/engine/index.ts';
import { createSecretBox } from '../../src/identity/index.ts';
import { createJobQueue, createLogger } from '../../src/platform/index.ts';
import { protectionDb } from '../../src/protection/db.ts';
import {
  configureProtection,
  createDataSourceStatusProvider,
  maintainVault,
  protectionEventSource,
  protectionTick,
} from '../../src/protection/index.ts';
import { createReporting, pumpEvents } from '../../src/reporting/index.ts';
import { describeEachDatabase } from '../helpers/databases.ts';
import { pseudoRandomBytes, writeTree } from './files.ts';
import { buildProtectionHarness, type ProtectionHarness, type TestAgent } from './harness.ts';

const hour = 3_600_000;

/** The data path's events for reporting: backup outcomes from job records, and nightly verification. */
describeEachDatabase('data path events for alerts', (factory) => {
  let harness: ProtectionHarness;
  let work: string;
  let source: string;
  let dataSourceId: string;
  let agent: TestAgent;

  const events = () => protectionEventSource(harness.server.database, harness.server.clock);
  /** Takes every pending event (marking them delivered) and returns their types in order. */
  async function take(): Promise<{ type: string; details: Record<string, unknown> }[]> {
    const pending = await events().pending(100);
    await events().markDelivered(pending.map((item) => item.id));
    return pending.flatMap((item) =>
      item.event ? [{ type: item.event.type, details: { ...item.event.details } }] : [],
    );
  }
  async function backupNow(): Promise<{ id: string; status: string }> {
    harness.server.clock.advance(1000); // each job ends at its own time, as it would
    const job = (await harness.call('POST', `/api/v1/data-sources/${dataSourceId}/backups`, {})).json<{ id: string }>();
    await agent.runOnce();
    return (await harness.call('GET', `/api/v1/jobs/${job.id}`)).json<{ id: string; status: string }>();
  }
  async function setPaths(paths: string[]) {
    const response = await harness.call('PATCH', `/api/v1/data-sources/${dataSourceId}`, {
      policy: {
        paths,
        missedAfterSeconds: 600,
        schedules: [{ name: 'hourly', cron: '0 * * * *', timezone: 'UTC' }],
      },
    });
    expect(response.statusCode, response.body).toBe(200);
  }

  beforeAll(async () => {
    configureProtection({ fastFilesystem: true });
    work = mkdtempSync(join(tmpdir(), 'coffer-events-'));
    source = join(work, 'source');
    writeTree(source, { files: 3, size: 40_000 });
    harness = await buildProtectionHarness(factory);
    dataSourceId = await harness.createDataSource({ policy: { paths: [] } });
    agent = await harness.enrolAgent(dataSourceId);
  });

  afterAll(async () => {
    configureProtection({});
    await harness?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('reports failures and missed runs, and a success only when it ends a run of failures', async () => {
    expect(await take()).toEqual([]);
    expect((await backupNow()).status).toBe('failed'); // the policy selects no paths
    const failed = await take();
    expect(failed).toEqual([{ type: 'backup.failed', details: expect.objectContaining({ attempts: 1 }) }]);
    expect(String(failed[0]!.details.reason)).toMatch(/selects no paths/);

    await setPaths([source]);
    // Two backups that end in the same millisecond after the failure: one of them is the recovery.
    harness.server.clock.advance(1000);
    for (let i = 0; i < 2; i++) await harness.call('POST', `/api/v1/data-sources/${dataSourceId}/backups`, {});
    await agent.runOnce();
    expect((await take()).map((event) => event.type)).toEqual(['backup.succeeded']);
    expect((await backupNow()).status).toBe('success');
    expect(await take()).toEqual([]); // healthy backups raise nothing

    // An hourly slot nobody starts within ten minutes is missed.
    harness.server.clock.advance(2 * hour);
    await protectionTick(harness.runtime());
    const missed = await take();
    expect(missed.map((event) => event.type)).toContain('backup.missed');
    expect(missed.every((event) => event.type === 'backup.missed')).toBe(true);
    expect(missed[0]!.details).toMatchObject({ schedule: 'hourly' });
    expect(await take()).toEqual([]); // delivered once
    await setPaths([source]);
  });

  it('hands reporting events it accepts: they reach its event log with the data source as subject', async () => {
    expect((await backupNow()).status).toBe('success'); // ends the missed run: a recovery
    const reporting = createReporting({
      database: harness.server.database,
      clock: harness.server.clock,
      log: createLogger({ level: 'silent' }),
      queue: createJobQueue({ database: harness.server.database, clock: harness.server.clock }),
      dataSources: createDataSourceStatusProvider(harness.server.database),
      secrets: createSecretBox(new Uint8Array(32).fill(7)),
      dataPathEvents: events(),
      mail: { defaultSmtp: null },
    });
    expect(await pumpEvents(reporting.deps, reporting.eventSources)).toBe(1);
    const stored = await harness.server.database.kysely
      .withTables<{
        reporting_events: { type: string; subject_id: string; bu_id: string; source_key: string | null };
      }>()
      .selectFrom('reporting_events')
      .selectAll()
      .where('subject_id', '=', dataSourceId)
      .execute();
    expect(stored.map((row) => [row.type, row.bu_id])).toEqual([['backup.succeeded', harness.unitId]]);
    expect(stored[0]!.source_key).toMatch(/^protection:job:/);
    expect(await pumpEvents(reporting.deps, reporting.eventSources)).toBe(0);
  });

  it('verifies packs every night without a key: a damaged pack raises verification.failed, the repair a recovery', async () => {
    writeFileSync(join(source, 'more.bin'), pseudoRandomBytes(3, 200_000));
    expect((await backupNow()).status).toBe('success');
    const { vaultId } = (await harness.call('GET', `/api/v1/data-sources/${dataSourceId}`)).json<{ vaultId: string }>();
    await take();

    const healthy = await maintainVault(harness.runtime(), vaultId);
    expect(healthy.packsVerified).toBeGreaterThan(0);
    expect(healthy.packsDamaged).toEqual([]);
    expect(await take()).toEqual([]); // a clean night after clean nights raises nothing

    const db = protectionDb(harness.server.database);
    const packs = await db
      .selectFrom('protection_packs')
      .select('pack_id')
      .where('vault_id', '=', vaultId)
      .where('state', '=', 'live')
      .execute();
    const victim = packs[0]!.pack_id;
    const vault = await db
      .selectFrom('protection_vaults')
      .selectAll()
      .where('id', '=', vaultId)
      .executeTakeFirstOrThrow();
    const store = await harness.runtime().zones.vaultStore(vault);
    const original = await store.get(packKey(victim));
    const damaged = Uint8Array.from(original);
    damaged[Math.floor(damaged.length / 2)]! ^= 0x40;
    await store.put(packKey(victim), damaged);

    const night = await maintainVault(harness.runtime(), vaultId);
    expect(night.packsDamaged).toEqual([victim]);
    const failed = await take();
    expect(failed).toEqual([
      { type: 'verification.failed', details: expect.objectContaining({ vaultId, packsDamaged: [victim] }) },
    ]);
    // The damaged pack is left in place, untouched.
    expect(Buffer.compare(Buffer.from(await store.get(packKey(victim))), Buffer.from(damaged))).toBe(0);

    await store.put(packKey(victim), original);
    const repaired = await maintainVault(harness.runtime(), vaultId);
    expect(repaired.packsDamaged).toEqual([]);
    expect((await take()).map((event) => event.type)).toEqual(['verification.succeeded']);
  });
});
