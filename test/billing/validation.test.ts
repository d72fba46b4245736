import { beforeAll, describe, expect, it } from 'vitest';
import {
  addProduct,
  createContract,
  createSubscription,
  endContract,
  getBillingProfile,
  getSubscription,
  listContracts,
  listSubscriptions,
  runBilling,
  setBillingProfile,
} from '../../src/billing/index.ts';
import {
  ConflictError,
  type Database,
  ForbiddenError,
  NotFoundError,
  ValidationError,
} from '../../src/platform/index.ts';
import { describeEachDatabase } from '../helpers/databases.ts';
import { treeBuilder } from '../usage/tree.ts';
import { at, day, testContext } from './helpers.ts';

const storage = { name: 'Storage', metric: 'stored', valueMode: 'latest', unitPrice: 5, currency: 'EUR' };

describeEachDatabase('billing input checks and access', (factory) => {
  let database: Database;

  beforeAll(async () => {
    database = await factory.create();
  });

  async function setup() {
    const tree = treeBuilder(database);
    const msp = await tree.add(null, 'MSP');
    const reseller = await tree.add(msp, 'Reseller');
    const customer = await tree.add(reseller, 'Customer');
    const other = await tree.add(msp, 'Other reseller');
    return { tree, msp, reseller, customer, other, ctx: testContext(database, msp) };
  }

  describe('bad input is refused and nothing is written', () => {
    it('refuses a currency mismatch, an unknown metric and a negative price inside a subscription', async () => {
      const { msp, ctx } = await setup();
      const cases = [
        {
          products: [
            storage,
            { ...storage, name: 'Transfer', metric: 'transferred', valueMode: undefined, currency: 'USD' },
          ],
        },
        { products: [{ ...storage, metric: 'cpu-hours' }] },
        { products: [{ ...storage, unitPrice: -5 }] },
        { products: [storage, storage] },
      ];
      for (const input of cases) {
        await expect(createSubscription(ctx, msp, { name: 'Bad', currency: 'EUR', ...input })).rejects.toThrow(
          ValidationError,
        );
      }
      await expect(createSubscription(ctx, msp, { name: 'Bad', currency: 'Euro' })).rejects.toThrow(ValidationError);
      expect(await listSubscriptions(ctx, msp)).toEqual({ items: [], nextCursor: null });
      expect(ctx.audited).toEqual([]);
      const good = await createSubscription(ctx, msp, { name: 'Good', currency: 'EUR', products: [storage] });
      await expect(addProduct(ctx, good.id, { ...storage, name: 'Dollars', currency: 'USD' })).rejects.toThrow(
        /currency mismatch/,
      );
      expect((await getSubscription(ctx, good.id)).products).toHaveLength(1);
      await expect(createSubscription(ctx, msp, { name: 'Good', currency: 'EUR' })).rejects.toThrow(ConflictError);
    });

    it('refuses overlapping contracts for the same product and unit (or a unit above or below it)', async () => {
      const { msp, reseller, customer, other, ctx } = await setup();
      const subscription = await createSubscription(ctx, msp, {
        name: 'Standard',
        currency: 'EUR',
        products: [storage],
      });
      const alsoStorage = await createSubscription(ctx, msp, {
        name: 'Premium',
        currency: 'EUR',
        products: [{ ...storage, unitPrice: 9 }],
      });
      const base = { subscriptionId: subscription.id, customerBuId: reseller, settlementRate: 12 };
      await createContract(ctx, { ...base, startDate: '2026-01-01', endDate: '2026-07-01' });
      await expect(createContract(ctx, { ...base, startDate: '2026-06-01' })).rejects.toThrow(ConflictError);
      await expect(createContract(ctx, { ...base, customerBuId: customer, startDate: '2026-03-01' })).rejects.toThrow(
        ConflictError,
      );
      await expect(
        createContract(ctx, { ...base, subscriptionId: alsoStorage.id, startDate: '2026-02-01' }),
      ).rejects.toThrow(/already bills the metrics stored/);
      expect((await listContracts(ctx, reseller)).items).toHaveLength(1);
      // Back to back, or on an unrelated unit, is fine.
      await createContract(ctx, { ...base, startDate: '2026-07-01' });
      await createContract(ctx, { ...base, customerBuId: other, startDate: '2026-01-01' });
      expect((await listContracts(ctx, msp)).items).toHaveLength(3);
    });

    it('refuses a billing day outside 1-31, a bad rate, dates out of order and a customer outside the owner', async () => {
      const { msp, reseller, other, ctx } = await setup();
      for (const billingDay of [0, 32, 15.5]) {
        await expect(setBillingProfile(ctx, msp, { billingDay })).rejects.toThrow(ValidationError);
      }
      expect(await getBillingProfile(ctx, msp)).toEqual({ buId: msp, billingDay: 1, configured: false });
      const resellerCtx = testContext(database, reseller);
      const own = await createSubscription(resellerCtx, reseller, {
        name: 'Retail',
        currency: 'EUR',
        products: [storage],
      });
      const base = { subscriptionId: own.id, customerBuId: reseller, startDate: '2026-01-01', settlementRate: 12 };
      await expect(createContract(resellerCtx, { ...base, settlementRate: 3 })).rejects.toThrow(ValidationError);
      await expect(createContract(resellerCtx, { ...base, endDate: '2026-01-01' })).rejects.toThrow(ValidationError);
      await expect(createContract(resellerCtx, { ...base, startDate: '2026-02-30' })).rejects.toThrow(ValidationError);
      await expect(createContract(resellerCtx, { ...base, timing: 'sometimes' })).rejects.toThrow(ValidationError);
      await expect(createContract(ctx, { ...base, customerBuId: other })).rejects.toThrow(ValidationError);
      expect(await listContracts(ctx, msp)).toEqual({ items: [], nextCursor: null });
    });

    it('keeps billed periods fixed: no earlier end date, no other billing day', async () => {
      const { msp, reseller, ctx } = await setup();
      const subscription = await createSubscription(ctx, msp, {
        name: 'Standard',
        currency: 'EUR',
        products: [storage],
      });
      const contract = await createContract(ctx, {
        subscriptionId: subscription.id,
        customerBuId: reseller,
        startDate: '2026-01-01',
        settlementRate: 12,
      });
      await runBilling(database, {
        sellerBuId: msp,
        runDay: day('2026-03-01'),
        now: at('2026-03-01'),
        trigger: 'manual',
      });
      await expect(endContract(ctx, contract.id, '2026-02-15')).rejects.toThrow(ConflictError);
      expect((await endContract(ctx, contract.id, '2026-03-01')).endDate).toBe('2026-03-01');
      await expect(setBillingProfile(ctx, msp, { billingDay: 15 })).rejects.toThrow(ConflictError);
    });
  });

  describe('access', () => {
    it('hides other subtrees (not found) and needs billing.manage to change anything (forbidden)', async () => {
      const { msp, reseller, other, ctx } = await setup();
      const subscription = await createSubscription(ctx, msp, {
        name: 'Standard',
        currency: 'EUR',
        products: [storage],
      });
      const otherCtx = testContext(database, other);
      await expect(getSubscription(otherCtx, subscription.id)).rejects.toThrow(NotFoundError);
      await expect(listContracts(otherCtx, reseller)).rejects.toThrow(NotFoundError);
      const readOnly = testContext(database, msp, { privileges: ['billing.read'] });
      expect((await getSubscription(readOnly, subscription.id)).name).toBe('Standard');
      await expect(createSubscription(readOnly, msp, { name: 'New', currency: 'EUR' })).rejects.toThrow(ForbiddenError);
      await expect(
        createContract(readOnly, {
          subscriptionId: subscription.id,
          customerBuId: reseller,
          startDate: '2026-01-01',
          settlementRate: 12,
        }),
      ).rejects.toThrow(ForbiddenError);
      const noBilling = testContext(database, msp, { privileges: ['bu.read'] });
      await expect(listSubscriptions(noBilling, msp)).rejects.toThrow(ForbiddenError);
    });
  });
});
