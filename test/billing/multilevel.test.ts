import { beforeAll, expect, it } from 'vitest';
import {
  createContract,
  createSubscription,
  endContract,
  endContractsAfterMove,
  getContract,
  getRun,
  listCustomerLines,
  listSubscriptions,
  marginView,
  runBilling,
} from '../../src/billing/index.ts';
import { type Database, NotFoundError } from '../../src/platform/index.ts';
import { closeDays, formatDay, msPerDay, recordConsumption } from '../../src/usage/index.ts';
import { describeEachDatabase } from '../helpers/databases.ts';
import { treeBuilder } from '../usage/tree.ts';
import { at, day, GB, testContext } from './helpers.ts';

describeEachDatabase('multi-level billing with a customer moving between resellers', (factory) => {
  let database: Database;

  beforeAll(async () => {
    database = await factory.create();
  });

  it('bills each reseller for the days the customer was below it, at each level’s prices, with margins', async () => {
    const tree = treeBuilder(database);
    const msp = await tree.add(null, 'MSP');
    const r1 = await tree.add(msp, 'Reseller 1');
    const r2 = await tree.add(msp, 'Reseller 2');
    const customer = await tree.add(r1, 'Customer');
    const mspCtx = testContext(database, msp);
    const r1Ctx = testContext(database, r1);
    const r2Ctx = testContext(database, r2);
    const average = (price: number) => [
      { name: 'Storage', metric: 'stored', valueMode: 'average', unitPrice: price, currency: 'EUR' },
    ];
    const wholesale = await createSubscription(mspCtx, msp, {
      name: 'Wholesale',
      currency: 'EUR',
      products: average(4),
    });
    const retail1 = await createSubscription(r1Ctx, r1, { name: 'Retail', currency: 'EUR', products: average(6) });
    const retail2 = await createSubscription(r2Ctx, r2, { name: 'Retail', currency: 'EUR', products: average(7) });
    const msp1 = await createContract(mspCtx, {
      subscriptionId: wholesale.id,
      customerBuId: r1,
      startDate: '2026-03-01',
      settlementRate: 12,
    });
    await createContract(mspCtx, {
      subscriptionId: wholesale.id,
      customerBuId: r2,
      startDate: '2026-03-01',
      settlementRate: 12,
    });
    const sold1 = await createContract(r1Ctx, {
      subscriptionId: retail1.id,
      customerBuId: customer,
      startDate: '2026-03-01',
      settlementRate: 12,
    });

    for (let d = day('2026-03-01'); d <= day('2026-03-31'); d++) {
      if (d === day('2026-03-11')) {
        await tree.move(customer, r2);
        expect(await endContractsAfterMove(database, { movedBuId: customer, day: d, now: d * msPerDay })).toEqual([
          sold1.id,
        ]);
        await createContract(r2Ctx, {
          subscriptionId: retail2.id,
          customerBuId: customer,
          startDate: formatDay(d),
          settlementRate: 12,
        });
      }
      await recordConsumption(database, {
        dataSourceId: `${customer}:ds`,
        buId: customer,
        day: d,
        storedBytes: 100 * GB,
        protectedBytes: 100 * GB,
        transferredBytes: 0,
        snapshotCount: 1,
        clientActive: true,
        asOf: d * msPerDay + 3_600_000,
      });
      await closeDays(database, (d + 1) * msPerDay + 300_000);
    }

    const run = async (seller: string, ctx: typeof mspCtx) => {
      const posted = await runBilling(database, {
        sellerBuId: seller,
        runDay: day('2026-04-01'),
        now: at('2026-04-01', 1),
        trigger: 'manual',
      });
      return (await getRun(ctx, posted?.id as string)).lines.map((l) => [l.customerBuId, l.quantity, l.amount]);
    };
    // MSP at 4/GB: reseller 1 held 100 GB for 10 of 31 days → 32.258 GB × 4 = 129.03 → 129;
    // reseller 2 for 21 days → 67.742 GB × 4 = 270.97 → 271. Together the full 100 GB × 4 = 400.
    expect(await run(msp, mspCtx)).toEqual(
      [
        [r1, '32.258', 129],
        [r2, '67.742', 271],
      ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    );
    // Reseller 1 at 6/GB, its contract ended by the move on 11 March: 100 GB × 6 × 10/31 = 193.55 → 194.
    expect(await run(r1, r1Ctx)).toEqual([[customer, '100.000', 194]]);
    // Reseller 2 at 7/GB from 11 March: 100 GB × 7 × 21/31 = 474.19 → 474.
    expect(await run(r2, r2Ctx)).toEqual([[customer, '100.000', 474]]);

    const margin1 = await marginView(r1Ctx, r1, { from: '2026-03-01', to: '2026-04-01' });
    expect(margin1.rows).toEqual([
      { month: '2026-03', product: 'stored', currency: 'EUR', cost: 129, sell: 194, margin: 65 },
    ]);
    const margin2 = await marginView(r2Ctx, r2, { from: '2026-03-01', to: '2026-04-01' });
    expect(margin2.rows).toEqual([
      { month: '2026-03', product: 'stored', currency: 'EUR', cost: 271, sell: 474, margin: 203 },
    ]);

    // Each level sees only its own subtree: reseller 1 neither sees the MSP's price list nor
    // may change its purchase contract, and no longer reaches the customer that left.
    expect((await listSubscriptions(r1Ctx, r1, { inherited: true })).items.map((s) => s.ownerBuId)).toEqual([r1]);
    expect((await getContract(r1Ctx, msp1.id)).sellerBuId).toBe(msp);
    await expect(endContract(r1Ctx, msp1.id, '2026-06-01')).rejects.toThrow(NotFoundError);
    await expect(listCustomerLines(r1Ctx, customer, { from: '2026-03-01', to: '2026-04-01' })).rejects.toThrow(
      NotFoundError,
    );
    const customerCtx = testContext(database, customer, { privileges: ['billing.read'] });
    const seen = await listCustomerLines(customerCtx, customer, { from: '2026-03-01', to: '2026-04-01' });
    expect(seen.map((l) => l.amount).sort()).toEqual([194, 474]);
  });
});
