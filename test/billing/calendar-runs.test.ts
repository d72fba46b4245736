import { expect, it } from 'vitest';
import {
  createContract,
  createSubscription,
  getRun,
  runDueBilling,
  setBillingProfile,
} from '../../src/billing/index.ts';
import { describeEachDatabase } from '../helpers/databases.ts';
import { treeBuilder } from '../usage/tree.ts';
import { at, fillDays, GB, testContext } from './helpers.ts';

/** The daily job looks at every seller, so each test uses its own database. */
describeEachDatabase('scheduled runs on month ends and in leap years', (factory) => {
  async function setup(billingDay: number) {
    const database = await factory.create();
    const tree = treeBuilder(database);
    const msp = await tree.add(null, 'MSP');
    const ctx = testContext(database, msp);
    await setBillingProfile(ctx, msp, { billingDay });
    const subscription = await createSubscription(ctx, msp, {
      name: 'Average',
      currency: 'EUR',
      products: [{ name: 'Storage', metric: 'stored', valueMode: 'average', unitPrice: 100, currency: 'EUR' }],
    });
    const customer = async (name: string, startDate: string) => {
      const id = await tree.add(msp, name);
      await createContract(ctx, { subscriptionId: subscription.id, customerBuId: id, startDate, settlementRate: 12 });
      return id;
    };
    return { database, msp, ctx, customer };
  }

  it('settles a 31st billing day on 30 April and on 28 February', async () => {
    const { database, ctx, customer } = await setup(31);
    const february = await customer('February', '2026-01-31');
    const april = await customer('April', '2026-03-31');
    // Period [31 Jan, 28 Feb) has 28 days: 28 GB on one day → average 1 GB × 1.00 = 100.
    await fillDays(database, {
      dataSourceId: 'ds-feb',
      buId: february,
      from: '2026-02-27',
      to: '2026-02-27',
      figures: () => ({ storedBytes: 28 * GB }),
    });
    // Period [31 Mar, 30 Apr) has 30 days: 30 GB on one day → average 1 GB → 100.
    await fillDays(database, {
      dataSourceId: 'ds-apr',
      buId: april,
      from: '2026-04-29',
      to: '2026-04-29',
      figures: () => ({ storedBytes: 30 * GB }),
    });

    expect((await runDueBilling(database, at('2026-02-27', 0))).runs).toEqual([]);
    const feb = await runDueBilling(database, at('2026-02-28', 0));
    expect(feb.runs.map((r) => [r.runDate, r.lineCount])).toEqual([['2026-02-28', 1]]);
    const febLines = (await getRun(ctx, feb.runs[0]?.runId as string)).lines;
    expect(febLines.map((l) => [l.customerBuId, l.periodStart, l.periodEnd, l.amount])).toEqual([
      [february, '2026-01-31', '2026-02-28', 100],
    ]);
    // The same day again (a second process, or a retry) does nothing.
    expect((await runDueBilling(database, at('2026-02-28', 6))).runs).toEqual([]);

    const march = await runDueBilling(database, at('2026-03-31', 0));
    expect(march.runs.map((r) => [r.runDate, r.lineCount])).toEqual([['2026-03-31', 1]]);
    expect((await runDueBilling(database, at('2026-04-29', 0))).runs).toEqual([]);
    const apr = await runDueBilling(database, at('2026-04-30', 0));
    expect(apr.runs.map((r) => r.runDate)).toEqual(['2026-04-30']);
    const aprLines = (await getRun(ctx, apr.runs[0]?.runId as string)).lines.filter((l) => l.customerBuId === april);
    expect(aprLines.map((l) => [l.periodStart, l.periodEnd, l.amount])).toEqual([['2026-03-31', '2026-04-30', 100]]);
  });

  it('averages February of a leap year over 29 days and catches up a missed run day', async () => {
    const { database, ctx, customer } = await setup(1);
    const leap = await customer('Leap', '2028-02-01');
    // 290 GB on 29 February only → 290 / 29 = 10 GB average × 1.00 = 1000 (28 days would give 1035.71).
    await fillDays(database, {
      dataSourceId: 'ds-leap',
      buId: leap,
      from: '2028-02-29',
      to: '2028-02-29',
      figures: () => ({ storedBytes: 290 * GB }),
    });
    // No process ran on 1 March; the next day's check still bills the run of 1 March.
    const result = await runDueBilling(database, at('2028-03-02', 0));
    expect(result.runs.map((r) => r.runDate)).toEqual(['2028-03-01']);
    const lines = (await getRun(ctx, result.runs[0]?.runId as string)).lines;
    expect(lines.map((l) => [l.periodStart, l.periodEnd, l.quantity, l.amount])).toEqual([
      ['2028-02-01', '2028-03-01', '10.000', 1000],
    ]);
  });
});
