import fc from 'fast-check';
import { beforeAll, expect, it } from 'vitest';
import { type Database, newId } from '../../src/platform/index.ts';
import {
  closeDays,
  epochDay,
  msPerDay,
  recordConsumption,
  subtreeUsageNow,
  subtreeUsageOnDay,
} from '../../src/usage/index.ts';
import { describeEachDatabase } from '../helpers/databases.ts';
import { treeBuilder } from './tree.ts';

/** A random tree as parent indexes (unit i hangs under an earlier unit) and data sources on units. */
const scenario = fc.record({
  parents: fc.array(fc.nat(), { minLength: 0, maxLength: 14 }),
  sources: fc.array(
    fc.record({
      unit: fc.option(fc.nat(), { freq: 6 }),
      stored: fc.integer({ min: 0, max: 2 ** 40 }),
      clientActive: fc.boolean(),
    }),
    { maxLength: 25 },
  ),
});

describeEachDatabase('usage roll-up property', (factory) => {
  let database: Database;
  let day = epochDay(2030, 1, 1);

  beforeAll(async () => {
    database = await factory.create();
  });

  it('a unit’s subtree figure equals the sum over its descendants’ own data sources, now and for a closed day', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ parents, sources }) => {
        day += 2;
        const tree = treeBuilder(database);
        const ids = [await tree.add(null)];
        const parentOf = [-1];
        for (const [index, raw] of parents.entries()) {
          const parent = raw % (index + 1);
          parentOf.push(parent);
          ids.push(await tree.add(ids[parent] ?? null));
        }
        const own = ids.map(() => 0n);
        const clients = ids.map(() => 0n);
        for (const source of sources) {
          const unit = source.unit === null ? null : source.unit % ids.length;
          await recordConsumption(database, {
            dataSourceId: newId(),
            buId: unit === null ? null : (ids[unit] ?? null),
            day,
            protectedBytes: source.stored,
            storedBytes: source.stored,
            transferredBytes: 0,
            snapshotCount: 1,
            clientActive: source.clientActive,
            asOf: day * msPerDay,
          });
          if (unit !== null) {
            own[unit] = (own[unit] ?? 0n) + BigInt(source.stored);
            if (source.clientActive) clients[unit] = (clients[unit] ?? 0n) + 1n;
          }
        }
        const isBelow = (unit: number, ancestor: number): boolean => {
          for (let u = unit; u !== -1; u = parentOf[u] ?? -1) if (u === ancestor) return true;
          return false;
        };
        const expected = (ancestor: number, figures: bigint[]) =>
          figures.reduce((sum, value, unit) => (isBelow(unit, ancestor) ? sum + value : sum), 0n);
        await closeDays(database, (day + 1) * msPerDay);
        for (const [index, id] of ids.entries()) {
          const now = await subtreeUsageNow(database, id);
          expect(now.storedBytes).toBe(expected(index, own));
          expect(now.clientCount).toBe(expected(index, clients));
          expect((await subtreeUsageOnDay(database, id, day)).storedBytes).toBe(expected(index, own));
        }
      }),
      { numRuns: factory.dialect === 'sqlite' ? 20 : 6 },
    );
  });
});
