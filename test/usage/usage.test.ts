import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Database, newId, ValidationError } from '../../src/platform/index.ts';
import {
  type ConsumptionSample,
  carryForward,
  closeDays,
  epochDay,
  msPerDay,
  reconcileUsage,
  recordConsumption,
  recordZoneMeasurement,
  retireDataSource,
  subtreeUsageHistory,
  subtreeUsageNow,
  subtreeUsageOnDay,
} from '../../src/usage/index.ts';
import { describeEachDatabase } from '../helpers/databases.ts';
import { type TreeBuilder, treeBuilder } from './tree.ts';

const d1 = epochDay(2026, 3, 1);
const noonOf = (day: number) => day * msPerDay + 12 * 3_600_000;

/** Data source ids are prefixed per test: the tests share one database. */
let prefix = '';

function sample(
  dataSourceId: string,
  buId: string | null,
  day: number,
  stored: number,
  extra: Partial<ConsumptionSample> = {},
) {
  return {
    dataSourceId: `${prefix}${dataSourceId}`,
    buId,
    day,
    protectedBytes: stored * 2,
    storedBytes: stored,
    transferredBytes: 10,
    snapshotCount: 3,
    clientActive: true,
    asOf: noonOf(day),
    ...extra,
  } satisfies ConsumptionSample;
}

