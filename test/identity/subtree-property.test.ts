import fc from 'fast-check';
import { expect, it } from 'vitest';
import { createAccessGuard } from '../../src/identity/access.ts';
import { identityDb } from '../../src/identity/db.ts';
import { NotFoundError, type Principal } from '../../src/platform/index.ts';
import { moveSubtree, tenancyDb } from '../../src/tenancy/store.ts';
import { describeEachDatabase } from '../helpers/databases.ts';
import { buildIdentityServer, createRootUnit, createUnit } from '../helpers/principals.ts';

/** A random tree (parent of node i is one of 0..i-1) and random moves (node, new parent) as indices. */
const scenario = fc.integer({ min: 2, max: 14 }).chain((size) =>
  fc.record({
    parents: fc.tuple(...Array.from({ length: size - 1 }, (_, i) => fc.nat({ max: i }))),
    moves: fc.array(fc.tuple(fc.integer({ min: 1, max: size - 1 }), fc.nat({ max: size - 1 })), { maxLength: 8 }),
  }),
);

function principalAt(scopeBuId: string): Principal {
  return {
    kind: 'user',
    credentialId: 'property',
    userId: 'property',
    scopeBuId,
    roleId: 'property',
    privileges: new Set(['bu.read']),
    displayName: 'property',
  };
}

describeEachDatabase('access guard on random trees and moves', (factory) => {
  it('lets every principal reach exactly its own subtree after any sequence of moves', async () => {
    const server = await buildIdentityServer(factory);
    const db = identityDb(server.database);
    const runs = server.database.dialect === 'postgres' ? 12 : 25;
    await fc.assert(
      fc.asyncProperty(scenario, async ({ parents, moves }) => {
        // Model: parent index per node (node 0 is the root of this example's own tree).
        const parent = [-1, ...parents];
        const ids = [await createRootUnit(server)];
        for (let i = 1; i < parent.length; i++) ids.push(await createUnit(server, ids[parent[i] ?? 0] ?? ''));
        const isWithin = (node: number, ancestor: number): boolean => {
          for (let n = node; n >= 0; n = parent[n] ?? -1) if (n === ancestor) return true;
          return false;
        };
        const depth = (node: number): number => (node === 0 ? 0 : depth(parent[node] ?? 0) + 1);
        for (const [node, target] of moves) {
          // A move under itself or a descendant would be a cycle: tenancy refuses it, the model skips it.
          if (isWithin(target, node) || parent[node] === target) continue;
          const delta = depth(target) + 1 - depth(node);
          await tenancyDb(server.database)
            .transaction()
            .execute((trx) => moveSubtree(trx, ids[node] ?? '', ids[target] ?? '', delta, server.clock.now()));
          parent[node] = target;
        }
        for (let scope = 0; scope < ids.length; scope++) {
          const guard = createAccessGuard(db, principalAt(ids[scope] ?? ''));
          for (let unit = 0; unit < ids.length; unit++) {
            const expected = isWithin(unit, scope);
            expect(await guard.reaches(ids[unit] ?? '')).toBe(expected);
            const decision = guard.require('bu.read', ids[unit] ?? '').then(
              () => 'allowed',
              (error: unknown) => (error instanceof NotFoundError ? 'not found' : String(error)),
            );
            expect(await decision).toBe(expected ? 'allowed' : 'not found');
          }
          // Nothing of the installation's other trees is reachable.
          expect(await guard.reaches(server.rootId)).toBe(false);
        }
      }),
      { numRuns: runs },
    );
  });
});
