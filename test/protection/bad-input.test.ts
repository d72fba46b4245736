import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { HttpBlobStore } from '../../src/agent/http-blob-store.ts';
import { ServerError } from '../../src/agent/http-client.ts';
import { openRepository, PackBuilder, packKey } from '../../src/engine/index.ts';
import { protectionDb } from '../../src/protection/db.ts';
import { configureProtection } from '../../src/protection/index.ts';
import type { BlobStore } from '../../src/storage/index.ts';
import { describeEachDatabase } from '../helpers/databases.ts';
import { pseudoRandomBytes, writeTree } from './files.ts';
import { buildProtectionHarness, type ProtectionHarness, type TestAgent } from './harness.ts';

/**
 * A zone store that fails writes of packs with ENOSPC while `full` is set (a disk filling
 * up), and holds writes of packs while `held` is set (an upload in flight, for cancelling).
 */
const disk: { full: boolean; held: PromiseWithResolvers<void> | null; waiting: number } = {
  full: false,
  held: null,
  waiting: 0,
};
function fillable(_zoneId: string, store: BlobStore): BlobStore {
  return {
    put: async (key, data) => {
      if (disk.held && key.includes('/data/')) {
        disk.waiting += 1;
        await disk.held.promise;
      }
      if (disk.full && key.includes('/data/')) {
        const error = new Error('ENOSPC: no space left on device, write') as NodeJS.ErrnoException;
        error.code = 'ENOSPC';
        throw error;
      }
      return store.put(key, data);
    },
    get: (key, options) => store.get(key, options),
    head: (key) => store.head(key),
    list: (prefix) => store.list(prefix),
    delete: (key) => store.delete(key),
  };
}

function onePack(seed: number): { bytes: Uint8Array; id: string } {
  const builder = new PackBuilder(0, new Uint8Array(1 << 16));
  const payload = pseudoRandomBytes(seed, 1000);
  builder.add(randomBytes(32), randomBytes(32), 0, 0, payload.byteLength, payload);
  const { bytes, id } = builder.finish();
  return { bytes: bytes.slice(), id: Buffer.from(id).toString('hex') };
}