describeEachDatabase('usage measurement', (factory) => {
  let database: Database;
  let tree: TreeBuilder;
  let root: string;
  let resellerA: string;
  let resellerB: string;
  let customer: string;

  let shared: Database;

  beforeAll(async () => {
    shared = await factory.create();
  });

  // One database for the file; every test builds its own tree, so subtree figures are
  // independent. Tests that assert installation-wide figures open their own database.
  async function isolate(): Promise<void> {
    database = await factory.create();
    tree = treeBuilder(database);
    root = await tree.add(null, 'MSP');
    resellerA = await tree.add(root, 'Reseller A');
    resellerB = await tree.add(root, 'Reseller B');
    customer = await tree.add(resellerA, 'Customer');
  }

  beforeEach(async () => {
    prefix = `${newId()}:`;
    database = shared;
    tree = treeBuilder(database);
    root = await tree.add(null, 'MSP');
    resellerA = await tree.add(root, 'Reseller A');
    resellerB = await tree.add(root, 'Reseller B');
    customer = await tree.add(resellerA, 'Customer');
  });

  it('sums the latest samples over a subtree now, and a same-day rewrite replaces the sample', async () => {
    await recordConsumption(database, sample('ds-1', customer, d1, 1_000));
    await recordConsumption(database, sample('ds-2', resellerA, d1, 500));
    await recordConsumption(database, sample('ds-3', resellerB, d1, 7));
    await recordConsumption(database, sample('ds-1', customer, d1, 1_500, { asOf: noonOf(d1) + 60_000 }));

    const a = await subtreeUsageNow(database, resellerA);
    expect(a.storedBytes).toBe(2_000n);
    expect(a.protectedBytes).toBe(4_000n);
    expect(a.dataSourceCount).toBe(2n);
    expect(a.clientCount).toBe(2n);
    expect(a.snapshotCount).toBe(6n);
    expect(a.asOf).toBe(noonOf(d1) + 60_000);
    expect((await subtreeUsageNow(database, root)).storedBytes).toBe(2_007n);
    expect((await subtreeUsageNow(database, customer)).storedBytes).toBe(1_500n);
  });

  it('counts a data source moved between units under its unit of each day', async () => {
    await recordConsumption(database, sample('ds-1', customer, d1, 100));
    await recordConsumption(database, sample('ds-1', customer, d1 + 1, 110));
    await recordConsumption(database, sample('ds-1', resellerB, d1 + 2, 120));
    await closeDays(database, noonOf(d1 + 3));

    const historyA = await subtreeUsageHistory(database, resellerA, d1, d1 + 3);
    const historyB = await subtreeUsageHistory(database, resellerB, d1, d1 + 3);
    expect(historyA.map((h) => h.figures.storedBytes)).toEqual([100n, 110n, 0n, 0n]);
    // Day 3 was carried forward from the latest sample (at reseller B) by the close job.
    expect(historyB.map((h) => h.figures.storedBytes)).toEqual([0n, 0n, 120n, 120n]);
    expect(historyB[3]?.figures.transferredBytes).toBe(0n);
    expect((await subtreeUsageNow(database, resellerA)).storedBytes).toBe(0n);
    expect((await subtreeUsageNow(database, resellerB)).storedBytes).toBe(120n);
  });

  it('keeps closed days under the tree of that day when a unit moves to another reseller', async () => {
    await recordConsumption(database, sample('ds-1', customer, d1, 100));
    await closeDays(database, noonOf(d1 + 1));
    await tree.move(customer, resellerB);
    await recordConsumption(database, sample('ds-1', customer, d1 + 1, 100));
    await closeDays(database, noonOf(d1 + 2));

    expect((await subtreeUsageOnDay(database, resellerA, d1)).storedBytes).toBe(100n);
    expect((await subtreeUsageOnDay(database, resellerB, d1)).storedBytes).toBe(0n);
    expect((await subtreeUsageOnDay(database, resellerA, d1 + 1)).storedBytes).toBe(0n);
    expect((await subtreeUsageOnDay(database, resellerB, d1 + 1)).storedBytes).toBe(100n);
    expect((await subtreeUsageNow(database, resellerB)).storedBytes).toBe(100n);
  });

  it('reads a late sample for a closed day live until the day is closed again', async () => {
    await isolate();
    await recordConsumption(database, sample('ds-1', customer, d1, 100));
    await closeDays(database, noonOf(d1 + 1));
    await recordConsumption(database, sample('ds-2', customer, d1, 50, { asOf: noonOf(d1 + 1) }));
    expect((await subtreeUsageOnDay(database, root, d1)).storedBytes).toBe(150n);
    const result = await closeDays(database, noonOf(d1 + 1) + 1000);
    expect(result.finalized).toContain(d1);
    expect((await subtreeUsageOnDay(database, root, d1)).storedBytes).toBe(150n);
    // ds-1 was carried into the next day (100) and ds-2 has only its late sample (50).
    expect((await subtreeUsageNow(database, root)).storedBytes).toBe(150n);
  });

  it('carries gauges forward once per day and stops for a retired data source', async () => {
    await isolate();
    await recordConsumption(database, sample('ds-1', customer, d1, 100));
    await recordConsumption(database, sample('ds-2', customer, d1, 40));
    expect(await carryForward(database, d1 + 1, noonOf(d1 + 1))).toBe(2);
    expect(await carryForward(database, d1 + 1, noonOf(d1 + 1))).toBe(0);
    expect(await retireDataSource(database, `${prefix}ds-2`, noonOf(d1 + 1))).toBe(true);
    expect(await retireDataSource(database, `${prefix}ds-2`, noonOf(d1 + 1))).toBe(false);
    expect(await carryForward(database, d1 + 2, noonOf(d1 + 2))).toBe(1);
    const history = await subtreeUsageHistory(database, customer, d1, d1 + 2);
    expect(history.map((h) => h.figures.storedBytes)).toEqual([140n, 140n, 100n]);
    expect(history.map((h) => h.figures.transferredBytes)).toEqual([20n, 0n, 0n]);
    const now = await subtreeUsageNow(database, customer);
    expect(now.storedBytes).toBe(100n);
    expect(now.transferredBytes).toBe(0n);
    expect(now.asOf).toBe(noonOf(d1));
  });

  it('reconciles unassigned and orphaned data sources against a zone measurement', async () => {
    await isolate();
    await recordConsumption(database, sample('ds-1', customer, d1, 1_000));
    await recordConsumption(database, sample('ds-loose', null, d1, 300));
    await recordConsumption(database, sample('ds-gone', 'unit-that-was-deleted', d1, 20));
    await recordZoneMeasurement(database, { zone: 'zone-1', measuredBytes: 1_400, asOf: noonOf(d1) });

    const now = await reconcileUsage(database);
    expect(now.assigned.storedBytes).toBe(1_000n);
    expect(now.unassigned.storedBytes).toBe(300n);
    expect(now.unassigned.dataSourceCount).toBe(1n);
    expect(now.orphaned.storedBytes).toBe(20n);
    expect(now.total.storedBytes).toBe(1_320n);
    expect(now.unassignedDataSources.map((u) => u.dataSourceId)).toEqual([`${prefix}ds-loose`]);
    expect(now.zones).toEqual([
      {
        zone: 'zone-1',
        day: d1,
        measuredBytes: 1_400n,
        accountedBytes: 1_320n,
        unaccountedBytes: 80n,
        asOf: noonOf(d1),
      },
    ]);
    const ofDay = await reconcileUsage(database, d1);
    expect(ofDay.total.storedBytes).toBe(1_320n);
    expect(ofDay.unassigned.storedBytes).toBe(300n);
    expect((await reconcileUsage(database, d1 - 1)).total.storedBytes).toBe(0n);
  });

  it('sums beyond 2^53 bytes exactly', async () => {
    const big = Number.MAX_SAFE_INTEGER - 1;
    await recordConsumption(database, sample('ds-1', customer, d1, big, { protectedBytes: big }));
    await recordConsumption(database, sample('ds-2', customer, d1, big, { protectedBytes: big }));
    const figures = await subtreeUsageNow(database, root);
    expect(figures.storedBytes).toBe(2n * BigInt(big));
    await closeDays(database, noonOf(d1 + 1));
    expect((await subtreeUsageOnDay(database, root, d1)).storedBytes).toBe(2n * BigInt(big));
  });

  describe('bad input', () => {
    it.each([
      ['negative bytes', { storedBytes: -1 }],
      ['fractional bytes', { protectedBytes: 1.5 }],
      ['a non-date day', { day: '2026-02-30' }],
      ['a measurement before its day', { asOf: noonOf(d1) - msPerDay }],
      ['an empty data source id', { dataSourceId: '' }],
    ])('refuses %s and writes nothing', async (_label, patch) => {
      await expect(recordConsumption(database, { ...sample('ds-1', customer, d1, 5), ...patch })).rejects.toThrow(
        ValidationError,
      );
      expect((await subtreeUsageNow(database, root)).dataSourceCount).toBe(0n);
    });

    it('refuses a history range that is reversed or too long', async () => {
      await expect(subtreeUsageHistory(database, root, d1, d1 - 1)).rejects.toThrow(ValidationError);
      await expect(subtreeUsageHistory(database, root, d1, d1 + 4000)).rejects.toThrow(ValidationError);
    });
  });
});
