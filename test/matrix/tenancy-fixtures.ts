import { tenancyDb } from '../../src/tenancy/store.ts';
import { createUnit, setSetting } from '../helpers/principals.ts';
import type { MatrixFixture, MatrixWorld } from './fixture.ts';

const base = '/api/v1/business-units';
/** A setting no principal's sign-in depends on (unlike mfa.required or session lifetime). */
const settingKey = 'retention.earliestDeletionDays';
const signInHost = 'target.matrix.example';
/** The smallest valid PNG: 1×1 pixel. */
const png = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);

/** A fresh leaf below the target, for operations that consume their unit (delete, move). */
function leaf(world: MatrixWorld): Promise<string> {
  return createUnit(world.server, world.units.target);
}

/** Gives `buId` (the target by default) a logo of its own, replacing any. */
export async function withLogo(world: MatrixWorld, buId = world.units.target): Promise<void> {
  const now = world.server.clock.now();
  const db = tenancyDb(world.server.database);
  await db.deleteFrom('bu_logos').where('bu_id', '=', buId).execute();
  await db
    .insertInto('bu_logos')
    .values({
      bu_id: buId,
      content_type: 'image/png',
      bytes: png,
      byte_size: png.length,
      sha256: 'x',
      updated_at: now,
    })
    .execute();
}

function simple(method: 'GET' | 'PATCH', suffix: string, payload?: unknown): MatrixFixture {
  return {
    route: `${method} ${base}/:id${suffix}`,
    async request(world) {
      return { method, url: `${base}/${world.units.target}${suffix}`, ...(payload ? { payload } : {}) };
    },
  };
}

export const tenancyFixtures: readonly MatrixFixture[] = [
  {
    route: `POST ${base}`,
    async request(world) {
      return { method: 'POST', url: base, payload: { parentId: world.units.target, name: 'New unit' } };
    },
  },
  simple('GET', ''),
  simple('PATCH', '', { name: 'Target' }),
  {
    route: `DELETE ${base}/:id`,
    async request(world) {
      return { method: 'DELETE', url: `${base}/${await leaf(world)}` };
    },
  },
  simple('GET', '/children'),
  simple('GET', '/subtree'),
  simple('GET', '/path'),
  ...(['move', 'move-preview'] as const).map(
    (action): MatrixFixture => ({
      route: `POST ${base}/:id/${action}`,
      async request(world) {
        const [unit, newParent] = [await leaf(world), await leaf(world)];
        return { method: 'POST', url: `${base}/${unit}/${action}`, payload: { parentId: newParent } };
      },
    }),
  ),
  {
    route: 'GET /api/v1/settings/definitions',
    async request() {
      return { method: 'GET', url: '/api/v1/settings/definitions' };
    },
  },
  simple('GET', '/settings'),
  {
    route: `GET ${base}/:id/settings/:key`,
    async request(world) {
      return { method: 'GET', url: `${base}/${world.units.target}/settings/${settingKey}` };
    },
  },
  {
    route: `PUT ${base}/:id/settings/:key`,
    async request(world) {
      return { method: 'PUT', url: `${base}/${world.units.target}/settings/${settingKey}`, payload: { value: 30 } };
    },
  },
  {
    route: `DELETE ${base}/:id/settings/:key`,
    async request(world) {
      await setSetting(world.server, world.units.target, settingKey, 30);
      return { method: 'DELETE', url: `${base}/${world.units.target}/settings/${settingKey}` };
    },
  },
  simple('GET', '/brand'),
  simple('PATCH', '/brand', { primaryColor: '#123456' }),
  {
    route: `GET ${base}/:id/brand/logo`,
    async request(world) {
      await withLogo(world);
      return { method: 'GET', url: `${base}/${world.units.target}/brand/logo` };
    },
  },
  {
    route: `PUT ${base}/:id/brand/logo`,
    async request(world) {
      return {
        method: 'PUT',
        url: `${base}/${world.units.target}/brand/logo`,
        payload: png,
        headers: { 'content-type': 'image/png' },
      };
    },
  },
  {
    route: `DELETE ${base}/:id/brand/logo`,
    async request(world) {
      await withLogo(world);
      return { method: 'DELETE', url: `${base}/${world.units.target}/brand/logo` };
    },
  },
  // --- the sign-in page's brand (public: anyone, signed in or not, gets it) ---
  {
    route: 'GET /api/v1/sign-in/brand',
    async request() {
      return { method: 'GET', url: '/api/v1/sign-in/brand?host=unknown.matrix.example' };
    },
  },
  {
    route: 'GET /api/v1/sign-in/brand/logo',
    async request(world) {
      await withLogo(world);
      await tenancyDb(world.server.database)
        .insertInto('bu_brands')
        .values({
          bu_id: world.units.target,
          display_name: null,
          primary_color: null,
          accent_color: null,
          email_sender_name: null,
          email_sender_address: null,
          sign_in_host: signInHost,
          updated_at: world.server.clock.now(),
        })
        .onConflict((oc) => oc.column('bu_id').doUpdateSet({ sign_in_host: signInHost }))
        .execute();
      return { method: 'GET', url: `/api/v1/sign-in/brand/logo?host=${signInHost}` };
    },
  },
];
