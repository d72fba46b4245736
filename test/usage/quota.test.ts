import { expect, it } from 'vitest';
import type { Database } from '../../src/platform/index.ts';
import {
  assertBackupAllowed,
  epochDay,
  markUsageEventsDelivered,
  msPerDay,
  pendingUsageEvents,
  QuotaExceededError,
  quotaState,
  recordConsumption,
  refreshQuotaStates,
} from '../../src/usage/index.ts';
import { describeEachDatabase } from '../helpers/databases.ts';
import { treeBuilder } from './tree.ts';

const day = epochDay(2026, 5, 1);

/** Sets a unit's own `quota.storage` row (the tenancy settings table) as the settings API would. */
async function setQuota(database: Database, buId: string, softBytes: number, hardBytes: number): Promise<void> {
  await database.kysely
    .withTables<{
      bu_settings: {
        bu_id: string;
        key: string;
        value: string;
        locked: number;
        updated_at: number;
        updated_by: string | null;
      };
    }>()
    .insertInto('bu_settings')
    .values({
      bu_id: buId,
      key: 'quota.storage',
      value: JSON.stringify({ softBytes, hardBytes }),
      locked: 0,
      updated_at: 0,
      updated_by: null,
    })
    .execute();
}

async function store(database: Database, dataSourceId: string, buId: string, storedBytes: number): Promise<void> {
  await recordConsumption(database, {
    dataSourceId,
    buId,
    day,
    storedBytes,
    protectedBytes: storedBytes,
    transferredBytes: 0,
    snapshotCount: 1,
    clientActive: true,
    asOf: day * msPerDay + 1000,
  });
}

describeEachDatabase('storage quotas', (factory) => {
  it('classifies soft and hard states from the inherited setting, caps subtrees, and records changes once', async () => {
    const database = await factory.create();
    const tree = treeBuilder(database);
    const root = await tree.add(null, 'MSP');
    const reseller = await tree.add(root, 'Reseller');
    const customer = await tree.add(reseller, 'Customer');
    const sibling = await tree.add(reseller, 'Sibling');

    await store(database, 'ds-1', customer, 150);
    expect((await quotaState(database, customer)).state).toBe('ok');
    await assertBackupAllowed(database, customer);

    // Set at the reseller, inherited by the customer: soft 100, hard 200.
    await setQuota(database, reseller, 100, 200);
    const soft = await quotaState(database, customer);
    expect(soft).toMatchObject({ state: 'soft_exceeded', usedBytes: 150n, softBytes: 100, hardBytes: 200 });
    await assertBackupAllowed(database, customer);
    const first = await refreshQuotaStates(database, 1000);
    expect(first.map((c) => [c.buId, c.from, c.to]).sort()).toEqual(
      [
        [customer, 'ok', 'soft_exceeded'],
        [reseller, 'ok', 'soft_exceeded'],
      ].sort(),
    );
    expect(await refreshQuotaStates(database, 2000)).toEqual([]);

    // The sibling stores 60: each unit is under 200, but the reseller's subtree holds 210.
    await store(database, 'ds-2', sibling, 60);
    expect((await quotaState(database, sibling)).state).toBe('ok');
    const refused = await assertBackupAllowed(database, sibling).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(QuotaExceededError);
    expect((refused as QuotaExceededError).code).toBe('quota_exceeded');
    expect((refused as QuotaExceededError).details).toMatchObject({
      buId: sibling,
      limitBuId: reseller,
      usedBytes: '210',
      hardBytes: 200,
    });
    // Once the customer shrinks to 20 the reseller is back under its limit.
    await store(database, 'ds-1', customer, 20);
    await assertBackupAllowed(database, sibling);

    await store(database, 'ds-1', customer, 250);
    await expect(assertBackupAllowed(database, customer)).rejects.toThrow(/hard limit 200 bytes/);
    const second = await refreshQuotaStates(database, 3000);
    expect(second.map((c) => [c.buId, c.from, c.to]).sort()).toEqual(
      [
        [customer, 'soft_exceeded', 'hard_exceeded'],
        [reseller, 'soft_exceeded', 'hard_exceeded'],
      ].sort(),
    );
    const events = await pendingUsageEvents(database);
    expect(events.filter((e) => e.kind === 'quota.state_changed')).toHaveLength(4);
    await markUsageEventsDelivered(
      database,
      events.map((e) => e.id),
      4000,
    );
    expect(await pendingUsageEvents(database)).toEqual([]);
  });
});
