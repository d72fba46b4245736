import { createLogger, type Database, ManualClock } from '../../src/platform/index.ts';
import {
  createJobQueue,
  createScheduler,
  type JobHandler,
  type JobQueue,
  type Scheduler,
} from '../../src/platform/jobs/index.ts';
import {
  createReporting,
  type DataSourceProvider,
  type DataSourceStatus,
  type ReportingOptions,
  type ReportingRuntime,
  reportingJobHandlers,
  reportingSchedules,
} from '../../src/reporting/index.ts';
import type { TenancyTables } from '../../src/tenancy/index.ts';
import type { TestDatabaseFactory } from '../helpers/databases.ts';
import {
  buildIdentityServer,
  type Credential,
  createSession,
  createUser,
  type IdentityTestServer,
  injectAs,
  type TestUser,
} from '../helpers/principals.ts';
import { type SmtpReceiver, startSmtpReceiver } from './smtp-receiver.ts';

/**
 * Data sources as the server data path will report them (issue 5 brings the real provider):
 * kept in memory, answered per subtree through the real unit tree.
 */
export class FixtureDataSources implements DataSourceProvider {
  readonly sources = new Map<string, DataSourceStatus>();
  readonly #database: Database;

  constructor(database: Database) {
    this.#database = database;
  }

  set(status: DataSourceStatus): void {
    this.sources.set(status.id, status);
  }

  update(id: string, change: Partial<DataSourceStatus>): void {
    const current = this.sources.get(id);
    if (!current) throw new Error(`no data source ${id}`);
    this.sources.set(id, { ...current, ...change });
  }

  async listForSubtree(buId: string): Promise<readonly DataSourceStatus[]> {
    const rows = await this.#database.kysely
      .withTables<TenancyTables>()
      .selectFrom('bu_closure')
      .select('descendant_id')
      .where('ancestor_id', '=', buId)
      .execute();
    const units = new Set(rows.map((r) => r.descendant_id));
    return [...this.sources.values()].filter((source) => units.has(source.buId));
  }

  async listUnassigned() {
    return [];
  }

  async storageProblems() {
    return [];
  }
}

export function dataSource(id: string, buId: string, at: number): DataSourceStatus {
  return {
    id,
    name: id,
    buId,
    lastOutcome: 'success',
    lastRunAt: at,
    lastGoodAt: at,
    protectedBytes: 50_000_000_000,
    storedBytes: 20_000_000_000,
    warnings: [],
    failureReason: null,
    agentLastSeenAt: at,
  };
}

export interface ReportingWorld {
  readonly server: IdentityTestServer;
  readonly clock: ManualClock;
  readonly runtime: ReportingRuntime;
  readonly handlers: Readonly<Record<string, JobHandler>>;
  readonly queue: JobQueue;
  readonly scheduler: Scheduler;
  readonly smtp: SmtpReceiver;
  readonly dataSources: FixtureDataSources;
  readonly admin: Credential;
  readonly adminUser: TestUser;
  /** Runs every due job (and the jobs those enqueue) to completion. Returns how many ran. */
  drain(): Promise<number>;
  /** Sets the clock, fires due schedules and drains the queue. */
  at(epochMs: number): Promise<void>;
  api(
    credential: Credential | null,
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    url: string,
    payload?: unknown,
  ): ReturnType<typeof injectAs>;
  close(): Promise<void>;
}

/**
 * A bootstrapped server (real identity, tenancy and usage), a real SMTP receiver, and a
 * reporting runtime wired to them with the job queue and scheduler, driven by a manual clock.
 */
export async function buildReportingWorld(
  factory: TestDatabaseFactory,
  options: { start: number; reporting?: Partial<ReportingOptions> } = { start: Date.UTC(2026, 0, 15, 12) },
): Promise<ReportingWorld> {
  process.env.COFFER_WEBHOOKS_ALLOW_INSECURE_LOOPBACK = 'true';
  const clock = new ManualClock(options.start);
  const server = await buildIdentityServer(factory, { clock });
  const smtp = await startSmtpReceiver();
  const queue = createJobQueue({ database: server.database, clock, random: () => 0.5 });
  const dataSources = new FixtureDataSources(server.database);
  const runtime = createReporting({
    database: server.database,
    clock,
    log: createLogger({ level: 'silent' }),
    queue,
    dataSources,
    secrets: server.identity.box,
    ...options.reporting,
    mail: {
      defaultSmtp: { host: '127.0.0.1', port: smtp.port, security: 'none', username: null, password: null },
      defaultSender: 'coffer@msp.test',
      random: () => 1,
      ...options.reporting?.mail,
    },
    webhooks: {
      allowInsecureLoopback: true,
      resolve: async () => ['127.0.0.1'],
      timeoutMs: 5_000,
      random: () => 1,
      ...options.reporting?.webhooks,
    },
  });
  const handlers = reportingJobHandlers(runtime);
  const scheduler = createScheduler({ database: server.database, clock, queue });
  for (const schedule of reportingSchedules) await scheduler.upsertSchedule(schedule);
  const adminUser = await createUser(server, { buId: server.rootId });
  const admin = await createSession(server, adminUser, { mfaVerified: true });

  async function drain(): Promise<number> {
    let ran = 0;
    for (let round = 0; round < 100; round++) {
      const claimed = await queue.claim({ limit: 20, leaseMs: 600_000 });
      if (claimed.length === 0) return ran;
      for (const { job, lease } of claimed) {
        ran++;
        const handler = handlers[job.kind];
        try {
          if (!handler) throw new Error(`no handler for ${job.kind}`);
          const controller = new AbortController();
          const result = await handler(job, { signal: controller.signal, heartbeat: async () => {} });
          await queue.complete(lease, result);
        } catch (error) {
          await queue.fail(lease, error);
          throw error;
        }
      }
    }
    throw new Error('the queue did not drain in 100 rounds');
  }

  return {
    server,
    clock,
    runtime,
    handlers,
    queue,
    scheduler,
    smtp,
    dataSources,
    admin,
    adminUser,
    drain,
    async at(epochMs: number) {
      clock.set(epochMs);
      await scheduler.tick();
      await drain();
    },
    api(credential, method, url, payload) {
      return injectAs(server.app, credential, {
        method,
        url,
        ...(payload !== undefined ? { payload: payload as object } : {}),
      });
    },
    async close() {
      await smtp.stop();
      await server.app.close();
    },
  };
}
