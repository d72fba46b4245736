import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/platform/index.ts';
import { protectionDb } from '../../src/protection/db.ts';
import { parseEnrolmentToken } from '../../src/protection/enrolment.ts';
import { healthOfSources } from '../../src/protection/health.ts';
import { configureProtection } from '../../src/protection/index.ts';
import type { JobStatus } from '../../src/protection/tables.ts';
import { describeEachDatabase } from '../helpers/databases.ts';
import { buildProtectionHarness, type ProtectionHarness } from './harness.ts';

const hour = 3_600_000;

interface Health {
  state: string;
  lastOutcome: string;
  lastFinishedAt: string | null;
  lastGoodAt: string | null;
  lastGoodAgeSeconds: number | null;
  failedOrMissedSinceGood: number;
  running: boolean;
  runningJobId: string | null;
  agentLastSeenAt: string | null;
}

interface Listed {
  id: string;
  name: string;
  health: Health;
}

/** The data source listing with health, its filter, snapshot paging, typed consumption, named conflicts. */
describeEachDatabase('data source listing and reads', (factory) => {
  let harness: ProtectionHarness;
  let now: number;

  beforeAll(async () => {
    configureProtection({ fastFilesystem: true });
    harness = await buildProtectionHarness(factory, {
      env: { COFFER_PUBLIC_URL: 'https://backup.example.com/' },
    });
    now = harness.server.clock.now();
  });

  afterAll(async () => {
    configureProtection({});
    await harness?.close();
  });

  async function addJob(dataSourceId: string, status: JobStatus, finishedHoursAgo: number | null, kind = 'backup') {
    const db = protectionDb(harness.server.database);
    const source = await db
      .selectFrom('protection_data_sources')
      .selectAll()
      .where('id', '=', dataSourceId)
      .executeTakeFirstOrThrow();
    const finishedAt = finishedHoursAgo === null ? null : now - finishedHoursAgo * hour;
    const id = newId(now - (finishedHoursAgo ?? 0) * hour);
    await db
      .insertInto('protection_jobs')
      .values({
        id,
        data_source_id: dataSourceId,
        bu_id: source.bu_id,
        vault_id: source.vault_id,
        kind: kind as 'backup' | 'restore',
        trigger: status === 'missed' ? 'schedule' : 'demand',
        status,
        schedule_name: status === 'missed' ? 'daily' : null,
        scheduled_for: status === 'missed' ? (finishedAt ?? now) - hour : null,
        full: 0,
        params: null,
        group_id: null,
        created_at: (finishedAt ?? now) - hour,
        created_by: null,
        started_at: status === 'missed' ? null : (finishedAt ?? now) - hour,
        finished_at: finishedAt,
        heartbeat_at: status === 'running' ? now : null,
        attempts: 1,
        snapshot_id: null,
        error: status === 'failed' ? 'disk error' : null,
        warnings: null,
        progress: null,
        stats: null,
        link_rate: null,
        reported_at: null,
      })
      .execute();
    return id;
  }

  describe('health', () => {
    let unitId: string;
    const ids: Record<string, string> = {};

    beforeAll(async () => {
      const unit = await harness.call('POST', '/api/v1/business-units', {
        parentId: harness.unitId,
        name: 'Health',
        code: `h${randomBytes(3).toString('hex')}`,
      });
      expect(unit.statusCode, unit.body).toBe(201);
      unitId = unit.json<{ id: string }>().id;
      for (const name of ['ok', 'warning', 'failed', 'missed', 'never', 'running', 'recovered']) {
        ids[name] = await harness.createDataSource({ buId: unitId, hostname: `health-${name}` });
      }
      await addJob(ids['ok']!, 'failed', 30);
      await addJob(ids['ok']!, 'success', 5);
      await addJob(ids['ok']!, 'cancelled', 1);
      await addJob(ids['warning']!, 'warning', 3);
      await addJob(ids['failed']!, 'success', 50);
      await addJob(ids['failed']!, 'missed', 26);
      await addJob(ids['failed']!, 'failed', 2);
      await addJob(ids['missed']!, 'missed', 4);
      await addJob(ids['missed']!, 'missed', 1);
      await addJob(ids['running']!, 'success', 24);
      await addJob(ids['running']!, 'running', null);
      await addJob(ids['recovered']!, 'failed', 10);
      await addJob(ids['recovered']!, 'success', 2);
      // A running restore counts as running too.
      await addJob(ids['recovered']!, 'running', null, 'restore');
      await protectionDb(harness.server.database)
        .updateTable('protection_data_sources')
        .set({ last_seen_at: now - 60_000 })
        .where('id', '=', ids['ok']!)
        .execute();
    });

    async function list(query: string): Promise<{ items: Listed[]; nextCursor: string | null }> {
      const response = await harness.call('GET', `/api/v1/business-units/${unitId}/data-sources?${query}`);
      expect(response.statusCode, response.body).toBe(200);
      return response.json();
    }

    it('gives each data source its last outcome, last good backup, runs missed since and running job', async () => {
      const page = await list('limit=50');
      const byId = new Map(page.items.map((item) => [item.id, item.health]));
      const iso = (hoursAgo: number) => new Date(now - hoursAgo * hour).toISOString();
      expect(byId.get(ids['ok']!)).toEqual({
        state: 'ok',
        lastOutcome: 'success',
        lastFinishedAt: iso(5),
        lastGoodAt: iso(5),
        lastGoodAgeSeconds: 5 * 3600,
        failedOrMissedSinceGood: 0,
        running: false,
        runningJobId: null,
        agentLastSeenAt: new Date(now - 60_000).toISOString(),
      });
      expect(byId.get(ids['warning']!)).toMatchObject({ state: 'warning', lastOutcome: 'warning', lastGoodAt: iso(3) });
      expect(byId.get(ids['failed']!)).toMatchObject({
        state: 'failed',
        lastOutcome: 'failed',
        lastFinishedAt: iso(2),
        lastGoodAt: iso(50),
        lastGoodAgeSeconds: 50 * 3600,
        failedOrMissedSinceGood: 2,
      });
      expect(byId.get(ids['missed']!)).toMatchObject({
        state: 'missed',
        lastGoodAt: null,
        lastGoodAgeSeconds: null,
        failedOrMissedSinceGood: 2,
      });
      expect(byId.get(ids['never']!)).toMatchObject({
        state: 'never',
        lastOutcome: 'never',
        lastFinishedAt: null,
        failedOrMissedSinceGood: 0,
        running: false,
        agentLastSeenAt: null,
      });
      const running = byId.get(ids['running']!)!;
      expect(running).toMatchObject({ state: 'running', lastOutcome: 'success', running: true });
      expect(running.runningJobId).toMatch(/.+/);
      expect(byId.get(ids['recovered']!)).toMatchObject({
        state: 'running',
        lastOutcome: 'success',
        failedOrMissedSinceGood: 0,
        running: true,
      });
      // The single read carries the same health.
      const one = await harness.call('GET', `/api/v1/data-sources/${ids['failed']}`);
      expect(one.json<Listed>().health).toEqual(byId.get(ids['failed']!));
    });

    it('filters by health on the server, and pages the filtered list', async () => {
      const expected: Record<string, string[]> = {
        ok: ['ok'],
        warning: ['warning'],
        failed: ['failed'],
        missed: ['missed'],
        never: ['never'],
        running: ['running', 'recovered'],
      };
      for (const [state, names] of Object.entries(expected)) {
        const page = await list(`health=${state}`);
        expect(page.items.map((item) => item.id).sort(), state).toEqual(names.map((name) => ids[name]!).sort());
        expect(page.items.every((item) => item.health.state === state)).toBe(true);
      }
      const first = await list('health=running&limit=1');
      expect(first.items).toHaveLength(1);
      expect(first.nextCursor).not.toBeNull();
      const second = await list(`health=running&limit=1&cursor=${first.nextCursor}`);
      expect(second.items).toHaveLength(1);
      expect(second.nextCursor).toBeNull();
      expect(new Set([first.items[0]!.id, second.items[0]!.id])).toEqual(new Set([ids['running'], ids['recovered']]));
      const bad = await harness.call('GET', `/api/v1/business-units/${unitId}/data-sources?health=stale`);
      expect(bad.statusCode).toBe(400);
    });

    it('computes the health of a page in three queries, whatever its size', async () => {
      let queries = 0;
      const counted = protectionDb(harness.server.database).withPlugin({
        transformQuery(args) {
          queries++;
          return args.node;
        },
        async transformResult(args) {
          return args.result;
        },
      });
      const rows = await counted
        .selectFrom('protection_data_sources')
        .selectAll()
        .where('bu_id', '=', unitId)
        .execute();
      expect(rows).toHaveLength(7);
      queries = 0;
      const one = await healthOfSources(counted, rows.slice(0, 1), now);
      expect(one.size).toBe(1);
      expect(queries).toBe(3);
      queries = 0;
      const all = await healthOfSources(counted, rows, now);
      expect(all.size).toBe(7);
      expect(queries).toBe(3);
    });
  });

  it('names the field of a data source name already taken', async () => {
    const first = await harness.createDataSource({ hostname: 'taken-a' });
    const second = await harness.createDataSource({ hostname: 'taken-b' });
    const name = (await harness.call('GET', `/api/v1/data-sources/${first}`)).json<{ name: string }>().name;
    const created = await harness.call('POST', '/api/v1/data-sources', {
      buId: harness.unitId,
      hostname: 'other',
      name,
    });
    expect(created.statusCode).toBe(409);
    expect(created.json()).toMatchObject({ field: 'name' });
    const renamed = await harness.call('PATCH', `/api/v1/data-sources/${second}`, { name });
    expect(renamed.statusCode).toBe(409);
    expect(renamed.json()).toMatchObject({ field: 'name' });
  });

  it('puts the configured public address into enrolment tokens unless the request names another', async () => {
    const address = await harness.call('GET', '/api/v1/server/public-address');
    expect(address.statusCode).toBe(200);
    expect(address.json()).toEqual({ publicUrl: 'https://backup.example.com' });
    const id = await harness.createDataSource({ hostname: 'enrol-default' });
    const issued = await harness.call('POST', `/api/v1/data-sources/${id}/enrolment-tokens`, {});
    expect(issued.statusCode).toBe(201);
    const body = issued.json<{ token: string; serverUrl: string | null }>();
    expect(body.serverUrl).toBe('https://backup.example.com');
    expect(parseEnrolmentToken(body.token).u).toBe('https://backup.example.com');
    const other = await harness.call('POST', `/api/v1/data-sources/${id}/enrolment-tokens`, {
      serverUrl: 'https://10.0.0.5:8443',
    });
    expect(other.json<{ serverUrl: string }>().serverUrl).toBe('https://10.0.0.5:8443');
    expect(parseEnrolmentToken(other.json<{ token: string }>().token).u).toBe('https://10.0.0.5:8443');
  });

  it('pages snapshots by cursor, newest first, and types consumption records', async () => {
    const id = await harness.createDataSource({ hostname: 'many-snapshots' });
    const db = protectionDb(harness.server.database);
    const source = await db
      .selectFrom('protection_data_sources')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    const snapshotIds: string[] = [];
    for (let i = 0; i < 5; i++) {
      const snapshotId = randomBytes(32).toString('hex');
      snapshotIds.push(snapshotId);
      await db
        .insertInto('protection_snapshots')
        .values({
          vault_id: source.vault_id,
          id: snapshotId,
          data_source_id: id,
          job_id: null,
          // Two share a time: the id orders them.
          time_ms: now - Math.min(i, 3) * hour,
          ref_count: 0,
          plain_bytes: 10 * i,
          stored_bytes: 0,
          unique_bytes: 0,
          committed_at: now,
          forgotten_at: null,
        })
        .execute();
      await db
        .insertInto('protection_snapshot_usage')
        .values({
          vault_id: source.vault_id,
          snapshot_id: snapshotId,
          data_source_id: id,
          day: Math.floor(now / 86_400_000),
          protected_bytes: 1000 + i,
          stored_bytes_unique: 10,
          bytes_added: 5,
          bytes_transferred: 7,
          file_count: 3,
          duration_ms: 100,
          recorded_at: now,
        })
        .execute();
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor ? `limit=2&cursor=${cursor}` : 'limit=2';
      const response = await harness.call('GET', `/api/v1/data-sources/${id}/snapshots?${query}`);
      expect(response.statusCode, response.body).toBe(200);
      const page = response.json<{ items: { id: string; time: string }[]; nextCursor: string | null }>();
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((item) => item.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(5);
    const tied = [snapshotIds[3]!, snapshotIds[4]!].sort().reverse();
    expect(seen).toEqual([snapshotIds[0], snapshotIds[1], snapshotIds[2], ...tied]);
    const bad = await harness.call('GET', `/api/v1/data-sources/${id}/snapshots?cursor=bm90LWpzb24`);
    expect(bad.statusCode).toBe(400);

    const consumption = await harness.call('GET', `/api/v1/data-sources/${id}/consumption`);
    expect(consumption.statusCode).toBe(200);
    const records = consumption.json<{ snapshots: Record<string, unknown>[] }>().snapshots;
    expect(records).toHaveLength(5);
    expect(Object.keys(records[0]!).sort()).toEqual(
      [
        'snapshotId',
        'vaultId',
        'day',
        'protectedBytes',
        'storedBytesUnique',
        'bytesAdded',
        'bytesTransferred',
        'fileCount',
        'durationMs',
        'recordedAt',
      ].sort(),
    );
  });
});
