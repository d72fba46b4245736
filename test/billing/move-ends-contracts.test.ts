import { expect, it } from 'vitest';
import { createContract, createSubscription, getContract } from '../../src/billing/index.ts';
import { describeEachDatabase } from '../helpers/databases.ts';
import { buildIdentityServer, createSession, createUnit, createUser, injectAs } from '../helpers/principals.ts';
import { testContext } from './helpers.ts';

describeEachDatabase('a unit moved through the API', (factory) => {
  it("ends the old reseller's contract in the move's transaction; the new reseller's contract is untouched", async () => {
    const server = await buildIdentityServer(factory);
    const r1 = await createUnit(server, server.rootId);
    const r2 = await createUnit(server, server.rootId);
    const customer = await createUnit(server, r1);
    const storage = [{ name: 'Storage', metric: 'stored', valueMode: 'latest', unitPrice: 5, currency: 'EUR' }];
    const r1Ctx = testContext(server.database, r1);
    const retail = await createSubscription(r1Ctx, r1, { name: 'Retail', currency: 'EUR', products: storage });
    const sold = await createContract(r1Ctx, {
      subscriptionId: retail.id,
      customerBuId: customer,
      startDate: '2026-01-01',
      settlementRate: 12,
    });
    expect((await getContract(r1Ctx, sold.id)).endDate ?? null).toBeNull();

    const admin = await createSession(server, await createUser(server, { buId: server.rootId, role: 'administrator' }));
    const moved = await injectAs(server.app, admin, {
      method: 'POST',
      url: `/api/v1/business-units/${customer}/move`,
      payload: { parentId: r2 },
    });
    expect(moved.statusCode).toBe(200);
    // The server clock is 2026-01-15: the contract ends on the day of the move.
    expect((await getContract(testContext(server.database, r1), sold.id)).endDate).toBe('2026-01-15');
    await server.app.close();
  });
});
