import { randomBytes } from 'node:crypto';
import { injectAs } from '../helpers/principals.ts';
import type { MatrixFixture, MatrixWorld } from './fixture.ts';

const api = '/api/v1';
const units = `${api}/business-units`;

function unique(prefix: string): string {
  return `${prefix} ${randomBytes(4).toString('hex')}`;
}

/** Sends a preparing request as the root administrator and returns the JSON answer. */
async function prepared<T>(world: MatrixWorld, method: 'POST' | 'PUT', url: string, payload: unknown): Promise<T> {
  const response = await injectAs(world.server.app, world.admin, { method, url, payload: payload as object });
  if (response.statusCode >= 300) throw new Error(`preparing ${url} failed: ${response.statusCode} ${response.body}`);
  return response.json() as T;
}

/**
 * A fresh subscription owned by the target unit with one manual product (manual products
 * never overlap, so every call can contract the target again). `minimumCharge` gives its
 * lines an amount that a credit can correct.
 */
async function subscription(world: MatrixWorld, minimumCharge = 0): Promise<{ id: string; productId: string }> {
  const created = await prepared<{ id: string; products: { id: string }[] }>(
    world,
    'POST',
    `${units}/${world.units.target}/billing/subscriptions`,
    {
      name: unique('Matrix'),
      currency: 'EUR',
      products: [
        { name: 'Support', metric: 'manual', unitLabel: 'hour', unitPrice: 100, minimumCharge, currency: 'EUR' },
      ],
    },
  );
  return { id: created.id, productId: created.products[0]?.id as string };
}

async function contract(world: MatrixWorld): Promise<{ id: string; productId: string }> {
  const sub = await subscription(world);
  const created = await prepared<{ id: string }>(world, 'POST', `${api}/billing/contracts`, {
    subscriptionId: sub.id,
    customerBuId: world.units.target,
    startDate: '2025-12-01',
    settlementRate: 12,
  });
  return { id: created.id, productId: sub.productId };
}

async function registration(world: MatrixWorld): Promise<string> {
  const c = await contract(world);
  const created = await prepared<{ id: string }>(world, 'POST', `${api}/billing/contracts/${c.id}/registrations`, {
    productId: c.productId,
    date: '2025-12-10',
    quantity: 1,
    note: 'matrix',
  });
  return created.id;
}

async function run(world: MatrixWorld): Promise<string> {
  const created = await prepared<{ run: { id: string } }>(
    world,
    'POST',
    `${units}/${world.units.target}/billing/runs`,
    {},
  );
  return created.run.id;
}

let monthsBack = 0;

/** A posted charge of the target unit: a one-month contract billed by its own run (a month further back each call). */
async function postedLine(world: MatrixWorld): Promise<string> {
  monthsBack += 1;
  const month = (offset: number) => {
    const date = new Date(Date.UTC(2025, 11 - monthsBack + offset, 1));
    return date.toISOString().slice(0, 10);
  };
  const sub = await subscription(world, 1000);
  await prepared(world, 'POST', `${api}/billing/contracts`, {
    subscriptionId: sub.id,
    customerBuId: world.units.target,
    startDate: month(0),
    endDate: month(1),
    settlementRate: 12,
  });
  const posted = await prepared<{ lines: { id: string; productId: string }[] }>(
    world,
    'POST',
    `${units}/${world.units.target}/billing/runs`,
    { runDate: month(1) },
  );
  return posted.lines.find((l) => l.productId === sub.productId)?.id as string;
}

function onTarget(method: 'GET' | 'POST' | 'PUT', suffix: string, payload?: () => unknown): MatrixFixture {
  return {
    route: `${method} ${units}/:id/${suffix.split('?')[0]}`,
    async request(world) {
      return { method, url: `${units}/${world.units.target}/${suffix}`, ...(payload ? { payload: payload() } : {}) };
    },
  };
}

function byId(
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  path: string,
  make: (world: MatrixWorld) => Promise<string>,
  suffix = '',
  payload?: () => unknown,
): MatrixFixture {
  return {
    route: `${method} ${api}/${path}/:id${suffix.split('?')[0]}`,
    async request(world) {
      const id = await make(world);
      return { method, url: `${api}/${path}/${id}${suffix}`, ...(payload ? { payload: payload() } : {}) };
    },
  };
}

