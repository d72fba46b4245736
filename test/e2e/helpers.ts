import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { openDatabase, systemClock } from '../../src/platform/index.ts';
import { findRootUnits } from '../../src/tenancy/index.ts';
import { createApiKey, createUser, type IdentityTestServer } from '../helpers/principals.ts';
import { cofferBin, type ServerProcess, startServerProcess } from '../helpers/processes.ts';

/** A free TCP port on loopback (for servers that must come back on the same address). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A `coffer server` process with HTTPS (generated self-signed certificate). */
export interface CofferServer {
  readonly process: ServerProcess;
  readonly url: string;
  readonly httpsUrl: string;
  readonly fingerprint: string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export async function startCofferServer(env: NodeJS.ProcessEnv): Promise<CofferServer> {
  const process = await startServerProcess(
    { COFFER_LOG_LEVEL: 'warn', COFFER_WORKER_CONCURRENCY: '1', ...env },
    60_000,
  );
  const { stdout } = process.output();
  const match = /HTTPS on (https:\S+) \(certificate SHA-256 fingerprint ([0-9A-F:]+)/.exec(stdout);
  if (!match) throw new Error(`no HTTPS line in:\n${stdout}`);
  return {
    process,
    url: process.url,
    httpsUrl: match[1]!,
    fingerprint: match[2]!,
    async stop(signal = 'SIGTERM') {
      await process.stop(signal);
    },
  };
}

/** An administrator API key at the root, made directly in the server's database. */
export async function adminApiKey(databaseUrl: string): Promise<string> {
  const database = await openDatabase(databaseUrl);
  try {
    const fake = { database, clock: systemClock } as unknown as IdentityTestServer;
    const [root] = await findRootUnits(database);
    if (!root) throw new Error('the server has no root unit');
    const user = await createUser(fake, { buId: root.id, role: 'administrator' });
    return (await createApiKey(fake, user)).token;
  } finally {
    await database.close();
  }
}

/** A small client of the public API (plain HTTP on loopback, API key). */
export class Api {
  readonly #url: string;
  readonly #key: string;

  constructor(url: string, key: string) {
    this.#url = url;
    this.#key = key;
  }

  async call<T = Record<string, unknown>>(method: string, path: string, body?: unknown, expected?: number): Promise<T> {
    const response = await fetch(`${this.#url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.#key}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    if (expected !== undefined ? response.status !== expected : response.status >= 300) {
      throw new Error(`${method} ${path}: ${response.status} ${text}`);
    }
    return (text ? JSON.parse(text) : {}) as T;
  }

  /** Polls `read` until `done` holds (or fails after `timeoutMs`). */
  async until<T>(
    read: () => Promise<T>,
    done: (value: T) => boolean,
    timeoutMs = 60_000,
    what = 'condition',
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await read();
      if (done(value)) return value;
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value).slice(0, 800)}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

/** A running `coffer agent run` process. */
export interface AgentProcess {
  readonly child: ChildProcess;
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export function startAgent(directory: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}): AgentProcess {
  const child = spawn(process.execPath, [cofferBin, 'agent', 'run', '--dir', directory, '--wait', '2', ...extra], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    output: () => output,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

export interface JobBody {
  id: string;
  status: string;
  trigger: string;
  scheduledFor: string | null;
  startedAt: string | null;
  attempts: number;
  snapshotId: string | null;
  error: string | null;
  stats: Record<string, number> | null;
  warnings: { path: string; error: string }[];
}

/** Waits for a job to reach a final status. */
export async function finishedJob(api: Api, jobId: string, timeoutMs = 90_000): Promise<JobBody> {
  return api.until(
    () => api.call<JobBody>('GET', `/api/v1/jobs/${jobId}`),
    (job) => !['queued', 'running'].includes(job.status),
    timeoutMs,
    `job ${jobId}`,
  );
}
