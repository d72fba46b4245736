import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCoffer } from '../helpers/processes.ts';
import { type S3Server, startS3Server } from '../helpers/s3.ts';
import { describeTree, pseudoRandomBytes, writeTree } from '../protection/files.ts';
import {
  type AgentProcess,
  Api,
  adminApiKey,
  type CofferServer,
  finishedJob,
  freePort,
  type JobBody,
  startAgent,
  startCofferServer,
} from './helpers.ts';

const packSize = 1024 * 1024;

/**
 * The data path end to end with real processes: a `coffer server` with HTTPS and its
 * generated certificate, `coffer agent` processes that enrol (pinning it) and run jobs.
 * The same suite runs on a filesystem vault and on an S3 vault (s3rver).
 */
export function defineAgentSuite(options: { s3: boolean }): void {
  describe(`agents end to end (${options.s3 ? 'S3' : 'filesystem'} vault)`, { timeout: 150_000 }, () => {
    let work: string;
    let server: CofferServer;
    let s3: S3Server | undefined;
    let api: Api;
    let env: NodeJS.ProcessEnv;
    let source: string;
    let dataSourceId: string;
    let vaultId: string;
    let agentDir: string;
    let agent: AgentProcess | undefined;

    const backupNow = async (): Promise<string> =>
      (await api.call<{ id: string }>('POST', `/api/v1/data-sources/${dataSourceId}/backups`, {})).id;
    const restore = async (body: Record<string, unknown>): Promise<JobBody> => {
      const job = await api.call<{ id: string }>('POST', `/api/v1/data-sources/${dataSourceId}/restores`, body);
      return finishedJob(api, job.id);
    };
    const vault = () => api.call<{ packs: number; snapshots: number }>('GET', `/api/v1/vaults/${vaultId}`);

    beforeAll(async () => {
      work = mkdtempSync(join(tmpdir(), 'coffer-e2e-'));
      const dataDir = join(work, 'server');
      env = {
        COFFER_DATA_DIR: dataDir,
        COFFER_PORT: String(await freePort()),
        COFFER_TLS_PORT: String(await freePort()),
      };
      if (options.s3) s3 = await startS3Server();
      server = await startCofferServer(env);
      api = new Api(server.url, await adminApiKey(`sqlite:${join(dataDir, 'coffer.db')}`));
      source = join(work, 'source');
      writeTree(source, { files: 5, size: 150_000 });
      const root = await rootUnit(api);
      const unit = await api.call<{ id: string }>('POST', '/api/v1/business-units', {
        parentId: root,
        name: 'Acme',
        code: 'acme',
      });
      let zoneId: string | undefined;
      if (s3) {
        const zone = await api.call<{ id: string }>('POST', `/api/v1/business-units/${unit.id}/zones`, {
          name: 'zone 1',
          s3: { ...s3.options, prefix: 'coffer/' },
        });
        zoneId = zone.id;
      }
      const created = await api.call<{ id: string; name: string; vaultId: string }>('POST', '/api/v1/data-sources', {
        buId: unit.id,
        hostname: 'web01',
        ...(zoneId ? { zoneId } : {}),
        policy: { paths: [source], schedules: [] },
      });
      expect(created.name).toBe('web01');
      dataSourceId = created.id;
      vaultId = created.vaultId;
    }, 120_000);

    afterAll(async () => {
      if (process.env.COFFER_E2E_LOG) {
        writeFileSync(
          process.env.COFFER_E2E_LOG,
          `${server?.process.output().stderr}\n---agent---\n${agent?.output()}`,
        );
      }
      await agent?.stop('SIGKILL');
      await server?.stop();
      await s3?.stop();
      if (work) rmSync(work, { recursive: true, force: true });
    });

    it('enrols over HTTPS, pins the self-signed certificate, keeps its credential 0600, and refuses a replayed token', async () => {
      const issued = await api.call<{ token: string; fingerprint: string }>(
        'POST',
        `/api/v1/data-sources/${dataSourceId}/enrolment-tokens`,
        {},
      );
      expect(issued.fingerprint).toBe(server.fingerprint);
      agentDir = join(work, 'agent');
      const enrolled = await runCoffer(
        ['agent', 'enroll', '--token', issued.token, '--server', server.httpsUrl, '--dir', agentDir, '--json'],
        { COFFER_AGENT_PACK_SIZE: String(packSize), COFFER_AGENT_HOSTNAME: 'web01' },
        60_000,
      );
      expect(enrolled.stderr).toBe('');
      expect(JSON.parse(enrolled.stdout)).toMatchObject({ dataSourceId, pinned: [server.fingerprint] });
      expect(statSync(join(agentDir, 'agent.json')).mode & 0o777).toBe(0o600);
      const replay = await runCoffer(
        ['agent', 'enroll', '--token', issued.token, '--server', server.httpsUrl, '--dir', join(work, 'other')],
        {},
        60_000,
      );
      expect(replay.code).toBe(1);
      expect(replay.stderr).toMatch(/already used/);
      agent = startAgent(agentDir);
    });

    it('runs an on-demand backup and restores one file and everything byte-identical with metadata', async () => {
      const job = await finishedJob(api, await backupNow());
      expectSuccess(job);
      const all = await restore({ target: join(work, 'restore-all') });
      expectSuccess(all);
      expect(describeTree(join(work, 'restore-all', source))).toEqual(describeTree(source));
      const file = join(source, 'docs', 'file-0.bin');
      const one = await restore({ target: join(work, 'restore-one'), paths: [file] });
      expectSuccess(one);
      expect(describeTree(join(work, 'restore-one', source))['docs/file-0.bin']).toBe(
        describeTree(source)['docs/file-0.bin'],
      );
    });

    it('resumes after the agent is killed mid-upload: only the packs the server lacks are sent', async () => {
      // Enough packs that the kill after the third lands well before the last one.
      writeFileSync(join(source, 'big-1.bin'), pseudoRandomBytes(77, 24 * packSize));
      const before = (await vault()).packs;
      const jobId = await backupNow();
      await api.until(vault, (v) => v.packs >= before + 3, 60_000, 'packs of the first attempt');
      await agent!.stop('SIGKILL');
      agent = startAgent(agentDir);
      const job = await finishedJob(api, jobId);
      expectSuccess(job);
      expect(job.attempts).toBe(2);
      // The second attempt skipped what the first had stored.
      expect(job.stats?.['bytesAdded']).toBeLessThan(24 * packSize - 2 * packSize);
      const check = await restore({ target: join(work, 'restore-resumed') });
      expectSuccess(check);
      expect(describeTree(join(work, 'restore-resumed', source))).toEqual(describeTree(source));
    });

    if (!options.s3) {
      it('finishes a backup across a server killed mid-upload, losing nothing committed', async () => {
        const committed = describeTree(source);
        const [previous] = (
          await api.call<{ items: { id: string }[] }>('GET', `/api/v1/data-sources/${dataSourceId}/snapshots`)
        ).items;
        writeFileSync(join(source, 'big-2.bin'), pseudoRandomBytes(78, 8 * packSize));
        const before = (await vault()).packs;
        const jobId = await backupNow();
        await api.until(vault, (v) => v.packs >= before + 2, 60_000, 'packs before the server dies');
        await server.stop('SIGKILL');
        server = await startCofferServer(env);
        const job = await finishedJob(api, jobId);
        expectSuccess(job);
        const latest = await restore({ target: join(work, 'restore-after-crash') });
        expectSuccess(latest);
        expect(describeTree(join(work, 'restore-after-crash', source))).toEqual(describeTree(source));
        const old = await restore({ target: join(work, 'restore-previous'), snapshot: previous!.id });
        expectSuccess(old);
        expect(describeTree(join(work, 'restore-previous', source))).toEqual(committed);
      });

      it('fires a scheduled backup at its slot, and records missed runs while the agent is offline', async () => {
        await api.call('PATCH', `/api/v1/data-sources/${dataSourceId}`, {
          policy: {
            paths: [source],
            schedules: [{ name: 'every10s', cron: '*/10 * * * * *', timezone: 'Europe/Berlin' }],
          },
        });
        const scheduled = await api.until(
          () => api.call<{ items: JobBody[] }>('GET', `/api/v1/data-sources/${dataSourceId}/jobs?kind=backup`),
          (page) => page.items.some((job) => job.trigger === 'schedule' && job.status === 'success'),
          60_000,
          'a scheduled backup',
        );
        const fired = scheduled.items.find((job) => job.trigger === 'schedule' && job.status === 'success')!;
        expect(new Date(fired.scheduledFor!).getUTCSeconds() % 10).toBe(0);
        expect(Date.parse(fired.startedAt!)).toBeGreaterThanOrEqual(Date.parse(fired.scheduledFor!));

        await agent!.stop('SIGKILL');
        agent = undefined;
        await api.call('PATCH', `/api/v1/data-sources/${dataSourceId}`, {
          policy: {
            paths: [source],
            missedAfterSeconds: 1,
            schedules: [{ name: 'every3s', cron: '*/3 * * * * *', timezone: 'UTC' }],
          },
        });
        const missed = await api.until(
          () => api.call<{ items: JobBody[] }>('GET', `/api/v1/data-sources/${dataSourceId}/jobs?status=missed`),
          (page) => page.items.length > 0,
          30_000,
          'a missed run',
        );
        expect(missed.items[0]!.error).toMatch(/did not start/);
        await api.call('PATCH', `/api/v1/data-sources/${dataSourceId}`, { policy: { paths: [source], schedules: [] } });
      });

      it('keeps a pinned agent connected through a certificate rotation announced through the API', async () => {
        agent = startAgent(agentDir);
        const announced = await api.call<{ next: { fingerprint256: string } }>(
          'PUT',
          '/api/v1/server/certificate/next',
          {
            generate: true,
          },
        );
        const next = announced.next.fingerprint256;
        await api.until(
          async () => (JSON.parse(readFileSync(join(agentDir, 'agent.json'), 'utf8')) as { pins: string[] }).pins,
          (pins) => pins.includes(next),
          30_000,
          'the agent pinning the announced certificate',
        );
        await api.call('POST', '/api/v1/server/certificate/activate', {});
        await agent.stop();
        agent = startAgent(agentDir);
        expectSuccess(await finishedJob(api, await backupNow()));
        await agent.stop();
        agent = undefined;
      });

      it('refuses a server presenting another certificate on the pinned address', async () => {
        await server.stop();
        const impostor = await startCofferServer({ ...env, COFFER_DATA_DIR: join(work, 'impostor') });
        try {
          const run = await runCoffer(['agent', 'run', '--dir', agentDir, '--once'], {}, 60_000);
          expect(run.code).toBe(1);
          expect(run.stderr).toMatch(/not the pinned/);
        } finally {
          await impostor.stop();
          server = await startCofferServer(env);
        }
      });
    }

    if (options.s3) {
      it('rebuilds the index and catalog from the zone alone; restore still works', async () => {
        await agent?.stop('SIGKILL');
        agent = undefined;
        await server.stop();
        const rebuilt = await runCoffer(['admin', 'rebuild-index', '--vault', vaultId, '--json'], env, 120_000);
        expect(rebuilt.code).toBe(0);
        const report = JSON.parse(rebuilt.stdout.trim().split('\n').pop()!);
        expect(report).toMatchObject({ vaultId, unreadablePacks: [], unreadableSnapshots: [] });
        expect(report.snapshots).toBeGreaterThanOrEqual(2);
        server = await startCofferServer(env);
        agent = startAgent(agentDir);
        appendFileSync(join(source, 'docs', 'readme.txt'), 'after the rebuild\n');
        expectSuccess(await finishedJob(api, await backupNow()));
        const check = await restore({ target: join(work, 'restore-rebuilt') });
        expectSuccess(check);
        expect(describeTree(join(work, 'restore-rebuilt', source))).toEqual(describeTree(source));
      });
    }
  });
}

/** Shows the job's error when it did not succeed. */
function expectSuccess(job: JobBody): void {
  expect({ status: job.status, error: job.error, warnings: job.warnings }).toEqual({
    status: 'success',
    error: null,
    warnings: [],
  });
}

async function rootUnit(api: Api): Promise<string> {
  const me = await api.call<{ principal: { scopeBuId: string } }>('GET', '/api/v1/me');
  return me.principal.scopeBuId;
}
