import { expect, it } from 'vitest';
import { billingBackground, createContract, createSubscription } from '../../src/billing/index.ts';
import { createJobQueue, createScheduler, createWorker, type Job, ManualClock } from '../../src/platform/index.ts';
import { usageBackground } from '../../src/usage/index.ts';
import { describeEachDatabase } from '../helpers/databases.ts';
import { treeBuilder } from '../usage/tree.ts';
import { at, fillDays, GB, testContext } from './helpers.ts';

describeEachDatabase('usage and billing background work', (factory) => {
  it('declares valid schedules and runs the nightly close and the billing day through the job queue', async () => {
    const database = await factory.create();
    const clock = new ManualClock(at('2026-03-31', 12));
    const tree = treeBuilder(database);
    const msp = await tree.add(null, 'MSP');
    const customer = await tree.add(msp, 'Customer');
    const ctx = testContext(database, msp, { clock });
    const subscription = await createSubscription(ctx, msp, {
      name: 'Standard',
      currency: 'EUR',
      products: [{ name: 'Storage', metric: 'stored', valueMode: 'average', unitPrice: 5, currency: 'EUR' }],
    });
    await createContract(ctx, {
      subscriptionId: subscription.id,
      customerBuId: customer,
      startDate: '2026-03-01',
      settlementRate: 12,
    });
    await fillDays(database, {
      dataSourceId: 'ds',
      buId: customer,
      from: '2026-03-31',
      to: '2026-03-31',
      figures: () => ({ storedBytes: 31 * GB }),
    });

    const contributions = [usageBackground({ database, clock }), billingBackground({ database, clock })];
    const queue = createJobQueue({ database, clock });
    const scheduler = createScheduler({ database, clock, queue });
    for (const schedule of contributions.flatMap((c) => c.schedules)) await scheduler.upsertSchedule(schedule);
    expect((await scheduler.listSchedules()).map((s) => s.name).sort()).toEqual([
      'billing.daily',
      'usage.close-days',
      'usage.quota-check',
    ]);

    // 1 April 00:40 UTC: the close (00:05) carries 31 March into 1 April, then billing (00:30) runs.
    clock.set(at('2026-04-01', 0) + 40 * 60_000);
    expect((await scheduler.tick()).map((f) => f.schedule).sort()).toEqual([
      'billing.daily',
      'usage.close-days',
      'usage.quota-check',
    ]);
    const finished: Job[] = [];
    const worker = createWorker({
      queue,
      handlers: Object.assign({}, ...contributions.map((c) => c.handlers)),
      concurrency: 1,
      pollIntervalMs: 10,
    });
    worker.start();
    for (let i = 0; i < 200 && finished.length < 3; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      finished.splice(0, finished.length, ...(await queue.list({ status: 'succeeded' })).jobs);
    }
    await worker.stop();
    const results = Object.fromEntries(finished.map((j) => [j.kind, j.result]));
    expect(results['usage.close-days']).toMatchObject({ carried: [{ day: expect.any(Number), dataSources: 1 }] });
    // Only 31 March had 31 GB: 31 × 1 GB-day / 31 days = 1 GB average × 5 = 5.
    expect(results['billing.daily']).toMatchObject({
      runs: [{ sellerBuId: msp, runDate: '2026-04-01', lineCount: 1 }],
    });
  });
});
