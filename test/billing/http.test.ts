import { beforeAll, expect, it } from 'vitest';
import { recordConsumption } from '../../src/usage/index.ts';
import { describeEachDatabase } from '../helpers/databases.ts';
import {
  buildIdentityServer,
  type Credential,
  createSession,
  createUnit,
  createUser,
  type IdentityTestServer,
  injectAs,
} from '../helpers/principals.ts';
import { day, GB } from './helpers.ts';

describeEachDatabase('usage and billing over HTTP', (factory) => {
  let server: IdentityTestServer;
  let reseller: string;
  let customer: string;
  let admin: Credential;
  let finance: Credential;
  let endUser: Credential;

  beforeAll(async () => {
    server = await buildIdentityServer(factory);
    reseller = await createUnit(server, server.rootId, { name: 'Reseller' });
    customer = await createUnit(server, reseller, { name: 'Customer' });
    admin = await createSession(server, await createUser(server, { buId: server.rootId, role: 'administrator' }));
    finance = await createSession(server, await createUser(server, { buId: reseller, role: 'finance' }));
    endUser = await createSession(server, await createUser(server, { buId: customer, role: 'end-user' }));
    for (let d = day('2025-12-01'); d <= day('2025-12-31'); d++) {
      await recordConsumption(server.database, {
        dataSourceId: 'ds-http',
        buId: customer,
        day: d,
        storedBytes: 40 * GB,
        protectedBytes: 40 * GB,
        transferredBytes: 0,
        snapshotCount: 3,
        clientActive: true,
        asOf: d * 86_400_000 + 3_600_000,
      });
    }
    // Two huge sources: their sum passes 2^53 and must still come out exact.
    for (const id of ['ds-huge-1', 'ds-huge-2']) {
      await recordConsumption(server.database, {
        dataSourceId: id,
        buId: customer,
        day: day('2025-12-31'),
        storedBytes: 0,
        protectedBytes: Number.MAX_SAFE_INTEGER,
        transferredBytes: 0,
        snapshotCount: 0,
        clientActive: false,
        asOf: day('2025-12-31') * 86_400_000,
      });
    }
  });

  const call = (
    credential: Credential | null,
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    url: string,
    payload?: object,
  ) => injectAs(server.app, credential, { method, url, ...(payload ? { payload } : {}) });

  it('runs the billing cycle through the API: subscription, contract, run, export, feed, correction', async () => {
    const created = await call(admin, 'POST', `/api/v1/business-units/${server.rootId}/billing/subscriptions`, {
      name: 'Wholesale',
      currency: 'EUR',
      products: [{ name: 'Storage', metric: 'stored', valueMode: 'average', unitPrice: 250, currency: 'EUR' }],
    });
    expect(created.statusCode).toBe(201);
    const subscription = created.json() as { id: string };
    // A name already taken is a conflict that names its field, for the console to show it there.
    const again = await call(admin, 'POST', `/api/v1/business-units/${server.rootId}/billing/subscriptions`, {
      name: 'Wholesale',
      currency: 'EUR',
      products: [{ name: 'Storage', metric: 'stored', valueMode: 'average', unitPrice: 250, currency: 'EUR' }],
    });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ field: 'name' });
    const product = await call(admin, 'POST', `/api/v1/billing/subscriptions/${subscription.id}/products`, {
      name: 'Storage',
      metric: 'stored',
      valueMode: 'average',
      unitPrice: 1,
      currency: 'EUR',
    });
    expect(product.statusCode, product.body).toBe(409);
    expect(product.json()).toMatchObject({ field: 'name' });
    const contract = await call(admin, 'POST', '/api/v1/billing/contracts', {
      subscriptionId: subscription.id,
      customerBuId: reseller,
      startDate: '2025-12-01',
      settlementRate: 12,
    });
    expect(contract.statusCode).toBe(201);
    const overlapping = await call(admin, 'POST', '/api/v1/billing/contracts', {
      subscriptionId: subscription.id,
      customerBuId: customer,
      startDate: '2025-12-15',
      settlementRate: 12,
    });
    expect(overlapping.statusCode).toBe(409);
    expect(overlapping.headers['content-type']).toContain('application/problem+json');

    const run = await call(admin, 'POST', `/api/v1/business-units/${server.rootId}/billing/runs`, {
      runDate: '2026-01-01',
    });
    expect(run.statusCode).toBe(201);
    const { run: posted, lines } = run.json() as {
      run: { id: string; status: string };
      lines: { id: string; amount: number; amountDecimal: string }[];
    };
    expect(posted.status).toBe('posted');
    // Average 40 GB × 2.50 EUR = 100.00 EUR.
    expect(lines.map((l) => [l.amount, l.amountDecimal])).toEqual([[10_000, '100.00']]);

    const csv = await call(admin, 'GET', `/api/v1/billing/runs/${posted.id}/export?format=csv`);
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.headers['content-disposition']).toContain('attachment; filename="billing-run-2026-01-01-');
    expect(csv.body.split('\r\n')[1]).toContain(
      ',Storage,stored,2025-12-01,2026-01-01,40.000,GB,250,10000,100.00,EUR,',
    );
    const json = await call(admin, 'GET', `/api/v1/billing/runs/${posted.id}/export?format=json`);
    expect((json.json() as { lines: unknown[] }).lines).toHaveLength(1);

    // The reseller's finance user sees what it is billed, but not the MSP's run or feed.
    const billed = await call(
      finance,
      'GET',
      `/api/v1/business-units/${reseller}/billing/lines?from=2025-12-01&to=2026-01-01`,
    );
    expect((billed.json() as unknown[]).length).toBe(1);
    expect((await call(finance, 'GET', `/api/v1/billing/runs/${posted.id}`)).statusCode).toBe(404);
    expect((await call(finance, 'GET', `/api/v1/business-units/${server.rootId}/billing/feed`)).statusCode).toBe(404);
    expect(
      (await call(finance, 'GET', `/api/v1/billing/contracts/${(contract.json() as { id: string }).id}`)).statusCode,
    ).toBe(200);

    const feed = await call(admin, 'GET', `/api/v1/business-units/${server.rootId}/billing/feed?after=0`);
    const page = feed.json() as { lines: { id: string }[]; nextCursor: number };
    expect(page.lines.map((l) => l.id)).toEqual([lines[0]?.id]);
    const correction = await call(admin, 'POST', `/api/v1/billing/lines/${lines[0]?.id}/corrections`, {
      kind: 'credit',
      amount: 1_500,
      reason: 'goodwill',
    });
    expect(correction.statusCode).toBe(201);
    const next = (
      await call(admin, 'GET', `/api/v1/business-units/${server.rootId}/billing/feed?after=${page.nextCursor}`)
    ).json() as {
      lines: { amount: number; kind: string }[];
    };
    expect(next.lines.map((l) => [l.kind, l.amount])).toEqual([['credit', -1_500]]);

    // A unit with an open contract cannot be deleted; without one it can.
    const leaf = await createUnit(server, server.rootId, { name: 'Leaf' });
    const spare = await createUnit(server, server.rootId, { name: 'Spare' });
    const leafContract = await call(admin, 'POST', '/api/v1/billing/contracts', {
      subscriptionId: subscription.id,
      customerBuId: leaf,
      startDate: '2026-01-01',
      settlementRate: 12,
    });
    expect(leafContract.statusCode).toBe(201);
    const guarded = await call(admin, 'DELETE', `/api/v1/business-units/${leaf}`);
    expect(guarded.statusCode, guarded.body).toBe(409);
    expect(guarded.body).toContain('billing contract');
    const allowed = await call(admin, 'DELETE', `/api/v1/business-units/${spare}`);
    expect(allowed.statusCode, allowed.body).toBeLessThan(300);
  });

  it('answers bad input with problem+json and writes nothing', async () => {
    const url = `/api/v1/business-units/${reseller}/billing/subscriptions`;
    const cases: object[] = [
      {
        name: 'Mixed',
        currency: 'EUR',
        products: [
          { name: 'A', metric: 'stored', unitPrice: 1, currency: 'EUR' },
          { name: 'B', metric: 'clients', unitPrice: 1, currency: 'USD' },
        ],
      },
      {
        name: 'Unknown metric',
        currency: 'EUR',
        products: [{ name: 'A', metric: 'cpu', unitPrice: 1, currency: 'EUR' }],
      },
      {
        name: 'Negative',
        currency: 'EUR',
        products: [{ name: 'A', metric: 'stored', unitPrice: -1, currency: 'EUR' }],
      },
      { name: 'Extra field', currency: 'EUR', colour: 'red' },
    ];
    for (const payload of cases) {
      const response = await call(finance, 'POST', url, payload);
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      expect((response.json() as { type: string }).type).toBe('urn:coffer:problem:validation_failed');
    }
    expect((await call(finance, 'GET', url)).json()).toEqual({ items: [], nextCursor: null });
    const badDay = await call(finance, 'PUT', `/api/v1/business-units/${reseller}/billing/profile`, { billingDay: 32 });
    expect(badDay.statusCode).toBe(400);
    expect((badDay.json() as { detail: string }).detail).toContain('1 to 31');
    expect(
      (
        (await call(finance, 'GET', `/api/v1/business-units/${reseller}/billing/profile`)).json() as {
          configured: boolean;
        }
      ).configured,
    ).toBe(false);
  });

  it('states the accepted values in the schema and refuses others at the edge', async () => {
    const openapi = (await server.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json() as {
      paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: JsonSchema }> } }>>;
    };
    type JsonSchema = {
      properties?: Record<string, JsonSchema>;
      items?: JsonSchema;
      enum?: unknown[];
      pattern?: string;
    };
    const body = (path: string) => openapi.paths[path]?.post?.requestBody?.content['application/json']?.schema;
    const product = body('/api/v1/billing/subscriptions/{id}/products')?.properties ?? {};
    expect(product.metric?.enum).toEqual(['stored', 'protected', 'transferred', 'clients', 'snapshots', 'manual']);
    expect(product.unit?.enum).toEqual(['GB', 'GiB', 'unit']);
    expect(product.valueMode?.enum).toEqual(['latest', 'average', 'peak', 'total']);
    expect(product.currency?.pattern).toBe('^[A-Z]{3}$');
    expect(body('/api/v1/business-units/{id}/billing/subscriptions')?.properties?.currency?.pattern).toBe('^[A-Z]{3}$');
    const contract = body('/api/v1/billing/contracts')?.properties ?? {};
    expect(contract.settlementRate?.enum).toEqual([12, 4, 2, 1]);
    expect(contract.timing?.enum).toEqual(['arrears', 'advance']);

    const subscriptions = `/api/v1/business-units/${reseller}/billing/subscriptions`;
    const created = await call(finance, 'POST', subscriptions, { name: 'Enum checks', currency: 'EUR' });
    expect(created.statusCode, created.body).toBe(201);
    const subscriptionId = (created.json() as { id: string }).id;
    const base = { name: 'P', metric: 'stored', unitPrice: 1, currency: 'EUR' };
    const refusals: [string, object][] = [
      [`/api/v1/billing/subscriptions/${subscriptionId}/products`, { ...base, metric: 'cpu' }],
      [`/api/v1/billing/subscriptions/${subscriptionId}/products`, { ...base, unit: 'TB' }],
      [`/api/v1/billing/subscriptions/${subscriptionId}/products`, { ...base, valueMode: 'median' }],
      [`/api/v1/billing/subscriptions/${subscriptionId}/products`, { ...base, currency: 'eur' }],
      [subscriptions, { name: 'Lower-case currency', currency: 'eur' }],
      [
        '/api/v1/billing/contracts',
        { subscriptionId, customerBuId: customer, startDate: '2026-01-01', settlementRate: 3 },
      ],
      [
        '/api/v1/billing/contracts',
        { subscriptionId, customerBuId: customer, startDate: '2026-01-01', settlementRate: 12, timing: 'later' },
      ],
    ];
    for (const [url, payload] of refusals) {
      const response = await call(finance, 'POST', url, payload);
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      expect((response.json() as { type: string }).type).toBe('urn:coffer:problem:validation_failed');
    }
    const accepted = await call(finance, 'POST', `/api/v1/billing/subscriptions/${subscriptionId}/products`, {
      ...base,
      unit: 'GiB',
      valueMode: 'peak',
    });
    expect(accepted.statusCode, accepted.body).toBe(201);
    expect(accepted.json()).toMatchObject({ metric: 'stored', unit: 'GiB', valueMode: 'peak' });
  });

  it('pages runs, subscriptions and contracts with limit and cursor', async () => {
    const units = `/api/v1/business-units/${server.rootId}/billing`;
    for (const runDate of ['2025-10-01', '2025-11-01']) {
      expect((await call(admin, 'POST', `${units}/runs`, { runDate })).statusCode).toBe(201);
    }
    for (const name of ['Paged A', 'Paged B']) {
      expect((await call(admin, 'POST', `${units}/subscriptions`, { name, currency: 'EUR' })).statusCode).toBe(201);
    }
    for (const list of ['runs', 'subscriptions', 'contracts']) {
      const whole = (await call(admin, 'GET', `${units}/${list}?limit=500`)).json() as {
        items: { id: string }[];
        nextCursor: string | null;
      };
      expect(whole.nextCursor, list).toBeNull();
      expect(whole.items.length, list).toBeGreaterThanOrEqual(2);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const response = await call(
          admin,
          'GET',
          `${units}/${list}?limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        );
        expect(response.statusCode, response.body).toBe(200);
        const page = response.json() as { items: { id: string }[]; nextCursor: string | null };
        expect(page.items.length).toBeLessThanOrEqual(1);
        seen.push(...page.items.map((i) => i.id));
        cursor = page.nextCursor;
      } while (cursor !== null && seen.length <= whole.items.length);
      expect(seen, list).toEqual(whole.items.map((i) => i.id));
      const bad = await call(admin, 'GET', `${units}/${list}?cursor=not-a-cursor`);
      expect(bad.statusCode, list).toBe(400);
    }
    expect((await call(endUser, 'GET', `${units}/runs`)).statusCode).toBe(404);
  });

  it('serves usage to whoever sees the unit, exactly, and reconciliation only to operators', async () => {
    const now = await call(endUser, 'GET', `/api/v1/business-units/${customer}/usage`);
    expect(now.statusCode).toBe(200);
    // 2 × (2^53 − 1) + 40 GB is sent as an exact JSON integer.
    expect(now.body).toContain(`"protectedBytes":${2n * BigInt(Number.MAX_SAFE_INTEGER) + 40_000_000_000n}`);
    const history = await call(
      endUser,
      'GET',
      `/api/v1/business-units/${customer}/usage/history?from=2025-12-30&to=2026-01-01`,
    );
    expect(
      (history.json() as { days: { date: string; storedBytes: number }[] }).days.map((d) => [d.date, d.storedBytes]),
    ).toEqual([
      ['2025-12-30', 40 * GB],
      ['2025-12-31', 40 * GB],
      ['2026-01-01', 0],
    ]);
    expect((await call(endUser, 'GET', `/api/v1/business-units/${customer}/quota`)).json()).toMatchObject({
      state: 'ok',
      hardBytes: null,
    });
    expect(
      (await call(endUser, 'GET', `/api/v1/business-units/${customer}/billing/lines?from=2025-12-01&to=2026-01-01`))
        .statusCode,
    ).toBe(403);
    expect((await call(endUser, 'GET', `/api/v1/business-units/${reseller}/usage`)).statusCode).toBe(404);

    expect((await call(finance, 'GET', '/api/v1/usage/reconciliation')).statusCode).toBe(404);
    const measured = await call(admin, 'POST', '/api/v1/usage/zone-measurements', {
      zone: 'zone-1',
      measuredBytes: 50 * GB,
    });
    expect(measured.statusCode).toBe(201);
    const reconciliation = await call(admin, 'GET', '/api/v1/usage/reconciliation');
    expect(reconciliation.statusCode).toBe(200);
    const body = reconciliation.json() as { zones: { zone: string; unaccountedBytes: number }[] };
    expect(body.zones).toEqual([expect.objectContaining({ zone: 'zone-1', unaccountedBytes: 10 * GB })]);

    const openapi = (await server.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json() as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(openapi.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/business-units/{id}/usage',
        '/api/v1/billing/runs/{id}/export',
        '/api/v1/billing/contracts',
      ]),
    );
  });
});