describeEachDatabase('data path bad input', (factory) => {
  let harness: ProtectionHarness;
  let work: string;
  let source: string;
  let dataSourceId: string;
  let agent: TestAgent;
  let firstSnapshot: string;

  beforeAll(async () => {
    configureProtection({ wrapStore: fillable, fastFilesystem: true });
    work = mkdtempSync(join(tmpdir(), 'coffer-bad-'));
    source = join(work, 'source');
    writeTree(source, { files: 3, size: 50_000 });
    harness = await buildProtectionHarness(factory);
    dataSourceId = await harness.createDataSource({ policy: { paths: [source] } });
    agent = await harness.enrolAgent(dataSourceId);
    await harness.call('POST', `/api/v1/data-sources/${dataSourceId}/backups`, {});
    await agent.runOnce();
    const snapshots = (await harness.call('GET', `/api/v1/data-sources/${dataSourceId}/snapshots`)).json<{
      items: { id: string }[];
    }>();
    firstSnapshot = snapshots.items[0]!.id;
  });

  afterAll(async () => {
    configureProtection({});
    await harness?.close();
    rmSync(work, { recursive: true, force: true });
  });

  async function session(): Promise<string> {
    return (await agent.api().openSession(agent.credentials.vaultId, 'backup')).sessionId;
  }

  async function putRaw(key: string, body: Uint8Array, sessionId?: string): Promise<ServerError | undefined> {
    const store = new HttpBlobStore(agent.api().connection, agent.credentials.vaultId, () => sessionId);
    try {
      await store.put(key, body);
      return undefined;
    } catch (error) {
      if (error instanceof ServerError) return error;
      throw error;
    }
  }

  async function snapshotCount(): Promise<number> {
    const rows = await protectionDb(harness.server.database)
      .selectFrom('protection_snapshots')
      .select('id')
      .where('forgotten_at', 'is', null)
      .execute();
    return rows.length;
  }

  async function until(condition: () => boolean, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error('condition not met in time');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  async function packRows(): Promise<number> {
    return (await protectionDb(harness.server.database).selectFrom('protection_packs').select('pack_id').execute())
      .length;
  }

  it('refuses a pack whose content does not match its name, or whose headers disagree, storing nothing', async () => {
    const sessionId = await session();
    const before = await packRows();
    const good = onePack(1);
    const wrongName = await putRaw(packKey(onePack(2).id), good.bytes, sessionId);
    expect(wrongName?.status).toBe(400);
    expect(wrongName?.message).toMatch(/does not match its name/);

    const tampered = good.bytes.slice();
    tampered[8 + 34] = (tampered[8 + 34] ?? 0) ^ 0xff; // plainLength in the first record header; the trailer still says otherwise
    const tamperedId = createHash('sha256').update(tampered).digest('hex');
    const badHeaders = await putRaw(packKey(tamperedId), tampered, sessionId);
    expect(badHeaders?.status).toBe(400);
    expect(badHeaders?.message).toMatch(/disagrees with the trailer|record/);

    const noSession = await putRaw(packKey(good.id), good.bytes);
    expect(noSession?.status).toBe(400);
    expect(await packRows()).toBe(before);
    const store = new HttpBlobStore(agent.api().connection, agent.credentials.vaultId);
    expect(await store.head(packKey(tamperedId))).toBeUndefined();
  });

  it('refuses a snapshot that references blobs the vault does not hold, and an index naming unknown packs', async () => {
    const sessionId = await session();
    const store = new HttpBlobStore(agent.api().connection, agent.credentials.vaultId, () => sessionId);
    const repository = await openRepository(store, { key: Buffer.from(agent.credentials.agentKey, 'base64') });
    const missing = randomBytes(32);
    const error = await repository
      .writeSnapshot(
        {
          version: 1,
          time: new Date().toISOString(),
          hostname: 'x',
          username: 'x',
          paths: ['/x'],
          tags: [],
          excludes: [],
          parent: null,
          tree: randomBytes(32).toString('hex'),
          summary: {
            files: 0,
            directories: 0,
            totalBytes: 0,
            bytesRead: 0,
            bytesAdded: 0,
            storedBytesAdded: 0,
            durationMs: 0,
            warnings: 0,
          },
        },
        [{ id: missing, type: 0, storedLength: 100, plainLength: 72 }],
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServerError);
    expect((error as ServerError).status).toBe(409);
    expect((error as ServerError).details['missing']).toEqual([missing.toString('hex')]);
    const snapshots = (await harness.call('GET', `/api/v1/data-sources/${dataSourceId}/snapshots`)).json<{
      items: { id: string }[];
    }>();
    expect(snapshots.items.map((s) => s.id)).toEqual([firstSnapshot]);

    const bogusIndex = Buffer.alloc(12);
    const indexError = await putRaw(
      `index/${createHash('sha256').update(bogusIndex).digest('hex')}`,
      bogusIndex,
      sessionId,
    );
    expect(indexError?.status).toBe(400);
  });

  it('keeps nothing of a truncated upload', async () => {
    const sessionId = await session();
    const pack = onePack(3);
    const url = new URL(harness.url);
    const before = await packRows();
    await new Promise<void>((resolve) => {
      const socket = connect(Number(url.port), url.hostname, () => {
        socket.write(
          `PUT /api/v1/agent/vaults/${agent.credentials.vaultId}/objects/${packKey(pack.id)} HTTP/1.1\r\n` +
            `host: ${url.host}\r\nauthorization: Bearer ${agent.credentials.credential}\r\n` +
            `x-coffer-session: ${sessionId}\r\ncontent-type: application/octet-stream\r\n` +
            `content-length: ${pack.bytes.byteLength}\r\n\r\n`,
        );
        socket.end(pack.bytes.subarray(0, pack.bytes.byteLength >> 1));
      });
      socket.on('close', () => resolve());
      socket.on('error', () => resolve());
      socket.resume();
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await packRows()).toBe(before);
    expect(
      await new HttpBlobStore(agent.api().connection, agent.credentials.vaultId).head(packKey(pack.id)),
    ).toBeUndefined();
  });

  it('answers a replayed, an expired and an unknown enrolment token clearly', async () => {
    const token = (
      await harness.call('POST', `/api/v1/data-sources/${await harness.createDataSource()}/enrolment-tokens`, {
        ttlMinutes: 5,
      })
    ).json<{ token: string }>().token;
    const enrol = (t: string) =>
      harness.call(
        'POST',
        '/api/v1/agent/enrol',
        { token: t, hostname: 'x' },
        { kind: 'session', id: '', headers: {} },
      );
    expect((await enrol(token)).statusCode).toBe(201);
    const replay = await enrol(token);
    expect(replay.statusCode).toBe(410);
    expect(replay.json<{ detail: string }>().detail).toMatch(/already used/);

    const late = (
      await harness.call('POST', `/api/v1/data-sources/${await harness.createDataSource()}/enrolment-tokens`, {
        ttlMinutes: 1,
      })
    ).json<{ token: string }>().token;
    harness.server.clock.advance(61_000);
    const expired = await enrol(late);
    expect(expired.statusCode).toBe(410);
    expect(expired.json<{ detail: string }>().detail).toMatch(/expired/);

    const forged = `cfe1.${Buffer.from(JSON.stringify({ s: randomBytes(32).toString('base64url'), f: null, u: null })).toString('base64url')}`;
    expect((await enrol(forged)).statusCode).toBe(401);
  });

  it('reports a zone that fills up mid-upload to the agent and in the job; earlier snapshots stay intact', async () => {
    writeFileSync(join(source, 'new.bin'), pseudoRandomBytes(9, 300_000));
    const before = await packRows();
    disk.full = true;
    try {
      const job = (await harness.call('POST', `/api/v1/data-sources/${dataSourceId}/backups`, {})).json<{
        id: string;
      }>();
      await agent.runOnce();
      const failed = (await harness.call('GET', `/api/v1/jobs/${job.id}`)).json<{ status: string; error: string }>();
      expect(failed.status).toBe('failed');
      expect(failed.error).toMatch(/storage zone is full \(ENOSPC\).*nothing was stored.*storage_full, HTTP 507/);
    } finally {
      disk.full = false;
    }
    expect(await packRows()).toBe(before);
    const restored = join(work, 'after-full');
    const job = (
      await harness.call('POST', `/api/v1/data-sources/${dataSourceId}/restores`, {
        target: restored,
        snapshot: firstSnapshot,
      })
    ).json<{ id: string }>();
    await agent.runOnce();
    expect((await harness.call('GET', `/api/v1/jobs/${job.id}`)).json<{ status: string }>().status).toBe('success');
  });

  it("lists the full zone in the operators' server report, one line for the repeats", async () => {
    const report = (
      await harness.call('POST', `/api/v1/business-units/${harness.server.rootId}/reports`, { kind: 'server' })
    ).json<{ body: { storageProblems: { at: number; zone: string; message: string }[] } }>();
    const problems = report.body.storageProblems;
    expect(problems).toHaveLength(1);
    expect(problems[0]!.zone).toBe('default');
    expect(problems[0]!.message).toMatch(
      /^full: put vaults\/[^ ]+\/data\/[0-9a-f]{2}\/[0-9a-f]{64}: ENOSPC: no space left on device/,
    );
    expect(problems[0]!.at).toBeLessThanOrEqual(harness.server.clock.now());
    const rows = await protectionDb(harness.server.database)
      .selectFrom('protection_storage_problems')
      .selectAll()
      .execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.kind).toBe('full');
  });

  it('stops a running backup that is cancelled: later uploads and the commit are refused, no snapshot appears', async () => {
    writeFileSync(join(source, 'cancelled.bin'), pseudoRandomBytes(11, 400_000));
    const snapshotsBefore = await snapshotCount();
    disk.held = Promise.withResolvers<void>();
    disk.waiting = 0;
    const job = (await harness.call('POST', `/api/v1/data-sources/${dataSourceId}/backups`, {})).json<{ id: string }>();
    const running = agent.runOnce();
    try {
      await until(() => disk.waiting > 0);
      const cancelled = await harness.call('POST', `/api/v1/jobs/${job.id}/cancel`, {});
      expect(cancelled.json<{ status: string }>().status).toBe('cancelled');
    } finally {
      disk.held.resolve();
      disk.held = null;
    }
    const lines = await running;
    expect(lines.join('\n')).toMatch(new RegExp(`job ${job.id}: cancelled on the server; stopped`));
    const after = (await harness.call('GET', `/api/v1/jobs/${job.id}`)).json<{ status: string; error: string }>();
    expect(after).toMatchObject({ status: 'cancelled', error: 'cancelled by a user' });
    expect(await snapshotCount()).toBe(snapshotsBefore);
    // The job's session is closed for good: the agent cannot renew or reuse it.
    const sessions = await protectionDb(harness.server.database)
      .selectFrom('protection_sessions')
      .selectAll()
      .where('job_id', '=', job.id)
      .execute();
    expect(sessions.length).toBeGreaterThan(0);
    for (const session of sessions) {
      expect(session.closed_at).not.toBeNull();
      const renewal = await agent
        .api()
        .renewSession(session.id)
        .then(
          () => null,
          (error: unknown) => error,
        );
      expect(renewal).toBeInstanceOf(ServerError);
      expect((renewal as ServerError).details).toMatchObject({ reason: 'job_cancelled', jobId: job.id });
    }
    // The next backup completes and sends what the cancelled one did not.
    const next = (await harness.call('POST', `/api/v1/data-sources/${dataSourceId}/backups`, {})).json<{
      id: string;
    }>();
    await agent.runOnce();
    expect((await harness.call('GET', `/api/v1/jobs/${next.id}`)).json<{ status: string }>().status).toBe('success');
    expect(await snapshotCount()).toBe(snapshotsBefore + 1);
  });

  it('lets agents delete only their own locks, and take shared locks only', async () => {
    const store = new HttpBlobStore(agent.api().connection, agent.credentials.vaultId);
    const refused = await store.delete(`snapshots/${firstSnapshot}`).catch((e: unknown) => e);
    expect((refused as ServerError).status).toBe(403);
    const lock = {
      version: 1,
      exclusive: true,
      hostname: 'x',
      pid: 1,
      operation: 'prune',
      createdAt: 0,
      refreshedAt: 0,
    };
    const exclusive = await putRaw(`locks/${randomBytes(16).toString('hex')}`, Buffer.from(JSON.stringify(lock)));
    expect(exclusive?.status).toBe(403);
  });
});
