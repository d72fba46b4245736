import { beforeAll, expect, it } from 'vitest';
import {
  createContract,
  createSubscription,
  listContracts,
  listSellerRuns,
  listSubscriptions,
  startRun,
} from '../../src/billing/index.ts';
import { type Database, NotFoundError, ValidationError } from '../../src/platform/index.ts';
import { describeEachDatabase } from '../helpers/databases.ts';
import { treeBuilder } from '../usage/tree.ts';
import { testContext } from './helpers.ts';

type Lister<T> = (options: { limit?: number; cursor?: string }) => Promise<{ items: T[]; nextCursor: string | null }>;

/** Walks every page `limit` at a time and returns the items in order. */
async function walk<T>(list: Lister<T>, limit: number): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 100; pages++) {
    const page = await list({ limit, ...(cursor ? { cursor } : {}) });
    expect(page.items.length).toBeLessThanOrEqual(limit);
    items.push(...page.items);
    if (page.nextCursor === null) return items;
    cursor = page.nextCursor;
  }
  throw new Error('the cursor did not end');
}

const support = { name: 'Support', metric: 'manual', unitPrice: 100, currency: 'EUR' };

describeEachDatabase('billing listings page by cursor', (factory) => {
  let database: Database;

  beforeAll(async () => {
    database = await factory.create();
  });

  it('pages subscriptions by name, across the units above with inherited=true', async () => {
    const tree = treeBuilder(database);
    const msp = await tree.add(null, 'MSP');
    const reseller = await tree.add(msp, 'Reseller');
    const ctx = testContext(database, msp);
    for (const name of ['Delta', 'Alpha', 'Echo']) await createSubscription(ctx, msp, { name, currency: 'EUR' });
    for (const name of ['Charlie', 'Bravo', 'Alpha'])
      await createSubscription(ctx, reseller, { name, currency: 'EUR' });

    const all = await listSubscriptions(ctx, reseller, { inherited: true, limit: 50 });
    expect(all.nextCursor).toBeNull();
    expect(all.items.map((s) => s.name)).toEqual(['Alpha', 'Alpha', 'Bravo', 'Charlie', 'Delta', 'Echo']);
    for (const limit of [1, 2, 4]) {
      const walked = await walk((o) => listSubscriptions(ctx, reseller, { inherited: true, ...o }), limit);
      expect(walked.map((s) => s.id)).toEqual(all.items.map((s) => s.id));
    }
    const own = await walk((o) => listSubscriptions(ctx, reseller, o), 2);
    expect(own.map((s) => s.name)).toEqual(['Alpha', 'Bravo', 'Charlie']);
    // A page holds its subscriptions' products.
    await createSubscription(ctx, reseller, { name: 'With product', currency: 'EUR', products: [support] });
    const last = await listSubscriptions(ctx, reseller, { limit: 1, cursor: (await pageAfter('Charlie')) ?? '' });
    expect(last.items.map((s) => [s.name, s.products.map((p) => p.name)])).toEqual([['With product', ['Support']]]);
    async function pageAfter(name: string) {
      let cursor: string | null = null;
      for (;;) {
        const page = await listSubscriptions(ctx, reseller, { limit: 1, ...(cursor ? { cursor } : {}) });
        if (page.items[0]?.name === name) return page.nextCursor;
        cursor = page.nextCursor;
        if (cursor === null) return null;
      }
    }
    await expect(listSubscriptions(ctx, reseller, { limit: 0 })).rejects.toThrow(ValidationError);
    await expect(listSubscriptions(ctx, reseller, { cursor: 'garbage' })).rejects.toThrow(ValidationError);
  });

  it('pages contracts newest first, with their subscription names', async () => {
    const tree = treeBuilder(database);
    const msp = await tree.add(null, 'MSP');
    const ctx = testContext(database, msp);
    const customers: string[] = [];
    for (let i = 0; i < 5; i++) customers.push(await tree.add(msp, `Customer ${i}`));
    const subscription = await createSubscription(ctx, msp, { name: 'Standard', currency: 'EUR', products: [support] });
    const created: string[] = [];
    for (const customer of customers) {
      const contract = await createContract(ctx, {
        subscriptionId: subscription.id,
        customerBuId: customer,
        startDate: '2025-11-01',
        settlementRate: 12,
      });
      created.push(contract.id);
    }
    const all = await listContracts(ctx, msp, { limit: 500 });
    expect(all.items.map((c) => c.id)).toEqual([...created].sort().reverse());
    expect(new Set(all.items.map((c) => c.subscriptionName))).toEqual(new Set(['Standard']));
    for (const limit of [1, 2, 3]) {
      expect(await walk((o) => listContracts(ctx, msp, o), limit)).toEqual(all.items);
    }
    // The customer side sees only its own contract.
    const customerCtx = testContext(database, customers[2] as string, { privileges: ['billing.read'] });
    expect((await listContracts(customerCtx, customers[2] as string)).items.map((c) => c.id)).toEqual([created[2]]);
    await expect(listContracts(customerCtx, msp)).rejects.toThrow(NotFoundError);
  });

  it('pages a seller’s runs by run date, newest first', async () => {
    const tree = treeBuilder(database);
    const msp = await tree.add(null, 'MSP');
    const ctx = testContext(database, msp);
    for (const runDate of ['2025-10-01', '2025-12-01', '2025-11-01', '2025-09-01']) {
      await startRun(ctx, msp, { runDate });
    }
    const all = await listSellerRuns(ctx, msp);
    expect(all.items.map((r) => r.runDate)).toEqual(['2025-12-01', '2025-11-01', '2025-10-01', '2025-09-01']);
    expect(all.nextCursor).toBeNull();
    for (const limit of [1, 3]) expect(await walk((o) => listSellerRuns(ctx, msp, o), limit)).toEqual(all.items);
    const first = await listSellerRuns(ctx, msp, { limit: 2 });
    expect(first.items.map((r) => r.runDate)).toEqual(['2025-12-01', '2025-11-01']);
    expect(first.nextCursor).not.toBeNull();
    await expect(listSellerRuns(ctx, msp, { limit: 501 })).rejects.toThrow(ValidationError);
  });
});
