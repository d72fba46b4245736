import { randomBytes } from 'node:crypto';
import { protectionDb } from '../../src/protection/db.ts';
import { injectAs } from '../helpers/principals.ts';
import type { MatrixCell, MatrixFixture, MatrixRequest, MatrixWorld } from './fixture.ts';

/**
 * Protection routes. User routes follow the default rule (reach, then privilege). Agent
 * routes accept only an agent credential: every user principal (session or API key) gets
 * 401, exactly like an anonymous caller.
 */

const agentOnly = () => 401 as const;

async function admin(world: MatrixWorld, method: MatrixRequest['method'], url: string, payload?: unknown) {
  const response = await injectAs(world.server.app, world.admin, {
    method,
    url,
    ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}),
  });
  if (response.statusCode >= 300) throw new Error(`${method} ${url}: ${response.statusCode} ${response.body}`);
  return response.json<Record<string, unknown>>();
}

function hostname(): string {
  return `m-${randomBytes(4).toString('hex')}`;
}

async function dataSource(world: MatrixWorld): Promise<string> {
  return (await admin(world, 'POST', '/api/v1/data-sources', { buId: world.units.target, hostname: hostname() }))[
    'id'
  ] as string;
}

/** A data source that looks enrolled and has one committed snapshot (rows only; no agent needed). */
async function dataSourceWithSnapshot(world: MatrixWorld): Promise<string> {
  const id = await dataSource(world);
  const db = protectionDb(world.server.database);
  const now = world.server.clock.now();
  await db
    .updateTable('protection_data_sources')
    .set({ status: 'active', enrolled_at: now })
    .where('id', '=', id)
    .execute();
  const source = await db
    .selectFrom('protection_data_sources')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
  await db
    .insertInto('protection_snapshots')
    .values({
      vault_id: source.vault_id,
      id: randomBytes(32).toString('hex'),
      data_source_id: id,
      job_id: null,
      time_ms: now,
      ref_count: 0,
      plain_bytes: 0,
      stored_bytes: 0,
      unique_bytes: 0,
      committed_at: now,
      forgotten_at: null,
    })
    .execute();
  return id;
}

async function sharedVault(world: MatrixWorld): Promise<string> {
  return (
    await admin(world, 'POST', `/api/v1/business-units/${world.units.target}/vaults`, { name: `vault ${hostname()}` })
  )['id'] as string;
}

const publicKey = () => randomBytes(32).toString('base64');

async function recoveryKey(world: MatrixWorld): Promise<void> {
  await admin(world, 'PUT', `/api/v1/business-units/${world.units.target}/recovery-key`, {
    publicKey: publicKey(),
    sealedPrivateKey: { version: 1 },
  });
}

function unitRoute(
  method: 'GET' | 'POST' | 'PUT',
  suffix: string,
  payload?: () => unknown,
  before?: (world: MatrixWorld) => Promise<void>,
): MatrixFixture {
  return {
    route: `${method} /api/v1/business-units/:id${suffix}`,
    async request(world) {
      await before?.(world);
      return {
        method,
        url: `/api/v1/business-units/${world.units.target}${suffix}`,
        ...(payload ? { payload: payload() } : {}),
      };
    },
  };
}

function sourceRoute(
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  suffix: string,
  payload?: (world: MatrixWorld) => unknown,
  prepare: (world: MatrixWorld) => Promise<string> = dataSource,
): MatrixFixture {
  return {
    route: `${method} /api/v1/data-sources/:id${suffix}`,
    async request(world) {
      const id = await prepare(world);
      return { method, url: `/api/v1/data-sources/${id}${suffix}`, ...(payload ? { payload: payload(world) } : {}) };
    },
  };
}

function agentRoute(method: MatrixRequest['method'], route: string, url: string, payload?: unknown): MatrixFixture {
  return {
    route: `${method} ${route}`,
    async request() {
      return { method, url, ...(payload !== undefined ? { payload } : {}) };
    },
    expect: agentOnly,
  };
}

/** The S3 probe cannot succeed without a bucket: callers who pass the access check get 400. */
function s3ProbeFails(cell: MatrixCell) {
  if (cell.relation !== 'same' && cell.relation !== 'ancestor') return 404;
  return cell.privileged ? 400 : 403;
}

const vaultObjects = '/api/v1/agent/vaults/:vaultId/objects/*';
const someVault = '/api/v1/agent/vaults/00000000-0000-7000-8000-000000000000';

