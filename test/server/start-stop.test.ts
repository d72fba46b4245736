import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, expect, it } from 'vitest';
import { createLogger } from '../../src/platform/index.ts';
import { startServer } from '../../src/server/main.ts';
import { describeEachDatabase } from '../helpers/databases.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function sink(): Writable & { text: string } {
  const stream = new Writable({
    write(chunk, _encoding, done) {
      stream.text += String(chunk);
      done();
    },
  }) as Writable & { text: string };
  stream.text = '';
  return stream;
}

describeEachDatabase('server start-up', (factory) => {
  it('migrates, bootstraps, runs background jobs and their schedules, and stops gracefully', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'coffer-start-'));
    dirs.push(dataDir);
    const database = await factory.create({ migrate: false });
    // The server opens its own pool; on PostgreSQL the URL selects this test's schema.
    const databaseUrl =
      database.dialect === 'postgres'
        ? `${database.url}?options=${encodeURIComponent(`-c search_path=${database.searchPath}`)}`
        : database.url;
    const env: NodeJS.ProcessEnv = {
      COFFER_DATA_DIR: dataDir,
      COFFER_PORT: '0',
      COFFER_TLS_PORT: 'off',
      COFFER_DATABASE_URL: databaseUrl,
    };
    const out = sink();
    const server = await startServer({ env, out, log: createLogger({ level: 'silent' }) });
    try {
      expect(out.text).toMatch(/One-time password:/);
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
      const schedules = await server.background.scheduler.listSchedules();
      expect(schedules.map((s) => s.name)).toContain('platform.purge-finished-jobs');
      const job = await server.background.queue.enqueue('platform.purge-finished-jobs', {});
      await expect
        .poll(async () => (await server.background.queue.get(job.id))?.status, { timeout: 15_000, interval: 200 })
        .toBe('succeeded');
      if (database.dialect === 'postgres') {
        const rows = await database.kysely.selectFrom('server_state').select('key').execute();
        expect(rows.map((r) => r.key)).toContain('bootstrapped_at');
      }
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      expect(metrics).toMatch(/coffer_jobs\{status="succeeded"\} [1-9]/);
    } finally {
      await server.stop();
    }
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
  });
});
