import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import { AgentApi } from '../../src/agent/agent-api.ts';
import type { AgentCredentials } from '../../src/agent/credentials.ts';
import { runDaemon } from '../../src/agent/daemon.ts';
import { enrol } from '../../src/agent/enrol.ts';
import { ServerConnection } from '../../src/agent/http-client.ts';
import { createJobQueue, createLogger, ManualClock } from '../../src/platform/index.ts';
import { type ProtectionRuntime, runtimeFor } from '../../src/protection/index.ts';
import type { TestDatabaseFactory } from '../helpers/databases.ts';
import {
  buildIdentityServer,
  type Credential,
  createApiKey,
  createUnit,
  createUser,
  type IdentityTestServer,
  injectAs,
  setSetting,
  type TestUser,
} from '../helpers/principals.ts';

/**
 * An in-process server (real HTTP on loopback) with the data path, an administrator and
 * helpers to create data sources, enrol in-process agents and run their jobs.
 */
export interface ProtectionHarness {
  readonly server: IdentityTestServer;
  readonly url: string;
  readonly dataDir: string;
  /** A protection runtime on the server's database and data directory (for maintenance and ticks). */
  runtime(): ProtectionRuntime;
  readonly admin: Credential;
  /** The administrator's API key as a bearer token (for clients outside `inject`). */
  readonly adminToken: string;
  readonly adminUser: TestUser;
  readonly unitId: string;
  call(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    url: string,
    payload?: unknown,
    as?: Credential,
  ): Promise<LightMyRequestResponse>;
  /** Creates a data source in `unitId` (default: the harness unit) and returns its id. */
  createDataSource(options?: {
    buId?: string;
    hostname?: string;
    vaultId?: string;
    policy?: Record<string, unknown>;
    as?: Credential;
  }): Promise<string>;
  /** Issues a token and enrols an in-process agent with its own state directory. */
  enrolAgent(dataSourceId: string, options?: { recoveryPassphrase?: string; as?: Credential }): Promise<TestAgent>;
  close(): Promise<void>;
}

export interface TestAgent {
  readonly directory: string;
  readonly credentials: AgentCredentials;
  /** Runs the jobs due now (`coffer agent run --once`). */
  runOnce(options?: { recoveryPassphrase?: string }): Promise<string[]>;
  api(): AgentApi;
}

export async function buildProtectionHarness(
  factory: TestDatabaseFactory,
  options: { policy?: Record<string, unknown>; clock?: ManualClock; env?: Record<string, string> } = {},
): Promise<ProtectionHarness> {
  const dataDir = mkdtempSync(join(tmpdir(), 'coffer-protection-'));
  const server = await buildIdentityServer(factory, {
    clock: options.clock ?? new ManualClock(Date.now()),
    env: { ...options.env, COFFER_DATA_DIR: dataDir },
  });
  await server.app.listen({ host: '127.0.0.1', port: 0 });
  const address = server.app.server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const unitId = await createUnit(server, server.rootId, { name: 'Customer', code: 'cust' });
  const adminUser = await createUser(server, { buId: server.rootId, role: 'administrator' });
  const admin = await createApiKey(server, adminUser, { expiresInMs: 10 * 365 * 86_400_000 });
  if (options.policy) await setSetting(server, unitId, 'protection.policy', options.policy);
  const directories: string[] = [dataDir];
  const call: ProtectionHarness['call'] = (method, target, payload, as) =>
    injectAs(server.app, as ?? admin, {
      method,
      url: target,
      ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}),
    });
  let hosts = 0;
  let runtime: ProtectionRuntime | undefined;
  return {
    server,
    url,
    dataDir,
    runtime() {
      runtime ??= runtimeFor({
        config: { dataDir },
        database: server.database,
        clock: server.clock,
        log: createLogger({ level: 'silent' }),
        queue: createJobQueue({ database: server.database, clock: server.clock }),
      });
      return runtime;
    },
    admin,
    adminToken: admin.token,
    adminUser,
    unitId,
    call,
    async createDataSource(input = {}) {
      hosts += 1;
      const response = await call(
        'POST',
        '/api/v1/data-sources',
        {
          buId: input.buId ?? unitId,
          hostname: input.hostname ?? `host${hosts}`,
          ...(input.vaultId ? { vaultId: input.vaultId } : {}),
          ...(input.policy ? { policy: input.policy } : {}),
        },
        input.as,
      );
      if (response.statusCode !== 201) throw new Error(`data source not created: ${response.body}`);
      return response.json<{ id: string }>().id;
    },
    async enrolAgent(dataSourceId, enrolOptions = {}) {
      const issued = await call('POST', `/api/v1/data-sources/${dataSourceId}/enrolment-tokens`, {}, enrolOptions.as);
      if (issued.statusCode !== 201) throw new Error(`no token: ${issued.body}`);
      const directory = mkdtempSync(join(tmpdir(), 'coffer-agent-'));
      directories.push(directory);
      const credentials = await enrol({
        token: issued.json<{ token: string }>().token,
        server: url,
        directory,
        hostname: `machine-${dataSourceId.slice(-6)}`,
        ...(enrolOptions.recoveryPassphrase ? { recoveryPassphrase: enrolOptions.recoveryPassphrase } : {}),
      });
      return {
        directory,
        credentials,
        async runOnce(runOptions = {}) {
          const lines: string[] = [];
          await runDaemon({
            directory,
            once: true,
            log: (line) => lines.push(line),
            ...(runOptions.recoveryPassphrase ? { recoveryPassphrase: runOptions.recoveryPassphrase } : {}),
          });
          return lines;
        },
        api() {
          return new AgentApi(new ServerConnection({ url, credential: credentials.credential, retryForMs: 0 }));
        },
      };
    },
    async close() {
      await server.app.close();
      for (const directory of directories) rmSync(directory, { recursive: true, force: true });
    },
  };
}
