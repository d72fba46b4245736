import fc from 'fast-check';
import { beforeAll, expect, it } from 'vitest';
import { tenancyDb } from '../../src/tenancy/index.ts';
import { moveUnit } from '../../src/tenancy/move-service.ts';
import { createUnit, listUnitSubtree } from '../../src/tenancy/service.ts';
import { describeEachDatabase, type TestDatabase } from '../helpers/databases.ts';
import { createAuditTable, createRoot, testContext } from './helpers.ts';

/** The closure a correct tree has: every (ancestor, descendant, distance), walking parent links. */
function closureFromParents(parents: Map<string, string | null>): Set<string> {
  const rows = new Set<string>();
  for (const id of parents.keys()) {
    let current: string | null = id;
    let distance = 0;
    while (current !== null) {
      rows.add(`${current}>${id}@${distance}`);
      current = parents.get(current) ?? null;
      distance++;
    }
  }
  return rows;
}

function naiveSubtree(parents: Map<string, string | null>, rootId: string): string[] {
  const children = new Map<string, string[]>();
  for (const [id, parent] of parents) if (parent) children.set(parent, [...(children.get(parent) ?? []), id]);
  const seen: string[] = [];
  const stack = [rootId];
  while (stack.length > 0) {
    const id = stack.pop()!;
    seen.push(id);
    stack.push(...(children.get(id) ?? []));
  }
  return seen.sort();
}

describeEachDatabase('closure table under random moves (property)', (factory) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await factory.create();
    await createAuditTable(database);
  });

  const small = factory.dialect === 'postgres';
  const scenario = fc.record({
    // Parent of unit i is one of the units before it (index 0 is the root).
    parents: fc.array(fc.nat(), { minLength: 1, maxLength: small ? 10 : 18 }),
    moves: fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: small ? 8 : 15 }),
  });

  it('keeps the closure equal to the parent links, and every principal sees exactly its subtree', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ parents: parentPicks, moves }) => {
        const rootId = await createRoot(database, 'Property root');
        const admin = testContext(database, rootId);
        const units = [rootId];
        const parents = new Map<string, string | null>([[rootId, null]]);
        for (const [i, pick] of parentPicks.entries()) {
          const parentId = units[pick % units.length]!;
          const unit = await createUnit(admin, { parentId, name: `Unit ${i}` });
          units.push(unit.id);
          parents.set(unit.id, parentId);
        }

        for (const [from, to] of moves) {
          const unitId = units[1 + (from % (units.length - 1))]!;
          const targetId = units[to % units.length]!;
          const wouldCycle = naiveSubtree(parents, unitId).includes(targetId);
          if (wouldCycle) {
            await expect(moveUnit(admin, unitId, targetId)).rejects.toMatchObject({
              details: { reason: 'move_cycle' },
            });
          } else {
            await moveUnit(admin, unitId, targetId);
            parents.set(unitId, targetId);
          }
        }

        const stored = await tenancyDb(database)
          .selectFrom('bu_closure')
          .innerJoin('bu_closure as r', 'r.descendant_id', 'bu_closure.descendant_id')
          .select(['bu_closure.ancestor_id', 'bu_closure.descendant_id', 'bu_closure.depth'])
          .where('r.ancestor_id', '=', rootId)
          .execute();
        const storedSet = new Set(stored.map((r) => `${r.ancestor_id}>${r.descendant_id}@${Number(r.depth)}`));
        expect(storedSet).toEqual(closureFromParents(parents));
        expect(stored).toHaveLength(storedSet.size);

        const rows = await tenancyDb(database)
          .selectFrom('business_units')
          .select(['id', 'parent_id', 'depth'])
          .where('id', 'in', units)
          .execute();
        for (const row of rows) {
          expect(row.parent_id).toBe(parents.get(row.id));
          expect(Number(row.depth)).toBe(naiveDepth(parents, row.id));
        }

        for (const scopeId of units) {
          const principal = testContext(database, scopeId);
          const seen = await listUnitSubtree(principal, scopeId, { limit: 500 });
          expect(seen.items.map((u) => u.id).sort()).toEqual(naiveSubtree(parents, scopeId));
        }
      }),
      { numRuns: small ? 15 : 50 },
    );
  }, 120_000);
});

function naiveDepth(parents: Map<string, string | null>, id: string): number {
  let depth = 0;
  let current = parents.get(id) ?? null;
  while (current !== null) {
    depth++;
    current = parents.get(current) ?? null;
  }
  return depth;
}