export const protectionFixtures: readonly MatrixFixture[] = [
  unitRoute('GET', '/zones'),
  {
    ...unitRoute('POST', '/zones', () => ({
      name: 'S3',
      s3: {
        endpoint: 'http://127.0.0.1:9',
        region: 'us-east-1',
        bucket: 'none',
        accessKeyId: 'x',
        secretAccessKey: 'y',
      },
    })),
    expect: s3ProbeFails,
  },
  unitRoute('GET', '/vaults'),
  unitRoute('POST', '/vaults', () => ({ name: `vault ${hostname()}` })),
  unitRoute('GET', '/data-sources'),
  unitRoute(
    'POST',
    '/restores',
    () => ({ target: '/tmp/restore' }),
    async (world) => {
      await dataSourceWithSnapshot(world);
    },
  ),
  unitRoute('GET', '/recovery-key', undefined, recoveryKey),
  unitRoute('PUT', '/recovery-key', () => ({ publicKey: publicKey(), sealedPrivateKey: { version: 1 } })),
  unitRoute('GET', '/recovery-envelopes'),
  {
    // Any signed-in principal: the address agents are handed is no secret of a unit.
    route: 'GET /api/v1/server/public-address',
    async request() {
      return { method: 'GET', url: '/api/v1/server/public-address' };
    },
  },
  {
    route: 'GET /api/v1/vaults/:id',
    async request(world) {
      return { method: 'GET', url: `/api/v1/vaults/${await sharedVault(world)}` };
    },
  },
  {
    route: 'POST /api/v1/vaults/:id/prune',
    async request(world) {
      return { method: 'POST', url: `/api/v1/vaults/${await sharedVault(world)}/prune`, payload: {} };
    },
  },
  {
    route: 'POST /api/v1/data-sources',
    async request(world) {
      return {
        method: 'POST',
        url: '/api/v1/data-sources',
        payload: { buId: world.units.target, hostname: hostname() },
      };
    },
  },
  sourceRoute('GET', ''),
  sourceRoute('PATCH', '', () => ({ name: `renamed ${hostname()}` })),
  sourceRoute('DELETE', ''),
  sourceRoute('GET', '/policy'),
  sourceRoute('POST', '/enrolment-tokens', () => ({ ttlMinutes: 60 })),
  sourceRoute('POST', '/backups', () => ({})),
  sourceRoute('GET', '/jobs'),
  sourceRoute('GET', '/snapshots'),
  sourceRoute('GET', '/consumption'),
  sourceRoute('POST', '/restores', () => ({ target: '/tmp/restore' }), dataSourceWithSnapshot),
  {
    route: 'GET /api/v1/restore-groups/:id',
    async request(world) {
      await dataSourceWithSnapshot(world);
      const group = await admin(world, 'POST', `/api/v1/business-units/${world.units.target}/restores`, {
        target: '/tmp/restore',
      });
      return { method: 'GET', url: `/api/v1/restore-groups/${group['id'] as string}` };
    },
  },
  {
    route: 'GET /api/v1/jobs/:id',
    async request(world) {
      const job = await admin(world, 'POST', `/api/v1/data-sources/${await dataSource(world)}/backups`, {});
      return { method: 'GET', url: `/api/v1/jobs/${job['id'] as string}` };
    },
  },
  {
    route: 'POST /api/v1/jobs/:id/cancel',
    async request(world) {
      const job = await admin(world, 'POST', `/api/v1/data-sources/${await dataSource(world)}/backups`, {});
      return { method: 'POST', url: `/api/v1/jobs/${job['id'] as string}/cancel`, payload: {} };
    },
  },
  {
    route: 'POST /api/v1/agent/enrol',
    async request(world) {
      const id = await dataSource(world);
      const token = await admin(world, 'POST', `/api/v1/data-sources/${id}/enrolment-tokens`, {});
      return { method: 'POST', url: '/api/v1/agent/enrol', payload: { token: token['token'], hostname: hostname() } };
    },
  },
  agentRoute('GET', '/api/v1/agent/jobs', '/api/v1/agent/jobs?wait=0'),
  agentRoute('POST', '/api/v1/agent/jobs/:id/start', '/api/v1/agent/jobs/x/start', {}),
  agentRoute('POST', '/api/v1/agent/jobs/:id/progress', '/api/v1/agent/jobs/x/progress', { progress: {} }),
  agentRoute('POST', '/api/v1/agent/jobs/:id/finish', '/api/v1/agent/jobs/x/finish', { outcome: 'failed' }),
  agentRoute('POST', '/api/v1/agent/sessions', '/api/v1/agent/sessions', { vaultId: 'x', kind: 'backup' }),
  agentRoute('POST', '/api/v1/agent/sessions/:id/renew', '/api/v1/agent/sessions/x/renew', {}),
  agentRoute('DELETE', '/api/v1/agent/sessions/:id', '/api/v1/agent/sessions/x'),
  agentRoute('GET', '/api/v1/agent/vaults/:vaultId/list', `${someVault}/list?prefix=data/`),
  agentRoute('GET', vaultObjects, `${someVault}/objects/config`),
  agentRoute('PUT', vaultObjects, `${someVault}/objects/config`, {}),
  agentRoute('DELETE', vaultObjects, `${someVault}/objects/locks/00`),
  agentRoute('POST', '/api/v1/agent/vaults/:vaultId/blobs/missing', `${someVault}/blobs/missing`, {}),
  agentRoute('GET', '/api/v1/agent/vaults/:vaultId/recovery', `${someVault}/recovery`),
  agentRoute('PUT', '/api/v1/agent/vaults/:vaultId/recovery', `${someVault}/recovery`, { keyId: 'x', envelope: {} }),
  agentRoute('POST', '/api/v1/agent/link-test', '/api/v1/agent/link-test', {}),
];
