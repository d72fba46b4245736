/**
 * Data path benchmark (`npm run bench:datapath`): 1, 8 and 32 agents back up concurrently
 * to one `coffer server` process over pinned HTTPS on loopback. Reports aggregate
 * throughput, the server's CPU and peak RSS, p99 latency of the missing-blobs call, and one
 * agent's throughput through the server against the engine's local-repository throughput
 * in the same run (alternating pairs, median ratio). Agents run in this process (the engine
 * with one worker thread each, the agent daemon's GC setting); data is incompressible.
 * Results: bench/.work/datapath-results.json.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { enrol } from '../../src/agent/enrol.ts';
import { HttpBlobStore } from '../../src/agent/http-blob-store.ts';
import { type RequestOptions, type Response, ServerConnection } from '../../src/agent/http-client.ts';
import { confirmIndexWithServer } from '../../src/agent/server-index-check.ts';
import { tuneGcForStreaming } from '../../src/cli/gc-tuning.ts';
import { backup, initRepository, openRepository } from '../../src/engine/index.ts';
import { openDatabase, systemClock } from '../../src/platform/index.ts';
import { FsBlobStore } from '../../src/storage/index.ts';
import { findRootUnits } from '../../src/tenancy/index.ts';
import { createApiKey, createUser, type IdentityTestServer } from '../../test/helpers/principals.ts';
import { machineBusySeconds, percentile, processCpuSeconds, samplePeakRss } from './process-stats.ts';

const mib = 1024 * 1024;
const agentCounts = (process.env.BENCH_AGENTS ?? '1,8,32').split(',').map(Number);
/** Alternating local/one-agent pairs: single runs of ~2 s on a shared VM vary by 1.5×, a median of pairs does not. */
const pairs = Number(process.env.BENCH_PAIRS ?? 5);
const totalBytes = Number(process.env.BENCH_TOTAL_MIB ?? 256) * mib;
const fileBytes = 4 * mib;
const cofferBin = fileURLToPath(new URL('../../bin/coffer.js', import.meta.url));
const resultsPath = fileURLToPath(new URL('../.work/datapath-results.json', import.meta.url));

/** A connection that times every missing-blobs call. */
class TimedConnection extends ServerConnection {
  readonly latencies: number[];
  constructor(options: ConstructorParameters<typeof ServerConnection>[0], latencies: number[]) {
    super(options);
    this.latencies = latencies;
  }
  override async request(method: string, path: string, options?: RequestOptions): Promise<Response> {
    if (!path.endsWith('/blobs/missing')) return super.request(method, path, options);
    const started = performance.now();
    const response = await super.request(method, path, options);
    this.latencies.push(performance.now() - started);
    return response;
  }
}

