import { beforeAll, expect, it } from 'vitest';
import {
  createContract,
  createSubscription,
  getRun,
  type LineDetail,
  type LineView,
  type ProductInput,
  runBilling,
} from '../../src/billing/index.ts';
import type { Database } from '../../src/platform/index.ts';
import { describeEachDatabase } from '../helpers/databases.ts';
import { treeBuilder } from '../usage/tree.ts';
import { at, day, fillDays, GB, testContext } from './helpers.ts';

/** Stored bytes of the whole customer in March 2026: 100 GB on days 1-10, 300 on 11-20, 200 on 21-31. */
function marchStoredGb(date: string): number {
  const dom = Number(date.slice(8));
  return dom <= 10 ? 100 : dom <= 20 ? 300 : 200;
}

const stored = (name: string, extra: Partial<ProductInput>): ProductInput => ({
  name,
  metric: 'stored',
  currency: 'EUR',
  ...extra,
});

/**
 * Every expected amount below is computed by hand (cents, EUR) from the data above; the
 * comments show the arithmetic. Prices of gauges are per unit per month.
 */
describeEachDatabase('billing amounts (hand-computed)', (factory) => {
  let database: Database;

  beforeAll(async () => {
    database = await factory.create();
  });

  async function seller() {
    const tree = treeBuilder(database);
    const msp = await tree.add(null, 'MSP');
    const ctx = testContext(database, msp);
    return { tree, msp, ctx };
  }

  async function linesOf(ctx: ReturnType<typeof testContext>, sellerBuId: string, runDate: string) {
    const run = await runBilling(database, {
      sellerBuId,
      runDay: day(runDate),
      now: at(runDate, 1),
      trigger: 'manual',
    });
    expect(run?.status).toBe('posted');
    const { lines } = await getRun(ctx, run?.id as string);
    return lines;
  }

  const byName = (lines: LineView[]) => Object.fromEntries(lines.map((l) => [l.productName, l]));

  it('settles units vs packages, latest vs average vs peak, tiers and a minimum for one month', async () => {
    const { tree, msp, ctx } = await seller();
    const customer = await tree.add(msp, 'Customer');
    const tiers = [
      { upTo: 100, unitPrice: 10 },
      { upTo: null, unitPrice: 6 },
    ];
    const subscription = await createSubscription(ctx, msp, {
      name: 'Catalogue',
      currency: 'EUR',
      products: [
        stored('A units average', { valueMode: 'average', unitPrice: 5 }),
        stored('B packages peak', { valueMode: 'peak', settlement: 'packages', packageSize: 150, unitPrice: 700 }),
        {
          name: 'C protected GiB latest',
          metric: 'protected',
          unit: 'GiB',
          valueMode: 'latest',
          unitPrice: 3,
          currency: 'EUR',
        },
        stored('D packages latest', { valueMode: 'latest', settlement: 'packages', packageSize: 100, unitPrice: 450 }),
        { name: 'F transferred', metric: 'transferred', unitPrice: 2, currency: 'EUR' },
        { name: 'G clients average', metric: 'clients', valueMode: 'average', unitPrice: 1000, currency: 'EUR' },
        {
          name: 'H snapshots',
          metric: 'snapshots',
          valueMode: 'latest',
          settlement: 'packages',
          packageSize: 10,
          unitPrice: 50,
          currency: 'EUR',
        },
        stored('I volume tiers', { valueMode: 'average', tierMode: 'volume', tiers }),
        stored('J graduated tiers', { valueMode: 'average', tierMode: 'graduated', tiers }),
        stored('K minimum', { valueMode: 'latest', unitPrice: 1, minimumCharge: 5000 }),
      ],
    });
    await createContract(ctx, {
      subscriptionId: subscription.id,
      customerBuId: customer,
      startDate: '2026-03-01',
      settlementRate: 12,
    });
    for (const ds of ['ds-1', 'ds-2']) {
      await fillDays(database, {
        dataSourceId: `${customer}:${ds}`,
        buId: customer,
        from: '2026-03-01',
        to: '2026-03-31',
        figures: (date, index) => ({
          storedBytes: (marchStoredGb(date) / 2) * GB,
          protectedBytes: marchStoredGb(date) * GB,
          transferredBytes: GB / 2,
          snapshotCount: index + 1,
        }),
      });
    }
    const lines = byName(await linesOf(ctx, msp, '2026-04-01'));
    // Average stored (10×100 + 10×300 + 11×200) / 31 = 200 GB → 200.000 × 5 = 1000.
    expect(lines['A units average']?.quantity).toBe('200.000');
    expect(lines['A units average']?.amount).toBe(1000);
    // Peak 300 GB in 150 GB packages → 2 packages × 700 = 1400.
    expect(lines['B packages peak']?.quantity).toBe('2.000');
    expect(lines['B packages peak']?.amount).toBe(1400);
    // Latest protected 400 GB = 372.529029… GiB → 372.529 × 3 = 1117.587 → 1118.
    expect(lines['C protected GiB latest']?.quantity).toBe('372.529');
    expect(lines['C protected GiB latest']?.amount).toBe(1118);
    // Latest stored 200 GB in 100 GB packages → exactly 2 × 450 = 900.
    expect(lines['D packages latest']?.amount).toBe(900);
    // Transferred 31 days × 2 sources × 0.5 GB = 31 GB × 2 = 62 (consumed: no month factor).
    expect(lines['F transferred']?.quantity).toBe('31.000');
    expect(lines['F transferred']?.amount).toBe(62);
    // Two active clients every day → average 2 × 1000 = 2000.
    expect(lines['G clients average']?.amount).toBe(2000);
    // Latest snapshots 31 + 31 = 62 → 7 started packages of 10 × 50 = 350.
    expect(lines['H snapshots']?.quantity).toBe('7.000');
    expect(lines['H snapshots']?.amount).toBe(350);
    // Volume: all 200 GB at the second tier's 6 = 1200; graduated: 100 × 10 + 100 × 6 = 1600.
    expect(lines['I volume tiers']?.amount).toBe(1200);
    expect(lines['I volume tiers']?.unitPrice).toBe(6);
    expect(lines['J graduated tiers']?.amount).toBe(1600);
    expect(lines['J graduated tiers']?.unitPrice).toBeNull();
    // 200 GB × 1 = 200 is below the minimum of 5000 per month → 5000.
    expect(lines['K minimum']?.amount).toBe(5000);
    const detail = lines['K minimum']?.detail as LineDetail;
    expect(detail.minimumApplied).toBe(true);
    expect(detail.window).toEqual({ from: '2026-03-01', to: '2026-04-01' });
    expect(lines['A units average']?.periodStart).toBe('2026-03-01');
    expect(lines['A units average']?.periodEnd).toBe('2026-04-01');
  });

  it('prorates a contract starting mid-period and averages over its days only', async () => {
    const { tree, msp, ctx } = await seller();
    const customer = await tree.add(msp, 'Late starter');
    const subscription = await createSubscription(ctx, msp, {
      name: 'Simple',
      currency: 'EUR',
      products: [stored('Storage', { valueMode: 'average', unitPrice: 5 })],
    });
    await createContract(ctx, {
      subscriptionId: subscription.id,
      customerBuId: customer,
      startDate: '2026-03-11',
      settlementRate: 12,
    });
    await fillDays(database, {
      dataSourceId: `${customer}:ds`,
      buId: customer,
      from: '2026-03-01',
      to: '2026-03-31',
      figures: (date) => ({ storedBytes: marchStoredGb(date) * GB }),
    });
    const [line] = await linesOf(ctx, msp, '2026-04-01');
    // Days 11-31: (10×300 + 11×200) / 21 = 247.619047… GB → 247.619; × 5 = 1238.095 per month;
    // × 21/31 days covered = 838.7095… → 839.
    expect(line?.quantity).toBe('247.619');
    expect(line?.amount).toBe(839);
    expect(line?.detail).toMatchObject({ activeDays: 21, periodDays: 31 } satisfies Partial<LineDetail>);
  });

  it('settles quarterly and yearly contracts once per period, a partial first year prorated', async () => {
    const { tree, msp, ctx } = await seller();
    const quarterly = await tree.add(msp, 'Quarterly');
    const yearly = await tree.add(msp, 'Yearly');
    const average = await createSubscription(ctx, msp, {
      name: 'Average',
      currency: 'EUR',
      products: [stored('Storage', { valueMode: 'average', unitPrice: 5 })],
    });
    const latest = await createSubscription(ctx, msp, {
      name: 'Latest',
      currency: 'EUR',
      products: [stored('Storage', { valueMode: 'latest', unitPrice: 5 })],
    });
    await createContract(ctx, {
      subscriptionId: average.id,
      customerBuId: quarterly,
      startDate: '2026-01-01',
      settlementRate: 4,
    });
    await createContract(ctx, {
      subscriptionId: latest.id,
      customerBuId: yearly,
      startDate: '2025-07-01',
      settlementRate: 1,
    });
    await fillDays(database, {
      dataSourceId: `${yearly}:ds`,
      buId: yearly,
      from: '2025-12-31',
      to: '2025-12-31',
      figures: () => ({ storedBytes: 50 * GB }),
    });
    // 1500 GB on the 15th of each month, nothing on the other 87 days of the quarter.
    for (const month of ['01', '02', '03']) {
      await fillDays(database, {
        dataSourceId: `${quarterly}:ds`,
        buId: quarterly,
        from: `2026-${month}-15`,
        to: `2026-${month}-15`,
        figures: () => ({ storedBytes: 1500 * GB }),
      });
    }
    // Year 2025 (365 days), contract from 1 July: 184 days. Latest 50 GB × 5 × 12 months
    // = 3000 × 184/365 = 1512.33 → 1512.
    const january = await linesOf(ctx, msp, '2026-01-01');
    expect(january.map((l) => [l.customerBuId, l.periodStart, l.periodEnd, l.amount])).toEqual([
      [yearly, '2025-01-01', '2026-01-01', 1512],
    ]);
    expect(await linesOf(ctx, msp, '2026-02-01')).toEqual([]);
    expect(await linesOf(ctx, msp, '2026-03-01')).toEqual([]);
    // First quarter (90 days): average 3 × 1500 / 90 = 50 GB × 5 × 3 months = 750.
    const april = await linesOf(ctx, msp, '2026-04-01');
    expect(april.map((l) => [l.customerBuId, l.periodStart, l.periodEnd, l.amount])).toEqual([
      [quarterly, '2026-01-01', '2026-04-01', 750],
    ]);
  });

  it('bills gauges in advance from the previous period and consumed transfer in arrears', async () => {
    const { tree, msp, ctx } = await seller();
    const customer = await tree.add(msp, 'Prepaid');
    const subscription = await createSubscription(ctx, msp, {
      name: 'Advance',
      currency: 'EUR',
      products: [
        stored('Storage', { valueMode: 'latest', unitPrice: 5 }),
        { name: 'Transfer', metric: 'transferred', unitPrice: 2, currency: 'EUR' },
      ],
    });
    await createContract(ctx, {
      subscriptionId: subscription.id,
      customerBuId: customer,
      startDate: '2026-04-01',
      settlementRate: 12,
      timing: 'advance',
    });
    await fillDays(database, {
      dataSourceId: `${customer}:ds`,
      buId: customer,
      from: '2026-03-25',
      to: '2026-03-31',
      figures: () => ({ storedBytes: 200 * GB, transferredBytes: 7 * GB }),
    });
    // 1 April: April's storage in advance from March's latest 200 GB × 5 = 1000; March's
    // transfer is outside the contract.
    const april = await linesOf(ctx, msp, '2026-04-01');
    expect(april.map((l) => [l.productName, l.periodStart, l.amount])).toEqual([['Storage', '2026-04-01', 1000]]);
    await fillDays(database, {
      dataSourceId: `${customer}:ds`,
      buId: customer,
      from: '2026-04-01',
      to: '2026-04-30',
      figures: () => ({ storedBytes: 120 * GB, transferredBytes: GB }),
    });
    // 1 May: May in advance from April's latest 120 GB × 5 = 600; April's transfer 30 GB × 2 = 60.
    const may = await linesOf(ctx, msp, '2026-05-01');
    expect(may.map((l) => [l.productName, l.periodStart, l.amount])).toEqual([
      ['Storage', '2026-05-01', 600],
      ['Transfer', '2026-04-01', 60],
    ]);
  });
});
