import type { FastifyInstance } from 'fastify';
import { type Clock, createLogger, loadConfig, ManualClock } from '../../src/platform/index.ts';
import { buildServer } from '../../src/server/index.ts';
import type { TestDatabase, TestDatabaseFactory } from './databases.ts';

export interface TestServer {
  app: FastifyInstance;
  database: TestDatabase;
  clock: Clock;
}

/** A server on a fresh database of `factory`'s dialect, driven in-process with `inject()`. */
export async function buildTestServer(
  factory: TestDatabaseFactory,
  options: { env?: NodeJS.ProcessEnv; clock?: Clock } = {},
): Promise<TestServer> {
  const database = await factory.create();
  const config = loadConfig({ COFFER_DATA_DIR: '/tmp/coffer-test-unused', ...options.env });
  const clock = options.clock ?? new ManualClock(Date.UTC(2026, 0, 15, 12));
  const app = await buildServer({ config, database, clock, log: createLogger({ level: 'silent' }) });
  return { app, database, clock };
}
