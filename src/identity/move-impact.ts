import type { Clock, Database } from '../platform/index.ts';
import { type MoveImpactProvider, type ReachChange, reachChangeScopes, type TenancyDb } from '../tenancy/index.ts';
import { identityDb } from './db.ts';
import { listPrincipalsScopedAt } from './principal-store.ts';

/**
 * Identity's answer to tenancy's move preview: the users and live API keys scoped at a
 * unit that reaches the moved subtree only before the move (`loses`) or only after it
 * (`gains`). Principals inside the moved subtree keep their reach (it moves with them).
 */
export function createMoveImpactProvider(clock: Clock): MoveImpactProvider {
  return Object.freeze({
    async principalsWhoseReachChanges(
      database: Database,
      _movedRootId: string,
      oldParentId: string,
      newParentId: string,
    ): Promise<ReachChange[]> {
      const db = identityDb(database);
      const { losing, gaining } = await reachChangeScopes(db as unknown as TenancyDb, oldParentId, newParentId);
      const now = clock.now();
      const [lost, gained] = await Promise.all([
        listPrincipalsScopedAt(db, losing, now),
        listPrincipalsScopedAt(db, gaining, now),
      ]);
      return [
        ...lost.map((p): ReachChange => ({ ...p, change: 'loses' })),
        ...gained.map((p): ReachChange => ({ ...p, change: 'gains' })),
      ];
    },
  });
}