/**
 * Installation-wide usage figures need reach over every root unit; the matrix world has two
 * roots and no principal reaches both, so every signed-in caller gets 404.
 */
function operatorOnly(method: 'GET' | 'POST', url: string, payload?: unknown): MatrixFixture {
  return {
    route: `${method} ${url}`,
    async request() {
      return { method, url, ...(payload !== undefined ? { payload } : {}) };
    },
    expect: () => 404,
  };
}

export const usageBillingFixtures: readonly MatrixFixture[] = [
  onTarget('GET', 'usage'),
  onTarget('GET', 'usage/history?from=2026-01-01&to=2026-01-15'),
  onTarget('GET', 'usage/children?sort=clientCount&limit=5'),
  onTarget('GET', 'quota'),
  operatorOnly('GET', `${api}/usage/reconciliation`),
  operatorOnly('POST', `${api}/usage/zone-measurements`, { zone: 'zone-1', measuredBytes: 1 }),
  onTarget('GET', 'billing/profile'),
  onTarget('PUT', 'billing/profile', () => ({ billingDay: 1 })),
  onTarget('GET', 'billing/subscriptions'),
  onTarget('POST', 'billing/subscriptions', () => ({ name: unique('New'), currency: 'EUR' })),
  byId('GET', 'billing/subscriptions', async (w) => (await subscription(w)).id),
  byId(
    'PATCH',
    'billing/subscriptions',
    async (w) => (await subscription(w)).id,
    '',
    () => ({ description: 'changed' }),
  ),
  byId(
    'POST',
    'billing/subscriptions',
    async (w) => (await subscription(w)).id,
    '/products',
    () => ({
      name: unique('Extra'),
      metric: 'manual',
      unitPrice: 5,
      currency: 'EUR',
    }),
  ),
  byId(
    'PATCH',
    'billing/products',
    async (w) => (await subscription(w)).productId,
    '',
    () => ({ unitPrice: 7 }),
  ),
  byId('POST', 'billing/products', async (w) => (await subscription(w)).productId, '/retire'),
  onTarget('GET', 'billing/contracts'),
  {
    route: `POST ${api}/billing/contracts`,
    async request(world) {
      const sub = await subscription(world);
      return {
        method: 'POST',
        url: `${api}/billing/contracts`,
        payload: {
          subscriptionId: sub.id,
          customerBuId: world.units.target,
          startDate: '2026-01-01',
          settlementRate: 12,
        },
      };
    },
  },
  byId('GET', 'billing/contracts', async (w) => (await contract(w)).id),
  byId(
    'POST',
    'billing/contracts',
    async (w) => (await contract(w)).id,
    '/end',
    () => ({ endDate: '2026-06-01' }),
  ),
  byId('DELETE', 'billing/contracts', async (w) => (await contract(w)).id),
  byId('GET', 'billing/contracts', async (w) => (await contract(w)).id, '/registrations'),
  {
    route: `POST ${api}/billing/contracts/:id/registrations`,
    async request(world) {
      const c = await contract(world);
      return {
        method: 'POST',
        url: `${api}/billing/contracts/${c.id}/registrations`,
        payload: { productId: c.productId, date: '2025-12-20', quantity: '0.5', note: 'matrix' },
      };
    },
  },
  byId('DELETE', 'billing/registrations', registration),
  onTarget('GET', 'billing/runs'),
  onTarget('POST', 'billing/runs', () => ({})),
  byId('GET', 'billing/runs', run),
  byId('GET', 'billing/runs', run, '/export?format=json'),
  onTarget('GET', 'billing/dry-run'),
  onTarget('GET', 'billing/lines?from=2025-01-01&to=2026-02-01'),
  onTarget('GET', 'billing/feed'),
  onTarget('GET', 'billing/margin?from=2025-01-01&to=2026-02-01'),
  byId('POST', 'billing/lines', postedLine, '/corrections', () => ({ kind: 'credit', amount: 1, reason: 'matrix' })),
];