async function startServer(dataDir: string): Promise<{ child: ChildProcess; url: string; httpsUrl: string }> {
  // BENCH_SERVER_PROFILE=dir writes the server's CPU profile there (summary: bench/engine/profile-summary.ts);
  // BENCH_SERVER_FLAGS passes Node/V8 flags to the server process (experiments).
  const profile = process.env.BENCH_SERVER_PROFILE;
  const flags = (process.env.BENCH_SERVER_FLAGS ?? '').split(' ').filter(Boolean);
  const child = spawn(
    process.execPath,
    [...(profile ? ['--cpu-prof', '--cpu-prof-dir', profile] : []), ...flags, cofferBin, 'server'],
    {
      env: {
        ...process.env,
        COFFER_DATA_DIR: dataDir,
        COFFER_PORT: '0',
        COFFER_TLS_PORT: '0',
        COFFER_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let output = '';
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const http = /listening on (http:\S+)/.exec(output);
      const https = /HTTPS on (https:\S+)/.exec(output);
      if (http && https) resolve({ child, url: http[1]!, httpsUrl: https[1]! });
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${output}`)));
  });
}

async function api<T>(url: string, key: string, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

function writeData(directory: string, bytes: number): void {
  mkdirSync(directory, { recursive: true });
  for (let i = 0, left = bytes; left > 0; i++, left -= fileBytes) {
    writeFileSync(join(directory, `data-${i}.bin`), randomBytes(Math.min(fileBytes, left)));
  }
}

interface RoundResult {
  agents: number;
  bytesPerAgent: number;
  seconds: number;
  aggregateMiBps: number;
  perAgentMiBps: { min: number; median: number; max: number };
  serverCpuCores: number;
  serverPeakRssMiB: number;
  clientCpuCores: number;
  machineBusyCores: number;
  missingCalls: number;
  missingP50ms: number;
  missingP99ms: number;
}

async function round(
  server: { child: ChildProcess; url: string; httpsUrl: string },
  key: string,
  root: string,
  work: string,
  agents: number,
): Promise<RoundResult> {
  const unit = await api<{ id: string }>(server.url, key, 'POST', '/api/v1/business-units', {
    parentId: root,
    name: `bench ${agents} ${randomBytes(3).toString('hex')}`,
  });
  const bytesPerAgent = Math.floor(totalBytes / agents);
  const latencies: number[] = [];
  const prepared = [];
  for (let i = 0; i < agents; i++) {
    const data = join(work, `r${agents}`, `agent-${i}`);
    writeData(data, bytesPerAgent);
    const source = await api<{ id: string }>(server.url, key, 'POST', '/api/v1/data-sources', {
      buId: unit.id,
      hostname: `bench-${agents}-${i}`,
      policy: { paths: [data], schedules: [] },
    });
    const token = await api<{ token: string }>(
      server.url,
      key,
      'POST',
      `/api/v1/data-sources/${source.id}/enrolment-tokens`,
      {},
    );
    const credentials = await enrol({
      token: token.token,
      server: server.httpsUrl,
      directory: join(data, '..', `state-${i}`),
    });
    prepared.push({ data, credentials });
  }
  const serverCpu0 = processCpuSeconds(server.child.pid!);
  const clientCpu0 = process.cpuUsage();
  const busy0 = machineBusySeconds();
  const rss = samplePeakRss(server.child.pid!);
  const started = performance.now();
  let running = true;
  const durations = await Promise.all(
    prepared.map(async ({ data, credentials }) => {
      const connection = new TimedConnection(
        { url: credentials.serverUrl, pins: credentials.pins, credential: credentials.credential },
        latencies,
      );
      const probe = (async () => {
        // The missing-blobs call under load: 1,024 IDs every 250 ms while the backups run.
        while (running) {
          const ids = randomBytes(1024 * 32);
          await connection.request('POST', `/api/v1/agent/vaults/${credentials.vaultId}/blobs/missing`, { body: ids });
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      })();
      const session = (
        await connection.request('POST', '/api/v1/agent/sessions', {
          body: { vaultId: credentials.vaultId, kind: 'backup' },
        })
      ).json<{ sessionId: string }>();
      const store = new HttpBlobStore(connection, credentials.vaultId, () => session.sessionId);
      const repository = await openRepository(store, { key: Buffer.from(credentials.agentKey, 'base64') });
      confirmIndexWithServer(repository, connection, credentials.vaultId);
      const t0 = performance.now();
      await backup(repository, { paths: [data], hostname: credentials.hostname, workers: 1 });
      const seconds = (performance.now() - t0) / 1000;
      await connection.request('DELETE', `/api/v1/agent/sessions/${session.sessionId}`);
      return { seconds, probe, connection };
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  running = false;
  await Promise.all(durations.map((d) => d.probe));
  for (const d of durations) d.connection.close();
  const serverCpu = processCpuSeconds(server.child.pid!) - serverCpu0;
  const client = process.cpuUsage(clientCpu0);
  const perAgent = durations.map((d) => bytesPerAgent / mib / d.seconds).sort((a, b) => a - b);
  return {
    agents,
    bytesPerAgent,
    seconds,
    aggregateMiBps: (bytesPerAgent * agents) / mib / seconds,
    perAgentMiBps: { min: perAgent[0]!, median: percentile(perAgent, 50), max: perAgent[perAgent.length - 1]! },
    serverCpuCores: serverCpu / seconds,
    serverPeakRssMiB: rss.stop() / mib,
    clientCpuCores: (client.user + client.system) / 1e6 / seconds,
    machineBusyCores: (machineBusySeconds() - busy0) / seconds,
    missingCalls: latencies.length,
    missingP50ms: percentile(latencies, 50),
    missingP99ms: percentile(latencies, 99),
  };
}

/** The engine alone: the same amount of data into a local repository (fsync'ed like the server's zone). */
async function localBaseline(work: string): Promise<{ seconds: number; MiBps: number }> {
  const data = join(work, 'local-data');
  writeData(data, totalBytes);
  const repository = await initRepository(new FsBlobStore(join(work, 'local-repo')), { key: randomBytes(32) });
  const t0 = performance.now();
  await backup(repository, { paths: [data], hostname: 'local', workers: 1 });
  const seconds = (performance.now() - t0) / 1000;
  rmSync(data, { recursive: true, force: true });
  rmSync(join(work, 'local-repo'), { recursive: true, force: true });
  return { seconds, MiBps: totalBytes / mib / seconds };
}

/** The median of `values` (not sorted in place). */
function median(values: readonly number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
}

async function main(): Promise<void> {
  // The agents run in this process: give it the agent daemon's GC setting (`coffer agent run`).
  tuneGcForStreaming();
  const work = mkdtempSync(join(tmpdir(), 'coffer-bench-datapath-'));
  const load0 = loadavg()[0]!;
  const server = await startServer(join(work, 'server'));
  try {
    const database = await openDatabase(`sqlite:${join(work, 'server', 'coffer.db')}`);
    const fake = { database, clock: systemClock } as unknown as IdentityTestServer;
    const [root] = await findRootUnits(database);
    const key = (await createApiKey(fake, await createUser(fake, { buId: root!.id, role: 'administrator' }))).token;
    await database.close();
    // One agent against the local engine: alternating pairs, so that both sides see the
    // same drift of this shared machine; the figure is the median of the pairs' ratios.
    const comparison: { localMiBps: number; agentMiBps: number; ratio: number }[] = [];
    const rounds: RoundResult[] = [];
    for (let pair = 0; agentCounts.includes(1) && pair < pairs; pair++) {
      const local = await localBaseline(work);
      const single = await round(server, key, root!.id, work, 1);
      rmSync(join(work, 'r1'), { recursive: true, force: true });
      if (pair === 0) rounds.push(single);
      comparison.push({
        localMiBps: local.MiBps,
        agentMiBps: single.aggregateMiBps,
        ratio: single.aggregateMiBps / local.MiBps,
      });
      process.stderr.write(
        `pair ${pair + 1}: local ${local.MiBps.toFixed(1)} MiB/s, one agent ${single.aggregateMiBps.toFixed(1)} MiB/s (${((100 * single.aggregateMiBps) / local.MiBps).toFixed(0)} %), server ${single.serverCpuCores.toFixed(2)} cores\n`,
      );
    }
    for (const agents of agentCounts.filter((count) => count !== 1)) {
      const result = await round(server, key, root!.id, work, agents);
      process.stderr.write(`${agents} agents: ${JSON.stringify(result)}\n`);
      rounds.push(result);
      rmSync(join(work, `r${agents}`), { recursive: true, force: true });
    }
    const results = {
      measuredAt: new Date().toISOString(),
      machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
      loadAverageAtStart: load0,
      loadAverageAtEnd: loadavg()[0],
      totalMiBPerRound: totalBytes / mib,
      rounds,
      singleAgentVsLocal:
        comparison.length === 0
          ? null
          : {
              pairs: comparison,
              medianLocalMiBps: median(comparison.map((c) => c.localMiBps)),
              medianAgentMiBps: median(comparison.map((c) => c.agentMiBps)),
              medianRatio: median(comparison.map((c) => c.ratio)),
            },
    };
    mkdirSync(join(resultsPath, '..'), { recursive: true });
    writeFileSync(resultsPath, `${JSON.stringify(results, null, 2)}\n`);
    process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  } finally {
    server.child.kill('SIGTERM');
    await new Promise((resolve) => server.child.once('exit', resolve));
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
