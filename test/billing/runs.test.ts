import { beforeAll, expect, it } from 'vitest';
import {
  correctLine,
  createContract,
  createSubscription,
  dryRun,
  exportRun,
  getRun,
  lineFeed,
  listContractRegistrations,
  pendingBillingEvents,
  registerManualConsumption,
  runBilling,
  startRun,
  updateProduct,
} from '../../src/billing/index.ts';
import { ConflictError, type Database, ValidationError } from '../../src/platform/index.ts';
import { describeEachDatabase } from '../helpers/databases.ts';
import { treeBuilder } from '../usage/tree.ts';
import { at, day, fillDays, GB, testContext } from './helpers.ts';

class SimulatedCrash extends Error {}

describeEachDatabase('billing runs', (factory) => {
  let database: Database;

  beforeAll(async () => {
    database = await factory.create();
  });

  async function sellerWithCustomers(count: number) {
    const tree = treeBuilder(database);
    const msp = await tree.add(null, 'MSP');
    const ctx = testContext(database, msp);
    const subscription = await createSubscription(ctx, msp, {
      name: 'Standard',
      currency: 'EUR',
      products: [
        { name: 'Storage', metric: 'stored', valueMode: 'latest', unitPrice: 5, currency: 'EUR' },
        { name: 'Clients', metric: 'clients', valueMode: 'latest', unitPrice: 100, currency: 'EUR' },
        { name: 'Support', metric: 'manual', unitLabel: 'hour', unitPrice: 9000, currency: 'EUR' },
      ],
    });
    const customers: { id: string; contractId: string }[] = [];
    for (let i = 0; i < count; i++) {
      const id = await tree.add(msp, `Customer ${i + 1}`);
      const contract = await createContract(ctx, {
        subscriptionId: subscription.id,
        customerBuId: id,
        startDate: '2026-03-01',
        settlementRate: 12,
      });
      await fillDays(database, {
        dataSourceId: `${id}:ds`,
        buId: id,
        from: '2026-03-31',
        to: '2026-03-31',
        figures: () => ({ storedBytes: (i + 1) * 10 * GB }),
      });
      customers.push({ id, contractId: contract.id });
    }
    const support = subscription.products.find((p) => p.name === 'Support')?.id as string;
    const storage = subscription.products.find((p) => p.name === 'Storage')?.id as string;
    return { msp, ctx, customers, support, storage };
  }

  it('completes a run after a crash mid-run without billing anything twice', async () => {
    const { msp, ctx, customers } = await sellerWithCustomers(3);
    let written = 0;
    await expect(
      runBilling(database, {
        sellerBuId: msp,
        runDay: day('2026-04-01'),
        now: at('2026-04-01', 1),
        trigger: 'schedule',
        onLineWritten: () => {
          written += 1;
          if (written === 4) throw new SimulatedCrash('power cut after 4 lines');
        },
      }),
    ).rejects.toThrow(SimulatedCrash);
    // The first contract's three lines committed; the second contract's line rolled back with it.
    const rerun = await runBilling(database, {
      sellerBuId: msp,
      runDay: day('2026-04-01'),
      now: at('2026-04-01', 2),
      trigger: 'schedule',
    });
    const again = await runBilling(database, {
      sellerBuId: msp,
      runDay: day('2026-04-01'),
      now: at('2026-04-01', 3),
      trigger: 'schedule',
    });
    expect(again?.id).toBe(rerun?.id);
    const { run, lines } = await getRun(ctx, rerun?.id as string);
    expect(run.status).toBe('posted');
    expect(lines).toHaveLength(9);
    const perCustomer = customers.map((c) =>
      lines.filter((l) => l.customerBuId === c.id).map((l) => [l.productName, l.amount]),
    );
    // Storage latest (i+1)×10 GB × 5; one active client × 100; no support registered.
    expect(perCustomer).toEqual([
      [
        ['Clients', 100],
        ['Storage', 50],
        ['Support', 0],
      ],
      [
        ['Clients', 100],
        ['Storage', 100],
        ['Support', 0],
      ],
      [
        ['Clients', 100],
        ['Storage', 150],
        ['Support', 0],
      ],
    ]);
    expect(run.totals).toEqual({ EUR: 600 });
    const seqs = lines.map((l) => l.seq as number).sort((a, b) => a - b);
    expect(new Set(seqs).size).toBe(9);
    const events = (await pendingBillingEvents(database, 1000)).filter(
      (e) => e.kind === 'billing.run.posted' && (e.payload as { runId: string }).runId === run.id,
    );
    expect(events).toHaveLength(1);
  });

  it('bills manual registrations in the next settlement, late ones included, and refuses bad quantities', async () => {
    const { msp, ctx, customers, support, storage } = await sellerWithCustomers(1);
    const contractId = customers[0]?.contractId as string;
    await registerManualConsumption(ctx, contractId, {
      productId: support,
      date: '2026-03-05',
      quantity: 1.5,
      note: 'restore help',
    });
    await registerManualConsumption(ctx, contractId, {
      productId: support,
      date: '2026-03-20',
      quantity: '0.25',
      note: 'call',
    });
    for (const bad of [-1, 0, '1.2345', 'two']) {
      await expect(
        registerManualConsumption(ctx, contractId, {
          productId: support,
          date: '2026-03-21',
          quantity: bad,
          note: 'x',
        }),
      ).rejects.toThrow(ValidationError);
    }
    await expect(
      registerManualConsumption(ctx, contractId, { productId: storage, date: '2026-03-21', quantity: 1, note: 'x' }),
    ).rejects.toThrow(ValidationError);
    await expect(
      registerManualConsumption(ctx, contractId, {
        productId: support,
        date: '2026-02-21',
        quantity: 1,
        note: 'before the contract',
      }),
    ).rejects.toThrow(ValidationError);
    expect(await listContractRegistrations(ctx, contractId)).toHaveLength(2);

    const march = await runBilling(database, {
      sellerBuId: msp,
      runDay: day('2026-04-01'),
      now: at('2026-04-01', 1),
      trigger: 'manual',
    });
    const marchSupport = (await getRun(ctx, march?.id as string)).lines.find((l) => l.productName === 'Support');
    // (1.5 + 0.25) hours × 90.00 = 157.50.
    expect(marchSupport?.quantity).toBe('1.750');
    expect(marchSupport?.amount).toBe(15_750);
    // Registered after the March run for a March day: billed with April's 2 hours in May.
    await registerManualConsumption(ctx, contractId, {
      productId: support,
      date: '2026-03-30',
      quantity: 0.5,
      note: 'late',
    });
    await registerManualConsumption(ctx, contractId, {
      productId: support,
      date: '2026-04-10',
      quantity: 2,
      note: 'migration',
    });
    const april = await runBilling(database, {
      sellerBuId: msp,
      runDay: day('2026-05-01'),
      now: at('2026-05-01', 1),
      trigger: 'manual',
    });
    const aprilSupport = (await getRun(ctx, april?.id as string)).lines.find((l) => l.productName === 'Support');
    expect(aprilSupport?.quantity).toBe('2.500');
    expect(aprilSupport?.amount).toBe(22_500);
    const registrations = await listContractRegistrations(ctx, contractId);
    expect(registrations.every((r) => r.settledLineId !== null)).toBe(true);
  });

  it('corrects posted lines with credit and debit lines and exports runs and an ERP feed', async () => {
    const { msp, ctx, customers } = await sellerWithCustomers(2);
    ctx.clock.set(at('2026-04-01', 9));
    const started = await startRun(ctx, msp);
    expect(started.run.runDate).toBe('2026-04-01');
    const storage = started.lines.find((l) => l.productName === 'Storage' && l.customerBuId === customers[1]?.id);
    expect(storage?.amount).toBe(100);
    const before = await lineFeed(ctx, msp, {});
    expect(before.lines.map((l) => l.id)).toEqual(
      [...started.lines].sort((a, b) => (a.seq as number) - (b.seq as number)).map((l) => l.id),
    );

    const credit = await correctLine(ctx, storage?.id as string, {
      kind: 'credit',
      amount: 30,
      reason: 'outage in March',
    });
    expect(credit.amount).toBe(-30);
    expect(credit.correctsLineId).toBe(storage?.id);
    await expect(
      correctLine(ctx, storage?.id as string, { kind: 'credit', amount: 71, reason: 'too much' }),
    ).rejects.toThrow(ConflictError);
    const debit = await correctLine(ctx, storage?.id as string, { kind: 'debit', amount: 5, reason: 'late fee' });
    const after = await lineFeed(ctx, msp, { after: before.nextCursor });
    expect(after.lines.map((l) => [l.kind, l.amount])).toEqual([
      ['credit', -30],
      ['debit', 5],
    ]);
    expect(after.nextCursor).toBe(debit.seq);
    expect((await lineFeed(ctx, msp, { after: after.nextCursor })).lines).toEqual([]);
    // The original line is untouched.
    expect((await getRun(ctx, started.run.id)).lines.find((l) => l.id === storage?.id)?.amount).toBe(100);

    const csv = await exportRun(ctx, started.run.id, 'csv');
    const rows = csv.body.trim().split('\r\n');
    expect(rows[0]?.startsWith('line_id,seq,kind,run_id,run_date')).toBe(true);
    expect(rows).toHaveLength(1 + started.lines.length);
    expect(rows.some((r) => r.includes(',Storage,stored,2026-03-01,2026-04-01,10.000,GB,5,50,0.50,EUR,'))).toBe(true);
    const json = JSON.parse((await exportRun(ctx, started.run.id, 'json')).body);
    expect(json.run.id).toBe(started.run.id);
    expect(json.lines).toHaveLength(started.lines.length);
  });

  it('dry-runs the next run with the difference to the last period and the reasons', async () => {
    const { msp, ctx, customers, storage } = await sellerWithCustomers(1);
    const customer = customers[0]?.id as string;
    await runBilling(database, {
      sellerBuId: msp,
      runDay: day('2026-04-01'),
      now: at('2026-04-01', 1),
      trigger: 'manual',
    });
    await updateProduct(ctx, storage, { unitPrice: 6 });
    await fillDays(database, {
      dataSourceId: `${customer}:ds`,
      buId: customer,
      from: '2026-04-01',
      to: '2026-04-15',
      figures: () => ({ storedBytes: 30 * GB }),
    });
    ctx.clock.set(at('2026-04-15', 18));
    const preview = await dryRun(ctx, msp);
    expect(preview.runDate).toBe('2026-05-01');
    expect(preview.dataUntil).toBe('2026-04-16');
    const line = preview.lines.find((l) => l.line.productName === 'Storage');
    // Latest so far 30 GB × 6 = 180 against March's 10 GB × 5 = 50.
    expect(line?.line.amount).toBe(180);
    expect(line?.previous?.amount).toBe(50);
    expect(line?.amountChange).toBe(130);
    expect(line?.quantityChange).toBe('20.000');
    expect(line?.reasons).toEqual([
      'price changed from 0.05 EUR to 0.06 EUR',
      'quantity changed from 10.000 to 30.000 GB (latest stored)',
      'period length changed from 31 to 30 days',
      'estimate: usage measured until 2026-04-16',
    ]);
    const clients = preview.lines.find((l) => l.line.productName === 'Clients');
    expect(clients?.reasons).toEqual([
      'period length changed from 31 to 30 days',
      'estimate: usage measured until 2026-04-16',
    ]);
    expect(preview.previousTotals).toEqual({ EUR: 150 });
    expect(preview.totals).toEqual({ EUR: 280 });
    // Nothing was written by the dry run.
    expect((await lineFeed(ctx, msp, {})).lines).toHaveLength(3);
  });
});
