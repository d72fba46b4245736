import type { Database } from '../platform/index.ts';

/** A user or API key whose reach a move changes. */
export interface ReachChange {
  readonly kind: 'user' | 'apikey';
  readonly id: string;
  /** Display name of the user, or the key's label. */
  readonly name: string;
  /** The unit whose subtree the principal reaches. */
  readonly scopeBuId: string;
  /** `gains`: will reach the moved subtree; `loses`: will no longer reach it. */
  readonly change: 'gains' | 'loses';
}

/**
 * Implemented by the identity module (which knows users and keys) and handed to
 * `registerTenancyRoutes`, so tenancy never imports identity. Principals whose scope is
 * an ancestor of the old parent but not of the new one lose reach of the moved subtree;
 * the reverse gain it. `reachChangeScopes` (exported by tenancy) computes those two sets.
 */
export interface MoveImpactProvider {
  principalsWhoseReachChanges(
    db: Database,
    movedRootId: string,
    oldParentId: string,
    newParentId: string,
  ): Promise<ReachChange[]>;
}
